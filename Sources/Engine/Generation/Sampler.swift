import Foundation

/// How the next token is chosen from the logits.
public struct SamplerSettings: Sendable, Equatable {
    /// 0 (or less) means greedy: always the most likely token.
    public var temperature: Float = 0
    /// Keep only the k most likely tokens (0: off).
    public var topK: Int = 40
    /// Keep the smallest set whose probabilities sum to p (1: off).
    public var topP: Float = 0.95
    /// Drop tokens less likely than minP × the most likely one (0: off).
    public var minP: Float = 0.05
    /// Divide positive logits (multiply negative ones) of recently seen tokens by this (1: off).
    public var repetitionPenalty: Float = 1
    /// How many recent tokens the repetition penalty looks at.
    public var repetitionWindow: Int = 64
    public var seed: UInt64 = 0

    public init() {}

    public static let greedy = SamplerSettings()
}

/// Chooses tokens: repetition penalty, then top-k, top-p, min-p and temperature (llama.cpp's
/// order), then a draw from a seeded generator, so a seed reproduces a run.
public struct Sampler: Sendable {
    public let settings: SamplerSettings
    private var rng: SplitMix64

    public init(_ settings: SamplerSettings) {
        self.settings = settings
        rng = SplitMix64(seed: settings.seed)
    }

    public mutating func sample(_ logits: [Float], history: ArraySlice<Int> = []) -> Int {
        var logits = logits
        if settings.repetitionPenalty != 1 {
            for id in Set(history.suffix(settings.repetitionWindow)) where logits.indices.contains(id) {
                logits[id] = logits[id] > 0 ? logits[id] / settings.repetitionPenalty : logits[id] * settings.repetitionPenalty
            }
        }
        guard settings.temperature > 0 else { return Self.argmax(logits) }

        var candidates = logits.indices.map { (id: $0, logit: logits[$0]) }
        candidates.sort { $0.logit > $1.logit }
        if settings.topK > 0 { candidates = Array(candidates.prefix(settings.topK)) }
        var probabilities = Self.softmax(candidates.map(\.logit))
        if settings.topP < 1 {
            var sum: Float = 0
            var keep = candidates.count
            for (i, p) in probabilities.enumerated() {
                sum += p
                if sum >= settings.topP { keep = i + 1; break }
            }
            candidates = Array(candidates.prefix(keep))
        }
        if settings.minP > 0, let top = probabilities.first {
            let floor = settings.minP * top
            let keep = max(1, probabilities.prefix(candidates.count).prefix { $0 >= floor }.count)
            candidates = Array(candidates.prefix(keep))
        }
        probabilities = Self.softmax(candidates.map { $0.logit / settings.temperature })
        var r = Float(rng.nextUnitDouble())
        for (i, p) in probabilities.enumerated() {
            r -= p
            if r <= 0 { return candidates[i].id }
        }
        return candidates.last?.id ?? Self.argmax(logits)
    }

    public static func argmax(_ logits: [Float]) -> Int {
        var best = 0
        for i in logits.indices where logits[i] > logits[best] { best = i }
        return best
    }

    static func softmax(_ x: [Float]) -> [Float] {
        guard let m = x.max() else { return [] }
        let e = x.map { expf($0 - m) }
        let s = e.reduce(0, +)
        return e.map { $0 / s }
    }
}

/// A small, fast, seedable generator (Steele, Lea and Flood's SplitMix64).
public struct SplitMix64: Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func nextUnitDouble() -> Double { Double(next() >> 11) / Double(1 << 53) }
}

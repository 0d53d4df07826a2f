import Engine
import Foundation

/// How a VITS voice speaks: the three scales of Piper's `inference` section.
public struct VITSScales: Sendable, Equatable {
    /// Randomness of the prior sample (0: the mean, deterministic).
    public var noise: Float
    /// Phoneme duration multiplier (> 1 is slower).
    public var length: Float
    /// Randomness of the durations (0: deterministic).
    public var noiseW: Float

    public init(noise: Float = 0.667, length: Float = 1, noiseW: Float = 0.8) {
        self.noise = noise
        self.length = length
        self.noiseW = noiseW
    }

    public static let deterministic = VITSScales(noise: 0, length: 1, noiseW: 0)
}

/// The intermediate tensors of one synthesis, for parity tests against the ONNX graph.
public struct VITSTrace: Sendable {
    public var encoderHidden: [Float] = []
    public var priorMean: [Float] = []
    public var logDurations: [Float] = []
    public var durations: [Int] = []
    public var flowOutput: [Float] = []
}

/// A Piper VITS generator in Swift, its weights read from the voice's ONNX file: text encoder,
/// stochastic duration predictor (reversed), length regulation, the normalising flow (reversed)
/// and the HiFi-GAN decoder.
public final class VITSModel: @unchecked Sendable {
    public let path: String
    public let threads: Int
    let encoder: TextEncoder
    let durationPredictor: StochasticDurationPredictor
    let flow: ResidualCouplingFlow
    let decoder: HiFiGANGenerator

    public init(onnxPath: String, threads: Int = 2) throws(EngineError) {
        path = onnxPath
        self.threads = max(1, threads)
        guard FileManager.default.fileExists(atPath: onnxPath) else {
            throw .modelFileMissing(path: onnxPath, role: "Piper voice", fix: "run `realtime-daemon models fetch`, or pass the .onnx of a Piper voice")
        }
        let model = try ONNXModel(path: onnxPath)
        if model.initializers["emb_g.weight"] != nil {
            throw .unsupportedModel(path: onnxPath, message: "multi-speaker voices are not supported yet")
        }
        encoder = try TextEncoder(model: model)
        durationPredictor = try StochasticDurationPredictor(model: model)
        flow = try ResidualCouplingFlow(model: model)
        decoder = try HiFiGANGenerator(model: model)
        // Our threads split every product; OpenBLAS itself runs single-threaded.
        BLAS.useOneThreadPerCall()
    }

    /// Samples per latent frame.
    public var hopLength: Int { decoder.hopLength }

    /// Latent frames decoded on their own first (≈ 0.37 s at 22 050 Hz), so that a clause's
    /// first audio is out before the rest of it is decoded.
    public var firstWindowFrames = 32
    /// Frames of context on each side of a decoding window: more than the decoder's receptive
    /// field (about 11 frames for Piper's HiFi-GAN), so windowed audio equals whole-clause audio.
    static let decoderContextFrames = 16

    /// Phoneme ids → audio in [−1, 1] at the voice's rate. `seed` drives the noise when the
    /// scales are not zero.
    public func synthesize(_ ids: [Int], scales: VITSScales, seed: UInt64 = 0, cancellation: CancellationFlag? = nil) throws(EngineError) -> [Float] {
        try synthesizeWithTrace(ids, scales: scales, seed: seed, cancellation: cancellation).audio
    }

    /// `synthesize`, also returning the intermediate tensors.
    public func synthesizeWithTrace(_ ids: [Int], scales: VITSScales, seed: UInt64 = 0,
                                    cancellation: CancellationFlag? = nil) throws(EngineError) -> (audio: [Float], trace: VITSTrace) {
        var audio: [Float] = []
        let trace = try synthesize(ids, scales: scales, seed: seed, cancellation: cancellation, firstAudioEarly: false) { piece, _ in audio += piece }
        return (audio, trace)
    }

    /// Synthesises in pieces: with `firstAudioEarly`, `onAudio` gets the first
    /// `firstWindowFrames` of audio as soon as they are decoded, then the rest (the flag says
    /// which piece is the last). Decoding the window's context twice costs about 16% more
    /// decoder time on a typical clause, so it is for the first clause of a reply only.
    @discardableResult
    public func synthesize(_ ids: [Int], scales: VITSScales, seed: UInt64 = 0, cancellation: CancellationFlag? = nil,
                           firstAudioEarly: Bool = true, onAudio: ([Float], _ isLast: Bool) -> Void) throws(EngineError) -> VITSTrace {
        guard !ids.isEmpty else { return VITSTrace() }
        var random = GaussianNoise(seed: seed)
        let n = ids.count
        let (hidden, mean, logScale) = try encoder(ids, threads: threads)
        if cancellation?.isCancelled == true { throw .cancelled }
        let durationNoise = (0..<(2 * n)).map { _ in random.next() * scales.noiseW }
        let logDurations = durationPredictor(hidden, length: n, noise: durationNoise, threads: threads)
        let durations = logDurations.map { Int((exp($0) * scales.length).rounded(.up)) }
        let frames = max(1, durations.reduce(0, +))
        let channels = mean.count / n
        var prior = [Float](repeating: 0, count: channels * frames)
        var frame = 0
        for (p, d) in durations.enumerated() {
            for _ in 0..<d {
                for c in 0..<channels {
                    let noise = scales.noise == 0 ? 0 : random.next() * exp(logScale[c * n + p]) * scales.noise
                    prior[c * frames + frame] = mean[c * n + p] + noise
                }
                frame += 1
            }
        }
        if cancellation?.isCancelled == true { throw .cancelled }
        EngineScheduler.checkpoint()
        let z = flow.reverse(prior, length: frames, threads: threads)
        if cancellation?.isCancelled == true { throw .cancelled }
        EngineScheduler.checkpoint()
        let context = Self.decoderContextFrames, first = firstWindowFrames
        if !firstAudioEarly || frames <= first + 2 * context {
            onAudio(try decoder(z, length: frames, threads: threads, cancellation: cancellation), true)
        } else {
            let head = try decoder(Self.frames(z, channels: channels, total: frames, 0..<(first + context)), length: first + context,
                                   threads: threads, cancellation: cancellation)
            onAudio(Array(head[..<(first * hopLength)]), false)
            let tail = try decoder(Self.frames(z, channels: channels, total: frames, (first - context)..<frames), length: frames - first + context,
                                   threads: threads, cancellation: cancellation)
            onAudio(Array(tail[(context * hopLength)...]), true)
        }
        return VITSTrace(encoderHidden: hidden, priorMean: mean, logDurations: logDurations, durations: durations, flowOutput: z)
    }

    /// Columns `range` of a `channels × total` matrix.
    static func frames(_ z: [Float], channels: Int, total: Int, _ range: Range<Int>) -> [Float] {
        var out = [Float](repeating: 0, count: channels * range.count)
        for c in 0..<channels {
            for (i, t) in range.enumerated() { out[c * range.count + i] = z[c * total + t] }
        }
        return out
    }
}

/// Standard normal samples (Box–Muller over SplitMix64), reproducible from a seed.
struct GaussianNoise {
    private var random: SplitMix64
    private var spare: Float?

    init(seed: UInt64) { random = SplitMix64(seed: seed &+ 0x9E37_79B9_7F4A_7C15) }

    /// Uniform in (0, 1): never 0, so its logarithm is finite.
    private mutating func uniform() -> Double {
        (Double(random.next() >> 11) + 0.5) / Double(1 << 53)
    }

    mutating func next() -> Float {
        if let s = spare { spare = nil; return s }
        let r = (-2 * log(uniform())).squareRoot(), angle = 2 * Double.pi * uniform()
        spare = Float(r * sin(angle))
        return Float(r * cos(angle))
    }
}

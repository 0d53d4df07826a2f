import Engine
import Foundation

/// Fundamental frequency per 10 ms hop with the YIN method (de Cheveigné & Kawahara 2002):
/// the cumulative-mean-normalised difference function over 40 ms frames, the first dip below
/// `threshold`, refined by parabolic interpolation. Unvoiced hops give nil.
public struct PitchTracker: Sendable {
    public var sampleRate = 16_000
    public var minimumHz: Double = 60
    public var maximumHz: Double = 400
    /// Highest normalised difference that still counts as voiced. YIN's paper uses 0.1–0.15 on
    /// studio speech; synthetic and resampled speech (Piper's voices, codec audio) stays between
    /// 0.15 and 0.35 in most voiced hops: at 0.15 a Piper question measured 3.5% voiced (and was
    /// called noise), at 0.35 27%.
    public var threshold: Double = 0.35
    public let frameLength = 640   // 40 ms at 16 kHz
    public let hopLength = 160     // 10 ms

    public init() {}

    /// One F0 (Hz) or nil per hop.
    public func track(_ samples: [Float]) -> [Double?] {
        let maxLag = min(frameLength / 2, Int(Double(sampleRate) / minimumHz))
        let minLag = max(2, Int(Double(sampleRate) / maximumHz))
        guard samples.count >= frameLength + maxLag else { return [] }
        var result: [Double?] = []
        var difference = [Double](repeating: 0, count: maxLag + 1)
        var start = 0
        while start + frameLength + maxLag <= samples.count {
            let silent = samples.withUnsafeBufferPointer { x -> Bool in
                let frame = x.baseAddress! + start
                guard VectorMath.dot(frame, frame, count: frameLength) / Float(frameLength) >= 1e-7 else { return true }  // below −70 dBFS
                // The difference function, in SIMD float (this runs on the way to a reply's start).
                for lag in 1...maxLag {
                    difference[lag] = Double(VectorMath.squaredDistance(frame, frame + lag, count: frameLength))
                }
                return false
            }
            if silent {
                result.append(nil)
                start += hopLength
                continue
            }
            // Cumulative mean normalisation.
            var running: Double = 0
            var normalised = [Double](repeating: 1, count: maxLag + 1)
            for lag in 1...maxLag {
                running += difference[lag]
                normalised[lag] = running > 0 ? difference[lag] * Double(lag) / running : 1
            }
            var chosen: Int?
            var lag = minLag
            while lag <= maxLag {
                if normalised[lag] < threshold {
                    while lag + 1 <= maxLag && normalised[lag + 1] < normalised[lag] { lag += 1 }
                    chosen = lag
                    break
                }
                lag += 1
            }
            if let tau = chosen {
                var refined = Double(tau)
                if tau > 1 && tau < maxLag {
                    let a = normalised[tau - 1], b = normalised[tau], c = normalised[tau + 1]
                    let denominator = a - 2 * b + c
                    if denominator != 0 { refined += 0.5 * (a - c) / denominator }
                }
                result.append(Double(sampleRate) / refined)
            } else {
                result.append(nil)
            }
            start += hopLength
        }
        return result
    }
}

import AudioIO
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
        var stream = Stream(self)
        stream.append(samples)
        return stream.pitches
    }

    var maximumLag: Int { min(frameLength / 2, Int(Double(sampleRate) / minimumHz)) }
    var minimumLag: Int { max(2, Int(Double(sampleRate) / maximumHz)) }

    /// The same tracking as audio arrives: each hop is computed once its frame and lag span are
    /// in, so a turn's contour is ready when the turn ends (the reply waits for it otherwise).
    /// Appending in pieces gives exactly what `track` gives for the whole.
    public struct Stream: Sendable {
        public let tracker: PitchTracker
        public private(set) var pitches: [Double?] = []
        /// Samples from the next hop's frame on.
        private var buffer: [Float] = []
        private var difference: [Double]
        private var normalised: [Double]

        public init(_ tracker: PitchTracker) {
            self.tracker = tracker
            difference = [Double](repeating: 0, count: tracker.maximumLag + 1)
            normalised = difference
        }

        public mutating func append(_ samples: [Float]) {
            buffer += samples
            let span = tracker.frameLength + tracker.maximumLag
            var start = 0
            while start + span <= buffer.count {
                pitches.append(buffer.withUnsafeBufferPointer { x in
                    tracker.pitch(of: x.baseAddress! + start, difference: &difference, normalised: &normalised)
                })
                start += tracker.hopLength
            }
            buffer.removeFirst(start)
        }
    }

    /// F0 of the frame at `frame` (its `frameLength` samples and `maximumLag` more are read), or
    /// nil when it is silent or unvoiced. `difference` and `normalised` are scratch space.
    func pitch(of frame: UnsafePointer<Float>, difference: inout [Double], normalised: inout [Double]) -> Double? {
        let maxLag = maximumLag, minLag = minimumLag
        guard VectorMath.dot(frame, frame, count: frameLength) / Float(frameLength) >= 1e-7 else { return nil }  // below −70 dBFS
        // The difference function, in SIMD float.
        for lag in 1...maxLag {
            difference[lag] = Double(VectorMath.squaredDistance(frame, frame + lag, count: frameLength))
        }
        // Cumulative mean normalisation.
        var running: Double = 0
        for lag in 1...maxLag {
            running += difference[lag]
            normalised[lag] = running > 0 ? difference[lag] * Double(lag) / running : 1
        }
        var lag = minLag
        while lag <= maxLag {
            if normalised[lag] < threshold {
                while lag + 1 <= maxLag && normalised[lag + 1] < normalised[lag] { lag += 1 }
                return refined(lag, normalised, maxLag: maxLag)
            }
            lag += 1
        }
        return nil
    }

    /// The chosen lag refined by parabolic interpolation, as a frequency.
    private func refined(_ tau: Int, _ normalised: [Double], maxLag: Int) -> Double {
        var refined = Double(tau)
        if tau > 1 && tau < maxLag {
            let a = normalised[tau - 1], b = normalised[tau], c = normalised[tau + 1]
            let denominator = a - 2 * b + c
            if denominator != 0 { refined += 0.5 * (a - c) / denominator }
        }
        return Double(sampleRate) / refined
    }
}

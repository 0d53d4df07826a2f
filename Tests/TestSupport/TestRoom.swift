import Engine
import Foundation

/// A simulated room between a loudspeaker and a microphone, for the echo canceller's tests: what
/// the speaker plays reaches the microphone delayed, through a generated room impulse response,
/// scaled, with background noise added.
///
/// The impulse response is a direct path followed by exponentially decaying noise (the usual
/// statistical model of late reverberation), with the decay set by the reverberation time:
/// −60 dB after `reverberationSeconds`. Deterministic for a given seed.
public struct TestRoom: Sendable {
    public let sampleRate: Int
    /// Speaker to microphone: samples of pure delay, then `response`.
    public let delaySamples: Int
    public let response: [Float]
    /// Level of the noise added at the microphone, dBFS (−120: none).
    public let noiseDB: Double

    public init(sampleRate: Int = 16_000, delayMilliseconds: Double = 40, reverberationSeconds: Double = 0.3,
                echoGainDB: Double = -6, noiseDB: Double = -65, seed: UInt64 = 1) {
        self.sampleRate = sampleRate
        self.noiseDB = noiseDB
        delaySamples = Int(delayMilliseconds / 1000 * Double(sampleRate))
        var generator = SplitMix64(seed: seed)
        let length = Int(min(reverberationSeconds, 0.5) * Double(sampleRate))
        // Amplitude decays 60 dB over the reverberation time.
        let decayPerSample = pow(10, -3 / (reverberationSeconds * Double(sampleRate)))
        var h = [Float](repeating: 0, count: max(length, 1))
        h[0] = 1
        var envelope = 0.5
        for i in 1..<h.count {
            envelope *= decayPerSample
            h[i] = Float(envelope * generator.nextGaussian() * 0.3)
        }
        // Scale so that the echo's power is the speaker's times echoGainDB.
        let energy = h.reduce(0.0) { $0 + Double($1) * Double($1) }
        let gain = pow(10, echoGainDB / 20) / energy.squareRoot()
        response = h.map { Float(Double($0) * gain) }
    }

    /// The microphone's signal for a whole recording: the echo of `speaker`, plus noise, plus
    /// `user` (already at its level), mixed sample for sample (`user` may be shorter).
    public func microphone(speaker: [Float], user: [Float] = [], seed: UInt64 = 2) -> [Float] {
        var stream = Stream(room: self, seed: seed)
        var mic = stream.process(speaker)
        for i in 0..<min(user.count, mic.count) { mic[i] += user[i] }
        return mic
    }

    /// The room sample by sample, for audio that arrives in chunks (a live loop): keeps the
    /// speaker's recent past for the convolution.
    public struct Stream: Sendable {
        let room: TestRoom
        private var history: [Float]
        private var noise: SplitMix64
        private let noiseAmplitude: Double

        public init(room: TestRoom, seed: UInt64 = 2) {
            self.room = room
            history = [Float](repeating: 0, count: room.delaySamples + room.response.count)
            noise = SplitMix64(seed: seed)
            noiseAmplitude = room.noiseDB <= -120 ? 0 : pow(10, room.noiseDB / 20)
        }

        /// The microphone's echo and noise for the next `speaker` samples.
        public mutating func process(_ speaker: [Float]) -> [Float] {
            let past = history.count
            history += speaker
            let h = room.response, delay = room.delaySamples
            var out = [Float](repeating: 0, count: speaker.count)
            history.withUnsafeBufferPointer { x in
                h.withUnsafeBufferPointer { h in
                    for n in 0..<speaker.count {
                        let now = past + n - delay
                        var sum: Float = 0
                        for k in 0..<h.count { sum += h[k] * x[now - k] }
                        out[n] = sum
                    }
                }
            }
            if noiseAmplitude > 0 {
                for n in out.indices { out[n] += Float(noiseAmplitude * noise.nextGaussian()) }
            }
            history.removeFirst(speaker.count)
            return out
        }
    }
}

extension SplitMix64 {
    /// A standard normal sample (Box–Muller).
    mutating func nextGaussian() -> Double {
        let u1 = max(nextUnitDouble(), 1e-300)
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * nextUnitDouble())
    }
}

import AudioIO
/// Measures a turn as its audio arrives: the level of each 10 ms hop and its F0 (the costly
/// part, ~30 ms for a 7 s turn at once) are computed with the audio, so that the evidence at the
/// turn's end, which the reply waits for, is only their statistics.
public struct AcousticMeter: Sendable {
    public let sampleRate: Int
    private var pitch: PitchTracker.Stream
    private var levels: [Double] = []
    /// Samples of the level hop not yet complete.
    private var pendingLevel: [Float] = []
    private var sampleCount = 0

    public init(sampleRate: Int = 16_000) {
        self.sampleRate = sampleRate
        var tracker = PitchTracker()
        tracker.sampleRate = sampleRate
        pitch = PitchTracker.Stream(tracker)
    }

    public mutating func append(_ samples: [Float]) {
        sampleCount += samples.count
        pitch.append(samples)
        let hop = sampleRate / 100
        var index = 0
        while index < samples.count {
            let take = min(hop - pendingLevel.count, samples.count - index)
            pendingLevel += samples[index..<(index + take)]
            index += take
            if pendingLevel.count == hop {
                levels.append(SignalLevel.decibels(pendingLevel))
                pendingLevel.removeAll(keepingCapacity: true)
            }
        }
    }

    /// How the audio appended so far sounded.
    public var evidence: AcousticEvidence {
        AcousticEvidence.from(levels: levels, f0: pitch.pitches, durationSeconds: Double(sampleCount) / Double(sampleRate))
    }
}

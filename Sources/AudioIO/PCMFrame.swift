/// A block of mono audio at a known sample rate, as float samples in [-1, 1].
///
/// Frames are the unit that flows between capture, the session and playback. `startSample`
/// counts samples from the start of the stream at `sampleRate`, so a consumer can tell gaps
/// and positions (for instance `audio_start_ms`) without a clock.
public struct PCMFrame: Sendable, Equatable {
    public var samples: [Float]
    public var sampleRate: Int
    public var startSample: Int

    public init(samples: [Float], sampleRate: Int, startSample: Int = 0) {
        self.samples = samples
        self.sampleRate = sampleRate
        self.startSample = startSample
    }

    public var duration: Double { Double(samples.count) / Double(sampleRate) }
    public var startTime: Double { Double(startSample) / Double(sampleRate) }

    /// Number of samples in `milliseconds` of audio at `sampleRate`.
    public static func sampleCount(milliseconds: Int, sampleRate: Int) -> Int {
        milliseconds * sampleRate / 1000
    }
}

/// The sample rates the pipeline moves audio between.
public enum StandardRate {
    /// Whisper's input rate.
    public static let recognizer = 16_000
    /// Piper's medium voices.
    public static let voice = 22_050
    /// The protocol's PCM rate.
    public static let pcm = 24_000
    /// Opus's native rate.
    public static let opus = 48_000
    public static let all = [16_000, 22_050, 24_000, 48_000]
}

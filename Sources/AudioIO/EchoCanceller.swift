import CSpeexDSP
import Foundation

/// Acoustic echo cancellation: removes from the microphone what the speaker played into it, so
/// that the user can talk over the reply (speexdsp's multi-delay block frequency-domain adaptive
/// filter, then its preprocessor's residual echo suppression and noise suppression).
///
/// `process(near:far:)` takes the microphone (`near`) and, sample for sample, what the speaker was
/// playing at that moment (`far`), both at `Settings.sampleRate`. The far signal may lead the echo
/// by anything up to the filter's tail (what has not been aligned beforehand, plus the room's
/// reverberation); it must never lag it, since a filter cannot cancel an echo of sound it has not
/// yet been shown. Not thread-safe: one owner, the microphone's reader.
public final class EchoCanceller {
    public struct Settings: Sendable, Equatable {
        public var sampleRate = 16_000
        /// 20 ms frames: speexdsp adapts once a frame. In the simulated room (EchoCancellerTests)
        /// 20 ms frames converged to 25 dB in about 2 s where 10 ms frames took over 3 s.
        public var frameSamples = 320
        /// How long an echo path the filter models: the delay left after alignment plus the
        /// room's reverberation. 250 ms covers a living room's early reflections with the
        /// delay estimate's slack.
        public var tailMilliseconds = 250
        /// Attenuation of the echo left after the filter, while only the speaker plays and while
        /// the user talks too (dB; speexdsp's defaults are −40 and −15).
        public var residualSuppressionDB: Int32 = -40
        public var residualSuppressionWhileTalkingDB: Int32 = -15
        /// Noise suppression (dB; 0 turns it off).
        public var noiseSuppressionDB: Int32 = -15

        public init() {}
    }

    /// Echo return loss enhancement: how much quieter the output is than the microphone while
    /// the speaker plays, smoothed over about a second of such frames. Includes the user's voice
    /// when they talk over the reply (which lowers it), so it is an estimate of ERLE, exact on
    /// echo alone.
    public struct Statistics: Sendable, Equatable {
        public var enhancementDB: Double = 0
        /// Frames processed while the speaker was playing, and in all.
        public var farActiveFrames = 0
        public var frames = 0
    }

    public let settings: Settings
    public private(set) var statistics = Statistics()
    private let echo: OpaquePointer
    private let preprocessor: OpaquePointer
    private var nearPending: [Int16] = []
    private var farPending: [Int16] = []
    private var nearFrame: [Int16]
    private var farFrame: [Int16]
    private var outFrame: [Int16]
    private var smoothedNear = 1e-12
    private var smoothedOut = 1e-12

    public init(_ settings: Settings = Settings()) throws(AudioError) {
        guard settings.sampleRate >= 8_000, settings.sampleRate <= 48_000, settings.frameSamples > 0,
              settings.tailMilliseconds >= 10 else {
            throw .echoCanceller("unsupported settings: \(settings.sampleRate) Hz, \(settings.frameSamples)-sample frames, \(settings.tailMilliseconds) ms tail")
        }
        let tail = Int32(settings.sampleRate * settings.tailMilliseconds / 1000)
        guard let echo = speex_echo_state_init(Int32(settings.frameSamples), tail) else { throw .echoCanceller("speex_echo_state_init failed") }
        guard let preprocessor = speex_preprocess_state_init(Int32(settings.frameSamples), Int32(settings.sampleRate)) else {
            speex_echo_state_destroy(echo)
            throw .echoCanceller("speex_preprocess_state_init failed")
        }
        self.settings = settings
        self.echo = echo
        self.preprocessor = preprocessor
        nearFrame = [Int16](repeating: 0, count: settings.frameSamples)
        farFrame = nearFrame
        outFrame = nearFrame
        var rate = Int32(settings.sampleRate)
        _ = speex_echo_ctl(echo, SPEEX_ECHO_SET_SAMPLING_RATE, &rate)
        _ = speex_preprocess_ctl(preprocessor, SPEEX_PREPROCESS_SET_ECHO_STATE, UnsafeMutableRawPointer(echo))
        var suppress = settings.residualSuppressionDB
        _ = speex_preprocess_ctl(preprocessor, SPEEX_PREPROCESS_SET_ECHO_SUPPRESS, &suppress)
        var suppressActive = settings.residualSuppressionWhileTalkingDB
        _ = speex_preprocess_ctl(preprocessor, SPEEX_PREPROCESS_SET_ECHO_SUPPRESS_ACTIVE, &suppressActive)
        var denoise: Int32 = settings.noiseSuppressionDB < 0 ? 1 : 0
        _ = speex_preprocess_ctl(preprocessor, SPEEX_PREPROCESS_SET_DENOISE, &denoise)
        var noise = settings.noiseSuppressionDB
        if noise < 0 { _ = speex_preprocess_ctl(preprocessor, SPEEX_PREPROCESS_SET_NOISE_SUPPRESS, &noise) }
    }

    deinit {
        speex_preprocess_state_destroy(preprocessor)
        speex_echo_state_destroy(echo)
    }

    /// How far the output trails the input: one frame (the preprocessor's analysis window
    /// overlaps the next frame).
    public var latencySamples: Int { settings.frameSamples }

    /// Cancels the echo of `far` in `near` (equal lengths, any chunk size). Returns the cancelled
    /// microphone for the whole frames available so far, `latencySamples` behind the input.
    public func process(near: [Float], far: [Float]) -> [Float] {
        precondition(near.count == far.count, "the microphone and the speaker's signal come in pairs")
        nearPending += near.map(Self.int16)
        farPending += far.map(Self.int16)
        let n = settings.frameSamples
        let frames = nearPending.count / n
        var output: [Float] = []
        output.reserveCapacity(frames * n)
        for f in 0..<frames {
            for i in 0..<n {
                nearFrame[i] = nearPending[f * n + i]
                farFrame[i] = farPending[f * n + i]
            }
            speex_echo_cancellation(echo, nearFrame, farFrame, &outFrame)
            _ = speex_preprocess_run(preprocessor, &outFrame)
            account(near: nearFrame, far: farFrame, out: outFrame)
            output += outFrame.map { Float($0) / 32768 }
        }
        nearPending.removeFirst(frames * n)
        farPending.removeFirst(frames * n)
        return output
    }

    /// Starts adapting afresh (after the echo path changed beyond what the filter follows).
    public func reset() {
        speex_echo_state_reset(echo)
        statistics = Statistics()
        smoothedNear = 1e-12
        smoothedOut = 1e-12
    }

    private func account(near: [Int16], far: [Int16], out: [Int16]) {
        statistics.frames += 1
        let farPower = Self.power(far)
        // The speaker is playing: more than −60 dBFS of it.
        guard farPower > 32768.0 * 32768.0 * 1e-6 else { return }
        statistics.farActiveFrames += 1
        let decay = 0.98  // about a second of 20 ms frames
        smoothedNear = decay * smoothedNear + (1 - decay) * Self.power(near)
        smoothedOut = decay * smoothedOut + (1 - decay) * Self.power(out)
        statistics.enhancementDB = 10 * log10(max(smoothedNear, 1e-12) / max(smoothedOut, 1e-12))
    }

    private static func power(_ frame: [Int16]) -> Double {
        var sum = 0.0
        for s in frame { sum += Double(s) * Double(s) }
        return sum / Double(max(frame.count, 1))
    }

    private static func int16(_ x: Float) -> Int16 {
        Int16(max(-32768, min(32767, (x * 32768).rounded())))
    }
}

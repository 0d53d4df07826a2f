import Foundation

/// Acoustic echo cancellation: removes from the microphone what the speaker played into it, so
/// that the user can talk over the reply. Two filters (`Settings.filter`): speexdsp's
/// (`SpeexEchoFilter`: an adaptive filter, then residual echo and noise suppression; the
/// default, since the user's voice comes through it nearly untouched) and WebRTC's
/// (`WebRTCEchoFilter`: converges in under a second, but takes 6–8 dB off a user who talks over
/// the reply). docs/echo-cancellation.md compares them.
///
/// `process(near:far:)` takes the microphone (`near`) and, sample for sample, what the speaker was
/// playing at that moment (`far`), both at `Settings.sampleRate`. The far signal may lead the echo
/// by anything up to the filter's tail (what has not been aligned beforehand, plus the room's
/// reverberation); it must never lag it, since a filter cannot cancel an echo of sound it has not
/// yet been shown. Not thread-safe: one owner, the microphone's reader.
public final class EchoCanceller {
    public struct Settings: Sendable, Equatable {
        /// Which filter removes the echo.
        public enum Filter: String, Sendable, CaseIterable {
            case speex, webrtc
        }
        public var filter = Filter.speex
        public var sampleRate = 16_000
        /// speexdsp: 20 ms frames (it adapts once a frame). In the simulated room
        /// (EchoCancellerTests) 20 ms frames converged to 25 dB in about 2 s where 10 ms frames
        /// took over 3 s. WebRTC's module always takes 10 ms frames.
        public var frameSamples = 320
        /// speexdsp: how long an echo path the filter models: the delay left after alignment
        /// plus the room's reverberation. 250 ms covers a living room's early reflections with
        /// the delay estimate's slack.
        public var tailMilliseconds = 250
        /// speexdsp: attenuation of the echo left after the filter, while only the speaker plays
        /// and while the user talks too (dB; speexdsp's defaults are −40 and −15).
        public var residualSuppressionDB: Int32 = -40
        public var residualSuppressionWhileTalkingDB: Int32 = -15
        /// speexdsp: noise suppression (dB; 0 turns it off).
        public var noiseSuppressionDB: Int32 = -15
        /// speexdsp: WebRTC's canceller gives the output while speexdsp's learns the room
        /// (`BridgedEchoFilter`): 25 dB of echo removal within a second instead of about two.
        public var bridgesWarmUp = true
        /// WebRTC: how hard what the filter leaves is suppressed (0 low, 1 moderate, 2 high). Low
        /// kept the echo above 25 dB of ERLE only after 2–9 s; high takes 2 dB more off the user.
        public var webrtcSuppression: Int32 = 1

        public init(filter: Filter = .speex) { self.filter = filter }

        /// What the settings describe, for logs and `doctor`.
        public var summary: String {
            switch filter {
            case .speex:
                "speexdsp echo canceller at \(sampleRate) Hz, \(tailMilliseconds) ms tail, residual echo suppression \(residualSuppressionDB) dB"
                    + (bridgesWarmUp ? ", WebRTC's standing in while it learns the room" : "")
            case .webrtc:
                "WebRTC echo canceller at \(sampleRate) Hz (extended filter, delay-agnostic), suppression level \(webrtcSuppression)"
            }
        }
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
    private let filter: any EchoFilter
    private var nearPending: [Int16] = []
    private var farPending: [Int16] = []
    private var nearFrame: [Int16]
    private var farFrame: [Int16]
    private var outFrame: [Int16]
    private var removal = EchoRemovalMeter(decay: 0.98)

    public init(_ settings: Settings = Settings()) throws(AudioError) {
        guard settings.sampleRate >= 8_000, settings.sampleRate <= 48_000, settings.frameSamples > 0,
              settings.tailMilliseconds >= 10 else {
            throw .echoCanceller("unsupported settings: \(settings.sampleRate) Hz, \(settings.frameSamples)-sample frames, \(settings.tailMilliseconds) ms tail")
        }
        switch settings.filter {
        case .speex: filter = settings.bridgesWarmUp ? try BridgedEchoFilter(settings) : try SpeexEchoFilter(settings)
        case .webrtc: filter = try WebRTCEchoFilter(settings)
        }
        self.settings = settings
        nearFrame = [Int16](repeating: 0, count: filter.frameSamples)
        farFrame = nearFrame
        outFrame = nearFrame
    }

    /// How far the output trails the input.
    public var latencySamples: Int { filter.latencySamples }

    /// Whether WebRTC's canceller is standing in while speexdsp's learns (`BridgedEchoFilter`).
    public var isBridging: Bool { (filter as? BridgedEchoFilter)?.bridging ?? false }

    /// Cancels the echo of `far` in `near` (equal lengths, any chunk size). Returns the cancelled
    /// microphone for the whole frames available so far, `latencySamples` behind the input.
    public func process(near: [Float], far: [Float]) -> [Float] {
        precondition(near.count == far.count, "the microphone and the speaker's signal come in pairs")
        nearPending += near.map(Self.int16)
        farPending += far.map(Self.int16)
        let n = filter.frameSamples
        let frames = nearPending.count / n
        var output: [Float] = []
        output.reserveCapacity(frames * n)
        for f in 0..<frames {
            for i in 0..<n {
                nearFrame[i] = nearPending[f * n + i]
                farFrame[i] = farPending[f * n + i]
            }
            filter.cancel(near: nearFrame, far: farFrame, into: &outFrame)
            account(near: nearFrame, far: farFrame, out: outFrame)
            output += outFrame.map { Float($0) / 32768 }
        }
        nearPending.removeFirst(frames * n)
        farPending.removeFirst(frames * n)
        return output
    }

    /// Starts adapting afresh (after the echo path changed beyond what the filter follows).
    public func reset() {
        filter.reset()
        statistics = Statistics()
        removal = EchoRemovalMeter(decay: 0.98)
    }

    private func account(near: [Int16], far: [Int16], out: [Int16]) {
        statistics.frames += 1
        guard removal.add(near: near, far: far, out: out) else { return }
        statistics.farActiveFrames += 1
        statistics.enhancementDB = removal.decibels
    }

    private static func int16(_ x: Float) -> Int16 {
        Int16(max(-32768, min(32767, (x * 32768).rounded())))
    }
}

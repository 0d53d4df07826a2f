import AudioIO

/// The local loop's echo canceller (`audio.echo=cancel`): the microphone and what was sent to the
/// speaker, each resampled from its device's rate to the canceller's 16 kHz here and nowhere
/// else, paired by `EchoAlignment` with the speaker's measured delay, cancelled by
/// `EchoCanceller`. Out comes the microphone without the reply, at 16 kHz.
final class LoopEchoCanceller {
    let canceller: EchoCanceller
    private var alignment: EchoAlignment
    private let microphone: Resampler
    private let speaker: Resampler
    private let playbackRate: Int
    /// Added to the speaker's device delay: a capture period (how old the newest microphone
    /// sample can be when it is read) and 20 ms, so that the far end leads its echo; the filter's
    /// tail (250 ms) holds the rest of the room's delay and reverberation.
    private let margin: Int
    private var lastDelay = 0

    init(captureRate: Int, capturePeriodFrames: Int, playbackRate: Int) throws(AudioError) {
        canceller = try EchoCanceller()
        let rate = canceller.settings.sampleRate
        microphone = try Resampler(from: captureRate, to: rate)
        speaker = try Resampler(from: playbackRate, to: rate)
        self.playbackRate = playbackRate
        margin = capturePeriodFrames * rate / captureRate + rate / 50
        // Drift beyond 40 ms re-pairs the streams (read jitter is one period, 20 ms by default).
        alignment = EchoAlignment(tolerance: rate / 25)
    }

    /// Cancels the echo in the microphone samples just read, given the speaker samples sent since
    /// the last call and the speaker's current device delay (frames at its rate).
    func process(microphone mic: [Float], sent: [Float], playbackDelayFrames: Int) throws(AudioError) -> [Float] {
        alignment.appendFar(try speaker.process(sent))
        let near = try microphone.process(mic)
        let rate = canceller.settings.sampleRate
        lastDelay = playbackDelayFrames * rate / playbackRate + margin
        let far = alignment.far(forNext: near.count, delay: lastDelay)
        return canceller.process(near: near, far: far)
    }

    /// ERLE estimate (dB) and the alignment delay (ms) for logs and /metrics.
    var enhancementDB: Double { canceller.statistics.enhancementDB }
    var delayMilliseconds: Double { Double(lastDelay) * 1000 / Double(canceller.settings.sampleRate) }
    var realignments: Int { alignment.realignments }
}

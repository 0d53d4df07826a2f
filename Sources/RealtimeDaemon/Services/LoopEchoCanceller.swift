import AudioIO

/// The local loop's echo canceller (`audio.echo=cancel`): the microphone and what was sent to the
/// speaker, each resampled from its device's rate to the canceller's 16 kHz here and nowhere
/// else, paired and cancelled by `AligningEchoCanceller` (the speaker's reported delay first,
/// then the echo's measured one). Out comes the microphone without the reply, at 16 kHz.
final class LoopEchoCanceller {
    private let aligning: AligningEchoCanceller
    var canceller: EchoCanceller { aligning.canceller }
    private var alignment: EchoAlignment { aligning.alignment }
    private let microphone: Resampler
    private let speaker: Resampler
    private let playbackRate: Int

    init(captureRate: Int, playbackRate: Int, filter: EchoCanceller.Settings.Filter = .speex) throws(AudioError) {
        aligning = try AligningEchoCanceller(EchoCanceller.Settings(filter: filter))
        let rate = aligning.canceller.settings.sampleRate
        microphone = try Resampler(from: captureRate, to: rate)
        speaker = try Resampler(from: playbackRate, to: rate)
        self.playbackRate = playbackRate
    }

    /// Cancels the echo in the microphone samples just read, given the speaker samples sent since
    /// the last call and the speaker's current device delay (frames at its rate).
    func process(microphone mic: [Float], sent: [Float], playbackDelayFrames: Int) throws(AudioError) -> [Float] {
        aligning.appendFar(try speaker.process(sent))
        let near = try microphone.process(mic)
        let out = aligning.process(near: near, deviceDelay: playbackDelayFrames * canceller.settings.sampleRate / playbackRate)
        updateTrust()
        return out
    }

    /// Whether the canceller alone keeps the reply out of the microphone: the echo's path was
    /// measured and the filter has removed at least 20 dB of it over a second of playback. Until
    /// then (at start, and after the path moved and the filter started afresh) the loop gates
    /// its output as `audio.echo=gate` does, so that a reply cannot interrupt itself while the
    /// filter learns. Once trusted it stays so for that path: the user talking over the reply
    /// lowers the ERLE estimate, and must not bring the gate back just when they interrupt.
    /// While WebRTC's canceller stands in for speexdsp's (`EchoCanceller.isBridging`), the gate
    /// stays: WebRTC's output reaches 20 dB within a second of a fresh start, but its
    /// suppression still lets bursts of the reply through then (one was taken for a turn).
    private(set) var trusted = false
    private var trustedPath = 0

    private func updateTrust() {
        if trusted, echoPathsMeasured != trustedPath { trusted = false }
        let statistics = canceller.statistics
        if !trusted, alignment.measured, !canceller.isBridging, statistics.farActiveFrames >= 50, statistics.enhancementDB >= 20 {
            trusted = true
            trustedPath = echoPathsMeasured
        }
    }

    /// ERLE estimate (dB) and the alignment delay (ms) for logs and /metrics.
    var enhancementDB: Double { canceller.statistics.enhancementDB }
    var delayMilliseconds: Double { Double(alignment.echoDelay ?? 0) * 1000 / Double(canceller.settings.sampleRate) }
    /// How many times the echo's delay was measured and adopted (0: the device's report is used).
    var echoPathsMeasured: Int { alignment.measured ? 1 + alignment.realignments : 0 }
    /// The envelope correlation behind the latest measurement.
    var delayCorrelation: Double { alignment.correlation }
}

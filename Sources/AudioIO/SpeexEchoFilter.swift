import CSpeexDSP

/// speexdsp's multi-delay block frequency-domain adaptive filter, then its preprocessor's
/// residual echo suppression and noise suppression (which read the filter's state).
final class SpeexEchoFilter: EchoFilter {
    let frameSamples: Int
    private let echo: OpaquePointer
    private let preprocessor: OpaquePointer

    init(_ settings: EchoCanceller.Settings) throws(AudioError) {
        let tail = Int32(settings.sampleRate * settings.tailMilliseconds / 1000)
        guard let echo = speex_echo_state_init(Int32(settings.frameSamples), tail) else { throw .echoCanceller("speex_echo_state_init failed") }
        guard let preprocessor = speex_preprocess_state_init(Int32(settings.frameSamples), Int32(settings.sampleRate)) else {
            speex_echo_state_destroy(echo)
            throw .echoCanceller("speex_preprocess_state_init failed")
        }
        frameSamples = settings.frameSamples
        self.echo = echo
        self.preprocessor = preprocessor
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

    /// One frame: the preprocessor's analysis window overlaps the next frame.
    var latencySamples: Int { frameSamples }

    func cancel(near: [Int16], far: [Int16], into out: inout [Int16]) {
        speex_echo_cancellation(echo, near, far, &out)
        _ = speex_preprocess_run(preprocessor, &out)
    }

    func reset() { speex_echo_state_reset(echo) }
}

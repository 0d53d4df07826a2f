import CWebRTCAudio

/// WebRTC's echo canceller (Debian's webrtc-audio-processing: the extended adaptive filter,
/// its own delay estimate, then non-linear suppression of what the filter leaves) and its noise
/// suppression, through a small C++ shim (`CWebRTCAudio`). 10 ms frames whatever
/// `Settings.frameSamples` says. The noise suppression is what brings the echo 25 dB down in
/// under a second: without it the room's echo stayed above that for 2–9 s of a reply.
final class WebRTCEchoFilter: EchoFilter {
    let frameSamples: Int
    private let module: OpaquePointer
    /// The far signal comes aligned to the echo (`EchoAlignment`), ahead of it by its margin:
    /// the module is told so, and estimates the rest itself.
    private let delayHintMs: Int32 = 40

    init(_ settings: EchoCanceller.Settings) throws(AudioError) {
        // Noise suppression at its moderate level whenever speexdsp's would be on.
        let noise: Int32 = settings.noiseSuppressionDB < 0 ? 2 : 0
        guard let module = rtd_webrtc_echo_create(Int32(settings.sampleRate), settings.webrtcSuppression, noise) else {
            throw .echoCanceller("WebRTC's echo canceller refused \(settings.sampleRate) Hz (8, 16, 32 or 48 kHz) or suppression level \(settings.webrtcSuppression) (0–2)")
        }
        self.module = module
        frameSamples = Int(rtd_webrtc_echo_frame_samples(module))
        latencySamples = frameSamples * (noise > 0 ? 13 : 7) / 10
    }

    deinit { rtd_webrtc_echo_destroy(module) }

    /// The module's own delay: its output matched the microphone best 13 ms late with noise
    /// suppression (208 samples at 16 kHz), 7 ms without (EchoCancellerTests).
    let latencySamples: Int

    /// The module works in place on a copy of the microphone's frame, and leaves it untouched
    /// when it refuses the frame (it never has at these settings): the microphone passes on then.
    func cancel(near: [Int16], far: [Int16], into out: inout [Int16]) {
        for i in 0..<frameSamples { out[i] = near[i] }
        far.withUnsafeBufferPointer { farPointer in
            out.withUnsafeMutableBufferPointer { outPointer in
                _ = rtd_webrtc_echo_process(module, farPointer.baseAddress, outPointer.baseAddress, delayHintMs)
            }
        }
    }

    func reset() { _ = rtd_webrtc_echo_reset(module) }
}

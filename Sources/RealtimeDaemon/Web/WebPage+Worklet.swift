extension WebPage {
    /// Runs on the audio thread: hands each 128-sample block of the microphone (already at the
    /// context's 24 kHz) to the page.
    static let captureWorklet = #"""
    class CaptureProcessor extends AudioWorkletProcessor {
      process(inputs) {
        const channel = inputs[0] && inputs[0][0];
        if (channel) this.port.postMessage(channel.slice(0));
        return true;
      }
    }
    registerProcessor("capture", CaptureProcessor);
    """#
}

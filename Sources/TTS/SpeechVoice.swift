import Engine

/// Something that turns text into speech: the Piper VITS voice, or espeak-ng's own synthesiser
/// when no Piper voice is installed.
public protocol SpeechVoice: AnyObject, Sendable {
    /// Output sample rate in Hz.
    var sampleRate: Int { get }
    /// A short description for logs and `--json` output.
    var name: String { get }
    /// Audio in [−1, 1] for `text` (one clause or several sentences). Checks `cancellation`
    /// between stages and throws `TTSError.cancelled` when it is set.
    func synthesize(_ text: String, cancellation: CancellationFlag?) throws(TTSError) -> [Float]
    /// The same audio in pieces, each handed to `onAudio` as soon as it exists (the flag marks
    /// the last), so playback can start before the whole text is synthesised: the first clause
    /// of a reply, where the time to the first sound is what the listener notices.
    func synthesize(_ text: String, cancellation: CancellationFlag?, onAudio: ([Float], _ isLast: Bool) -> Void) throws(TTSError)
}

extension SpeechVoice {
    public func synthesize(_ text: String, cancellation: CancellationFlag?, onAudio: ([Float], _ isLast: Bool) -> Void) throws(TTSError) {
        onAudio(try synthesize(text, cancellation: cancellation), true)
    }

    /// Runs one short synthesis so that the first real one does not pay for first-use costs
    /// (thread start-up, first allocations, espeak-ng's dictionaries).
    public func warmUp() {
        _ = try? synthesize("Ready.", cancellation: nil)
    }
}

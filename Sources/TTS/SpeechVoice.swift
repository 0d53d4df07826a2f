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
}

/// Failures of the voice module.
public enum TTSError: Error, Equatable, CustomStringConvertible {
    /// libespeak-ng could not start (its data directory is missing, for instance).
    case espeakNG(String)
    /// A voice's `.onnx.json` that cannot be used.
    case voiceConfiguration(path: String, message: String)
    /// The voice model could not be loaded or run.
    case model(String)
    /// Synthesis was cancelled (barge-in).
    case cancelled

    public var description: String {
        switch self {
        case .espeakNG(let message): return "espeak-ng: \(message)"
        case let .voiceConfiguration(path, message): return "voice configuration \(path): \(message)"
        case let .model(message): return "voice: \(message)"
        case .cancelled: return "speech synthesis was cancelled"
        }
    }
}

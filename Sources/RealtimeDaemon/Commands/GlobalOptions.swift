import ArgumentParser
import Engine
import Foundation
import Logging

/// Options every subcommand shares: where the configuration comes from and what to override.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Configuration file (YAML).", discussion:
        "Default: $RTD_CONFIG, else ~/.config/realtime-daemon/config.yaml or /etc/realtime-daemon/config.yaml if present.",
        valueName: "path"))
    var config: String?

    @Option(name: .customLong("set"), help: ArgumentHelp("Override one key, e.g. --set audio.period_ms=10 (repeatable; see `config keys`).",
        valueName: "key=value"))
    var overrides: [String] = []

    @Option(name: .long, help: ArgumentHelp("Directory of model files (same as --set models.dir=...).", valueName: "path"))
    var modelsDir: String?

    @Option(name: .long, help: ArgumentHelp("trace, debug, info, notice, warning, error or critical.", valueName: "level"))
    var logLevel: String?

    /// Loads and checks the configuration; failures become a validation error with the reason.
    func resolve() throws -> (ResolvedConfiguration, DaemonConfiguration) {
        var all = overrides
        if let modelsDir { all.append("\(ConfigKey.modelsDir.name)=\(modelsDir)") }
        if let logLevel { all.append("\(ConfigKey.logLevel.name)=\(logLevel)") }
        let loader = ConfigurationLoader()
        do {
            let resolved = try loader.load(file: config ?? loader.defaultFile(), overrides: all)
            return (resolved, try DaemonConfiguration(resolved))
        } catch {
            throw ValidationError(error.description)
        }
    }
}

/// swift-log to standard error (the journal under systemd). Called once, by the command that runs.
enum LogSetup {
    static func bootstrap(level: Logger.Level) -> Logger {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "realtime-daemon")
        let note = BLASStartup.note
        switch note.level {
        case .debug: logger.debug("\(note.text)")
        case .notice: logger.notice("\(note.text)")
        case .warning: logger.warning("\(note.text)")
        }
        return logger
    }
}

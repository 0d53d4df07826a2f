import ArgumentParser
import Engine
import Logging
import ServiceLifecycle

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the daemon until SIGTERM or SIGINT.",
        discussion: """
            Loads the configuration, checks the models, opens the local ALSA devices when \
            audio.enabled allows it, and tells systemd when it is ready (Type=notify) and that \
            it is alive (WatchdogSec). SIGTERM or SIGINT shuts it down cleanly.
            """
    )

    @OptionGroup var options: GlobalOptions

    func run() async throws {
        let (resolved, config) = try options.resolve()
        let logger = LogSetup.bootstrap(level: config.logLevel)
        logger.info("realtime-daemon \(RealtimeDaemonCommand.version) starting", metadata: [
            "config": "\(resolved.file ?? "none")", "models": "\(config.modelsDirectory.path)",
        ])

        let store = ModelStore(directory: config.modelsDirectory)
        for role in ModelRole.allCases {
            do { try store.require(role) } catch { logger.warning("\(error)") }
        }

        var services: [any Service] = []
        do {
            if let audio = try AudioDevicesService.open(config, logger: logger) { services.append(audio) }
        } catch {
            logger.error("\(error)")
            throw ExitCode(1)
        }
        services.append(SystemdService(status: services.isEmpty ? "running without local audio" : "running with local audio", logger: logger))

        let group = ServiceGroup(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        do {
            try await group.run()
        } catch {
            logger.error("stopped on error: \(error)")
            throw ExitCode(1)
        }
        logger.info("stopped")
    }
}

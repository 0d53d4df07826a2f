import ArgumentParser
import Engine
import Logging
import ServiceLifecycle
import AudioIO
import Streaming

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the daemon until SIGTERM or SIGINT.",
        discussion: """
            Loads the configuration and the models, serves the realtime WebSocket protocol on \
            ws://server.host:server.port/v1/realtime (with /healthz and /metrics), opens the local \
            ALSA devices when audio.enabled allows it, and tells systemd when it is ready \
            (Type=notify) and that it is alive (WatchdogSec). SIGTERM or SIGINT shuts it down \
            cleanly: replies in progress are cancelled and every session is closed.
            """
    )

    @OptionGroup var options: GlobalOptions

    func run() async throws {
        let (resolved, config) = try options.resolve()
        let logger = LogSetup.bootstrap(level: config.logLevel)
        logger.info("realtime-daemon \(RealtimeDaemonCommand.version) starting", metadata: [
            "config": "\(resolved.file ?? "none")", "models": "\(config.modelsDirectory.path)",
        ])

        let metrics = DaemonMetrics()
        let models: SessionServices
        do { models = try ModelSet.load(config, observer: metrics.remoteObserver, logger: logger) } catch {
            logger.error("\(error)")
            throw ExitCode(1)
        }
        metrics.engine.withLock { $0 = (models.scheduler, (models.engine as? EmbeddedReplyEngine)?.batcher) }
        let defaults = config.sessionDefaults

        let ready = ReadySignal()
        var server = RealtimeServer(settings: config.server, services: models, defaults: defaults, metrics: metrics, logger: logger)
        server.onListening = { _ in ready.set() }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: server)]
        do {
            if let audio = try AudioDevicesService.open(config, logger: logger) {
                audio.voiceLoop = (models, config.localLoopDefaults, metrics)
                // The voice loop reopens its devices itself; should it still end, the server goes on.
                services.append(.init(service: audio, successTerminationBehavior: .ignore, failureTerminationBehavior: .ignore))
            }
        } catch {
            logger.error("\(error)")
            throw ExitCode(1)
        }
        let status = services.count == 1 ? "serving; no local audio" : "serving, with local audio"
        if let wyoming = config.wyoming {
            services.append(.init(service: WyomingServer(settings: wyoming, services: models, defaults: defaults, logger: logger)))
        }
        services.append(.init(service: SystemdService(status: status, ready: ready, logger: logger)))

        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            logger.error("stopped on error: \(error)")
            throw ExitCode(1)
        }
        logger.info("stopped")
    }
}

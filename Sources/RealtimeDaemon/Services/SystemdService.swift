import Logging
import ServiceLifecycle

/// Tells systemd the daemon is ready once the server listens, keeps its watchdog fed at half
/// the interval it asked for, and says STOPPING=1 as soon as a graceful shutdown begins.
struct SystemdService: Service {
    let notifier = SystemdNotifier()
    let status: String
    let ready: ReadySignal
    let logger: Logger

    func run() async throws {
        await ready.wait()
        guard ready.isSet else { return }
        if notifier.notify("READY=1\nSTATUS=\(status)") {
            logger.info("notified systemd: ready")
        }
        if let interval = notifier.watchdogInterval {
            logger.info("systemd watchdog enabled", metadata: ["interval": "\(interval)"])
            let notifier = self.notifier
            try? await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    notifier.notify("WATCHDOG=1")
                    try await Task.sleep(for: interval / 2)
                }
            }
        } else {
            try? await gracefulShutdown()
        }
        notifier.notify("STOPPING=1\nSTATUS=shutting down")
    }
}

import CSystemd

/// The sd_notify protocol through libsystemd: READY=1 once serving, WATCHDOG=1 while healthy,
/// STOPPING=1 on shutdown. Outside systemd (no $NOTIFY_SOCKET) every call is a no-op.
struct SystemdNotifier: Sendable {
    /// Sends a state string such as "READY=1\nSTATUS=listening"; returns false when no
    /// supervisor is listening.
    @discardableResult
    func notify(_ state: String) -> Bool {
        sd_notify(0, state) > 0
    }

    /// The interval at which systemd expects WATCHDOG=1 (WatchdogSec), if it asked for any.
    var watchdogInterval: Duration? {
        var usec: UInt64 = 0
        guard sd_watchdog_enabled(0, &usec) > 0, usec > 0 else { return nil }
        return .microseconds(Int64(usec))
    }
}

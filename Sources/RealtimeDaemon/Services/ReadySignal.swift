import ServiceLifecycle
import Synchronization

/// Set once the server has bound its port; awaited by `SystemdService` so that READY=1 means
/// "answering" (a port already in use never shows as a started service).
final class ReadySignal: Sendable {
    private let ready = Atomic<Bool>(false)

    func set() { ready.store(true, ordering: .releasing) }
    var isSet: Bool { ready.load(ordering: .acquiring) }

    /// Returns once set, or when the task is cancelled or the service group shuts down.
    func wait() async {
        while !isSet && !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}

import Foundation
import Synchronization

/// Orders the two cores' work by what the listener waits for (DESIGN.md: first audio of a reply
/// before articulation tokens, before thinking tokens). Urgent work (the first clause of a
/// reply being synthesised) marks itself; token generation calls `yieldToUrgentWork()` between
/// tokens and waits while urgent work runs, so the two do not take turns on the compute pool.
public enum ComputePriority {
    private static let urgent = Atomic<Int>(0)

    /// Marks urgent work as pending from now (it may not have started yet: the first clause is
    /// queued for synthesis) until the matching `end()`.
    public static func begin() { urgent.add(1, ordering: .sequentiallyConsistent) }
    public static func end() { urgent.subtract(1, ordering: .sequentiallyConsistent) }

    public static var hasUrgentWork: Bool { urgent.load(ordering: .relaxed) > 0 }

    /// Waits while urgent work runs, at most `limit` (so nothing starves if it runs long).
    public static func yieldToUrgentWork(limit: Duration = .milliseconds(250)) {
        guard hasUrgentWork else { return }
        let deadline = ContinuousClock.now + limit
        while hasUrgentWork && ContinuousClock.now < deadline { usleep(500) }
    }
}

import Foundation
import Synchronization

/// Failed authentications per peer address: after `allowed` within a minute, the peer is refused
/// (429) until that minute is over, so a token cannot be guessed at network speed and a flood
/// of refusals is logged once, not line by line.
final class AuthFailureLimiter: Sendable {
    static let allowed = 10
    static let window: Duration = .seconds(60)
    /// Peers remembered at most (the oldest windows are forgotten first).
    static let remembered = 4_096

    private struct Window { var start: ContinuousClock.Instant; var failures: Int }
    private let windows = Mutex<[String: Window]>([:])

    /// Whether `peer` used up its failures in the current window.
    func isBlocked(_ peer: String, now: ContinuousClock.Instant = .now) -> Bool {
        windows.withLock { windows in
            guard let w = windows[peer], now - w.start < Self.window else { return false }
            return w.failures >= Self.allowed
        }
    }

    /// Counts a failure; true when it should be logged (the first few of a window).
    @discardableResult
    func record(_ peer: String, now: ContinuousClock.Instant = .now) -> Bool {
        windows.withLock { windows in
            if windows.count >= Self.remembered, windows[peer] == nil {
                windows = windows.filter { now - $0.value.start < Self.window }
                if windows.count >= Self.remembered { windows.removeAll() }
            }
            var w = windows[peer] ?? Window(start: now, failures: 0)
            if now - w.start >= Self.window { w = Window(start: now, failures: 0) }
            w.failures += 1
            windows[peer] = w
            return w.failures <= 3
        }
    }
}

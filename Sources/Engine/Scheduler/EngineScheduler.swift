import Dispatch
import Foundation
import Synchronization

/// The cores' one queue: every piece of model work of every session (a transcription pass, a
/// decode step, a prefill chunk, a clause of speech) takes its turn here, most urgent first
/// (`WorkPriority`, then the earliest deadline, then the first to ask). Work runs on the caller's
/// thread while it holds the turn, and uses all the engine's cores itself (`Parallel`), so one
/// piece runs at a time and none competes with another for the cores.
///
/// Waiting costs nothing (a semaphore, no spinning). A waiter whose cancellation flag is set
/// leaves the queue without running; work that may be skipped (a partial transcript) leaves it
/// when it has waited longer than its `shedAfter`, which is how a busy machine sheds the least
/// urgent work first. Pieces are short (milliseconds to a few hundred), so urgent work never
/// waits long for the piece in progress.
public final class EngineScheduler: Sendable {
    /// How a turn request ended.
    public enum Turn: Sendable, Equatable {
        /// The work ran.
        case ran
        /// Its cancellation flag was set while it waited.
        case cancelled
        /// It waited longer than its `shedAfter` (the machine is busy).
        case shed
        /// Another caller did it (`withdraw`), e.g. a batched decode step that carried its rows.
        case withdrawn
    }

    /// A place in the queue, for `withdraw`.
    public final class Ticket: Sendable {
        let id: Int
        let priority: WorkPriority
        let deadline: ContinuousClock.Instant?
        let enqueued: ContinuousClock.Instant
        fileprivate let wake = DispatchSemaphore(value: 0)
        fileprivate let state = Mutex(TicketState.waiting)

        init(id: Int, priority: WorkPriority, deadline: ContinuousClock.Instant?) {
            self.id = id
            self.priority = priority
            self.deadline = deadline
            enqueued = .now
        }

        /// The priority it counts with now: later clauses become as urgent as a first one
        /// when the audio ahead of them is about to run out.
        func effectivePriority(at now: ContinuousClock.Instant) -> WorkPriority {
            if priority == .nextClause, let deadline, deadline - now < EngineScheduler.promotionMargin { return .firstAudio }
            return priority
        }
    }

    fileprivate enum TicketState { case waiting, granted, withdrawn }

    /// A later clause whose audio is needed within this long runs as a first one would.
    public static let promotionMargin: Duration = .milliseconds(400)

    private struct State {
        var running = false
        var waiting: [Ticket] = []
        var nextID = 0
        var stats: [WorkPriority: Statistics] = [:]
    }

    /// Per priority: pieces run, skipped, and time spent waiting and running.
    public struct Statistics: Sendable, Equatable {
        public var ran = 0
        public var shed = 0
        public var cancelled = 0
        public var waitSeconds = 0.0
        public var runSeconds = 0.0
        /// The longest the cores were held without a checkpoint: what more urgent work may wait.
        public var longestHoldSeconds = 0.0
        public init() {}
    }

    private let state = Mutex(State())

    public init() {}

    /// Runs `body` when this work's turn comes and returns `.ran` with its result, or returns
    /// without running it (`cancelled`, `shed`, `withdrawn`). `onTicket` gets the place in the
    /// queue before waiting starts (for `withdraw`).
    public func perform<T, E: Error>(_ priority: WorkPriority, deadline: ContinuousClock.Instant? = nil, shedAfter: Duration? = nil,
                                      cancellation: CancellationFlag? = nil, onTicket: (Ticket) -> Void = { _ in },
                                      _ body: () throws(E) -> T) throws(E) -> (Turn, T?) {
        if cancellation?.isCancelled == true { return (.cancelled, nil) }
        let ticket = state.withLock { s -> Ticket in
            s.nextID += 1
            return Ticket(id: s.nextID, priority: priority, deadline: deadline)
        }
        onTicket(ticket)
        let turn = waitForTurn(ticket, shedAfter: shedAfter, cancellation: cancellation)
        guard turn == .ran else {
            record(priority) { stats in
                if turn == .shed { stats.shed += 1 }
                if turn == .cancelled { stats.cancelled += 1 }
            }
            return (turn, nil)
        }
        let started = ContinuousClock.now
        let holder = TurnHolder(scheduler: self, ticket: ticket)
        let outer = TurnHolder.current
        TurnHolder.current = holder
        defer {
            TurnHolder.current = outer
            let finished = ContinuousClock.now
            record(priority) { stats in
                stats.ran += 1
                stats.waitSeconds += (started - ticket.enqueued).seconds + holder.yieldedSeconds
                stats.runSeconds += (finished - started).seconds - holder.yieldedSeconds
                stats.longestHoldSeconds = max(stats.longestHoldSeconds, holder.longestHold, (finished - holder.holdStarted).seconds)
            }
            handOver()
        }
        return (.ran, try body())
    }

    /// Called by long work at points where it can pause (between encoder layers, between a
    /// voice's stages): if more urgent work is waiting, it runs now and this work continues after
    /// it. A no-op outside `perform`, or when nothing more urgent waits. Bounds what urgent work
    /// waits for the piece in progress to tens of milliseconds.
    public static func checkpoint() {
        guard let holder = TurnHolder.current else { return }
        holder.scheduler.yield(holder)
    }

    private func yield(_ holder: TurnHolder) {
        let now = ContinuousClock.now
        let resume = state.withLock { s -> (next: Ticket, mine: Ticket)? in
            guard let index = s.waiting.indices.min(by: { Self.before(s.waiting[$0], s.waiting[$1], at: now) }),
                  s.waiting[index].effectivePriority(at: now) < holder.ticket.effectivePriority(at: now) else { return nil }
            let next = s.waiting.remove(at: index)
            next.state.withLock { $0 = .granted }
            s.nextID += 1
            let mine = Ticket(id: holder.ticket.id, priority: holder.ticket.priority, deadline: holder.ticket.deadline)
            s.waiting.append(mine)
            return (next, mine)
        }
        guard let resume else { return }
        let paused = ContinuousClock.now
        holder.longestHold = max(holder.longestHold, (paused - holder.holdStarted).seconds)
        resume.next.wake.signal()
        resume.mine.wake.wait()  // granted back (nobody withdraws or sheds a paused piece)
        holder.yieldedSeconds += (ContinuousClock.now - paused).seconds
        holder.holdStarted = .now
    }

    /// Takes `ticket` out of the queue if it is still waiting (its caller returns `.withdrawn`).
    @discardableResult
    public func withdraw(_ ticket: Ticket) -> Bool {
        let withdrawn = ticket.state.withLock { s -> Bool in
            guard s == .waiting else { return false }
            s = .withdrawn
            return true
        }
        guard withdrawn else { return false }
        state.withLock { s in s.waiting.removeAll { $0 === ticket } }
        ticket.wake.signal()
        return true
    }

    /// The turn the current thread holds, for `checkpoint`.
    final class TurnHolder: @unchecked Sendable {
        let scheduler: EngineScheduler
        let ticket: Ticket
        var yieldedSeconds = 0.0
        var holdStarted = ContinuousClock.now
        var longestHold = 0.0

        init(scheduler: EngineScheduler, ticket: Ticket) {
            self.scheduler = scheduler
            self.ticket = ticket
        }

        static var current: TurnHolder? {
            get { Thread.current.threadDictionary[key] as? TurnHolder }
            set { Thread.current.threadDictionary[key] = newValue }
        }

        private static let key = "rtd.engine-scheduler.turn"
    }

    /// What ran, and how long it waited, per priority since start.
    public var statistics: [WorkPriority: Statistics] { state.withLock { $0.stats } }

    /// Pieces of work waiting now.
    public var queueLength: Int { state.withLock { $0.waiting.count } }

    /// Whether work more urgent than `priority` is waiting: optional work (speak first's
    /// thinking) holds back then, which is how a busy machine sheds it.
    public func isBusy(above priority: WorkPriority) -> Bool {
        let now = ContinuousClock.now
        return state.withLock { s in s.waiting.contains { $0.effectivePriority(at: now) < priority } }
    }

    // MARK: The queue

    private func waitForTurn(_ ticket: Ticket, shedAfter: Duration?, cancellation: CancellationFlag?) -> Turn {
        let immediate = state.withLock { s -> Bool in
            if !s.running && s.waiting.isEmpty {
                s.running = true
                return true
            }
            s.waiting.append(ticket)
            return false
        }
        if immediate {
            ticket.state.withLock { $0 = .granted }
            return .ran
        }
        // Woken when granted or withdrawn; between wakes, every 20 ms, the flag and the age are
        // looked at (the queue never waits on a waiter that has gone).
        while true {
            if ticket.wake.wait(timeout: .now() + .milliseconds(20)) == .success {
                return ticket.state.withLock { $0 } == .granted ? .ran : .withdrawn
            }
            let giveUp: Turn? = if cancellation?.isCancelled == true { .cancelled }
                else if let shedAfter, ContinuousClock.now - ticket.enqueued > shedAfter { .shed }
                else { nil }
            guard let giveUp else { continue }
            let left = ticket.state.withLock { s -> Bool in
                guard s == .waiting else { return false }
                s = .withdrawn
                return true
            }
            if left {
                state.withLock { s in s.waiting.removeAll { $0 === ticket } }
                return giveUp
            }
            // Granted (or withdrawn) at the same moment: take the outcome that happened.
            ticket.wake.wait()
            if ticket.state.withLock({ $0 }) == .granted {
                handOver()  // the turn is not used: pass it on
                return giveUp
            }
            return .withdrawn
        }
    }

    /// Gives the turn to the most urgent waiter, or frees it.
    private func handOver() {
        let next = state.withLock { s -> Ticket? in
            let now = ContinuousClock.now
            guard let index = s.waiting.indices.min(by: { Self.before(s.waiting[$0], s.waiting[$1], at: now) }) else {
                s.running = false
                return nil
            }
            let ticket = s.waiting.remove(at: index)
            ticket.state.withLock { $0 = .granted }
            return ticket
        }
        next?.wake.signal()
    }

    /// Whether `a` goes before `b`: priority, then deadline, then arrival.
    static func before(_ a: Ticket, _ b: Ticket, at now: ContinuousClock.Instant) -> Bool {
        let pa = a.effectivePriority(at: now), pb = b.effectivePriority(at: now)
        if pa != pb { return pa < pb }
        switch (a.deadline, b.deadline) {
        case let (x?, y?) where x != y: return x < y
        case (_?, nil): return true
        case (nil, _?): return false
        default: return a.id < b.id
        }
    }

    private func record(_ priority: WorkPriority, _ update: (inout Statistics) -> Void) {
        state.withLock { s in update(&s.stats[priority, default: Statistics()]) }
    }
}

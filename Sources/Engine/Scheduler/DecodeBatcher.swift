import Dispatch
import Synchronization

/// One decode step for every reply that needs one, across sessions: each reply asks for its
/// rows (its articulation token, its formulation token, or both); whichever request gets the
/// scheduler's turn first computes all the rows waiting at that moment in one batched step
/// (`LlamaModel.decode`: the weights are streamed once for all of them) and hands each request
/// its logits; the others leave the queue without running. Four sessions' replies then cost
/// little more than one.
public final class DecodeBatcher: Sendable {
    public let model: LlamaModel
    public let scheduler: EngineScheduler
    /// Rows in one step at most (a step's cost grows with its rows past a few).
    public let maximumRows: Int

    private final class Request: Sendable {
        let rows: [(token: Int, cache: KVCache)]
        let priority: WorkPriority
        let result = Mutex<Result<[[Float]], EngineError>?>(nil)
        let ticket = Mutex<EngineScheduler.Ticket?>(nil)

        init(rows: [(token: Int, cache: KVCache)], priority: WorkPriority) {
            self.rows = rows
            self.priority = priority
        }
    }

    private let pending = Mutex<[Request]>([])
    private let steps = Atomic<Int>(0)
    private let batchedRows = Atomic<Int>(0)

    public init(model: LlamaModel, scheduler: EngineScheduler, maximumRows: Int = 16) {
        self.model = model
        self.scheduler = scheduler
        self.maximumRows = maximumRows
    }

    /// The logits of `rows` after one step, or nil if `cancellation` was set while waiting.
    public func decode(_ rows: [(token: Int, cache: KVCache)], priority: WorkPriority,
                       cancellation: CancellationFlag? = nil) throws(EngineError) -> [[Float]]? {
        let request = Request(rows: rows, priority: priority)
        pending.withLock { $0.append(request) }
        let (turn, _) = scheduler.perform(priority, cancellation: cancellation, onTicket: { ticket in
            request.ticket.withLock { $0 = ticket }
        }) {
            self.runStep(leader: request)
        }
        if turn != .ran, turn != .withdrawn {
            pending.withLock { $0.removeAll { $0 === request } }
        }
        switch request.result.withLock({ $0 }) {
        case .success(let logits)?: return logits
        case .failure(let error)?: throw error
        case nil: return nil
        }
    }

    /// Steps run and rows computed since start (rows / steps is the batching achieved).
    public var statistics: (steps: Int, rows: Int) { (steps.load(ordering: .relaxed), batchedRows.load(ordering: .relaxed)) }

    /// Takes the leader's request and every other one waiting (most urgent first, up to
    /// `maximumRows`), computes them in one step, and releases the others from the queue.
    private func runStep(leader: Request) {
        let batch = pending.withLock { queue -> [Request] in
            guard queue.contains(where: { $0 === leader }) else { return [] }  // done by another step
            var chosen = [leader]
            var rows = leader.rows.count
            for request in queue.sorted(by: { $0.priority < $1.priority }) where request !== leader && rows + request.rows.count <= maximumRows {
                chosen.append(request)
                rows += request.rows.count
            }
            queue.removeAll { request in chosen.contains { $0 === request } }
            return chosen
        }
        guard !batch.isEmpty else { return }
        let rows = batch.flatMap(\.rows)
        let result = Result { () throws(EngineError) in try model.decode(rows) }
        steps.add(1, ordering: .relaxed)
        batchedRows.add(rows.count, ordering: .relaxed)
        var offset = 0
        for request in batch {
            let share = result.map { Array($0[offset..<offset + request.rows.count]) }
            offset += request.rows.count
            request.result.withLock { $0 = share }
            if request !== leader, let ticket = request.ticket.withLock({ $0 }) { scheduler.withdraw(ticket) }
        }
    }
}

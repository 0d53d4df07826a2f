import Dispatch
import Foundation
import Synchronization

/// Persistent worker threads for model compute, woken in microseconds.
///
/// A decode step makes a few hundred parallel sections of a few microseconds each; waking
/// Dispatch's workers through the kernel for every one cost more than the work. Here the workers
/// spin on a generation counter while sections follow each other closely, and go to sleep on a
/// semaphore after `spinLimit` of idleness, so an idle daemon does not burn a core.
public final class ComputePool: @unchecked Sendable {
    private final class Worker: @unchecked Sendable {
        let sleeping = Atomic<Bool>(false)
        let wake = DispatchSemaphore(value: 0)
    }

    public let threads: Int
    private let workers: [Worker]
    private let generation = Atomic<Int>(0)
    private let remaining = Atomic<Int>(0)
    private let callerLock = Mutex(())
    /// The section being run; set before `generation` is published, cleared after all finish.
    nonisolated(unsafe) private var job: ((Int) -> Void)?
    private let spinLimit: Duration = .microseconds(200)

    public init(threads: Int) {
        self.threads = max(1, threads)
        workers = (1..<max(1, threads)).map { _ in Worker() }
        for (i, worker) in workers.enumerated() {
            let thread = Thread { [unowned self] in self.workerLoop(index: i + 1, worker: worker) }
            thread.name = "compute-\(i + 1)"
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    /// Pools shared by thread count (workers live for the process).
    public static func shared(threads: Int) -> ComputePool {
        sharedPools.withLock { pools in
            if let pool = pools[threads] { return pool }
            let pool = ComputePool(threads: threads)
            pools[threads] = pool
            return pool
        }
    }

    private static let sharedPools = Mutex<[Int: ComputePool]>([:])

    /// Runs `body(part)` for part in 0..<threads, the caller taking part 0; returns when all are done.
    public func run(_ body: (Int) -> Void) {
        guard threads > 1 else { body(0); return }
        callerLock.withLock { _ in
            withoutActuallyEscaping(body) { body in
                job = body
                remaining.store(workers.count, ordering: .sequentiallyConsistent)
                generation.add(1, ordering: .sequentiallyConsistent)
                for worker in workers where worker.sleeping.load(ordering: .sequentiallyConsistent) {
                    worker.wake.signal()
                }
                body(0)
                while remaining.load(ordering: .acquiring) > 0 { spinPause() }
                job = nil
            }
        }
    }

    private func workerLoop(index: Int, worker: Worker) {
        // Generation 0 is the pool's creation: a section published before this thread got here
        // is still seen as new.
        var seen = 0
        while true {
            var idleSince: ContinuousClock.Instant?
            var spins = 0
            while generation.load(ordering: .acquiring) == seen {
                spinPause()
                spins += 1
                guard spins % 64 == 0 else { continue }  // the clock is read now and then, not every spin
                let now = ContinuousClock.now
                guard let start = idleSince else { idleSince = now; continue }
                if now - start > spinLimit {
                    worker.sleeping.store(true, ordering: .sequentiallyConsistent)
                    if generation.load(ordering: .sequentiallyConsistent) == seen { worker.wake.wait() }
                    worker.sleeping.store(false, ordering: .sequentiallyConsistent)
                    idleSince = nil
                }
            }
            seen = generation.load(ordering: .acquiring)
            job?(index)
            remaining.subtract(1, ordering: .releasing)
        }
    }

    @inline(__always)
    private func spinPause() {
        for _ in 0..<16 { _ = generation.load(ordering: .relaxed) }
    }
}

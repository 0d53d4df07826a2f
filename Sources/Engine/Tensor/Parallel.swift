import Dispatch

/// Splits work over a fixed number of threads. Uses Dispatch's worker threads, never the Swift
/// cooperative pool, so model compute cannot starve async code.
public enum Parallel {
    /// Calls `body(range)` for `threads` contiguous chunks of `0..<count`, concurrently, and
    /// returns when all are done. Chunk boundaries are multiples of `granularity`.
    public static func chunks(_ count: Int, threads: Int, granularity: Int = 1, _ body: (Range<Int>) -> Void) {
        let n = max(1, min(threads, count / max(1, granularity)))
        if n == 1 {
            body(0..<count)
            return
        }
        let units = (count + granularity - 1) / granularity
        withoutActuallyEscaping(body) { body in
            // The chunks are disjoint and the call returns only when all are done, so sharing
            // the non-Sendable closure (and what it captures) across the workers is safe.
            nonisolated(unsafe) let body = body
            DispatchQueue.concurrentPerform(iterations: n) { i in
                let start = min(count, units * i / n * granularity)
                let end = min(count, units * (i + 1) / n * granularity)
                if start < end { body(start..<end) }
            }
        }
    }
}

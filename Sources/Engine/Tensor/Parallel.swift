/// Splits work over a fixed number of threads: the caller's and a `ComputePool`'s workers, never
/// the Swift cooperative pool, so model compute cannot starve async code.
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
        // The chunks are disjoint and `run` returns only when all are done, so sharing the
        // non-Sendable closure (and what it captures) across the workers is safe.
        ComputePool.shared(threads: n).run { i in
            let start = min(count, units * i / n * granularity)
            let end = min(count, units * (i + 1) / n * granularity)
            if start < end { body(start..<end) }
        }
    }
}

import Synchronization

/// A lock-free ring buffer for exactly one producer thread and one consumer thread.
///
/// This is how audio crosses between the real-time ALSA threads and the rest of the daemon:
/// `write` and `read` never allocate, lock or block. The indices are monotonically increasing
/// counters (wrapping is by masking, so the capacity is a power of two); the producer alone
/// stores `writeIndex` with release ordering after copying the samples, and the consumer alone
/// stores `readIndex` after copying them out, so each side sees the other's data complete.
///
/// When the producer finds the buffer full it writes what fits and the rest is counted in
/// `droppedCount`: a stalled consumer is made visible, never hidden.
public final class SPSCRingBuffer<Element: BitwiseCopyable>: @unchecked Sendable {
    public let capacity: Int
    private let mask: Int
    private let storage: UnsafeMutablePointer<Element>
    private let writeIndex = Atomic<Int>(0)
    private let readIndex = Atomic<Int>(0)
    private let dropped = Atomic<Int>(0)

    /// - Parameter minimumCapacity: rounded up to a power of two.
    public init(minimumCapacity: Int, zero: Element) {
        var c = 1
        while c < max(1, minimumCapacity) { c <<= 1 }
        capacity = c
        mask = c - 1
        storage = .allocate(capacity: c)
        storage.initialize(repeating: zero, count: c)
    }

    deinit { storage.deallocate() }

    /// Elements ready to read (consumer side; exact for the consumer, a lower bound elsewhere).
    public var availableToRead: Int {
        writeIndex.load(ordering: .acquiring) - readIndex.load(ordering: .relaxed)
    }

    /// Free space (producer side).
    public var availableToWrite: Int {
        capacity - (writeIndex.load(ordering: .relaxed) - readIndex.load(ordering: .acquiring))
    }

    /// Elements the producer could not store because the buffer was full, since creation.
    public var droppedCount: Int { dropped.load(ordering: .relaxed) }

    /// Producer: copies as much of `source` as fits; returns how many were written. The rest is
    /// added to `droppedCount` when `countDrops` is true.
    @discardableResult
    public func write(_ source: UnsafeBufferPointer<Element>, countDrops: Bool = true) -> Int {
        let w = writeIndex.load(ordering: .relaxed)
        let r = readIndex.load(ordering: .acquiring)
        let n = min(source.count, capacity - (w - r))
        if n > 0, let base = source.baseAddress {
            let start = w & mask
            let first = min(n, capacity - start)
            (storage + start).update(from: base, count: first)
            if n > first { storage.update(from: base + first, count: n - first) }
            writeIndex.store(w + n, ordering: .releasing)
        }
        if countDrops, n < source.count { dropped.add(source.count - n, ordering: .relaxed) }
        return n
    }

    /// Consumer: copies up to `destination.count` elements out; returns how many were read.
    @discardableResult
    public func read(into destination: UnsafeMutableBufferPointer<Element>) -> Int {
        let r = readIndex.load(ordering: .relaxed)
        let w = writeIndex.load(ordering: .acquiring)
        let n = min(destination.count, w - r)
        if n > 0, let base = destination.baseAddress {
            let start = r & mask
            let first = min(n, capacity - start)
            base.update(from: storage + start, count: first)
            if n > first { (base + first).update(from: storage, count: n - first) }
            readIndex.store(r + n, ordering: .releasing)
        }
        return n
    }

    /// Consumer: discards everything currently buffered; returns how many elements were dropped.
    @discardableResult
    public func drain() -> Int {
        let w = writeIndex.load(ordering: .acquiring)
        let r = readIndex.load(ordering: .relaxed)
        readIndex.store(w, ordering: .releasing)
        return w - r
    }
}

extension SPSCRingBuffer {
    /// Convenience for non-real-time callers (tests, file feeders): copies an array in.
    @discardableResult
    public func write(_ elements: [Element]) -> Int {
        elements.withUnsafeBufferPointer { write($0) }
    }

    /// Convenience for non-real-time callers: reads up to `maxCount` elements into a new array.
    public func read(maxCount: Int) -> [Element] {
        let n = min(maxCount, availableToRead)
        guard n > 0 else { return [] }
        return [Element](unsafeUninitializedCapacity: n) { buffer, count in
            count = read(into: UnsafeMutableBufferPointer(rebasing: buffer[0..<n]))
        }
    }
}

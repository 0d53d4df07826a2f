import Foundation
import Testing
import AudioIO
import Streaming

@Suite struct SPSCRingBufferTests {
    @Test func capacityIsRoundedToPowerOfTwo() {
        #expect(SPSCRingBuffer<Float>(minimumCapacity: 1000, zero: 0).capacity == 1024)
    }

    @Test func wrapsAroundAndCountsDrops() {
        let ring = SPSCRingBuffer<Int32>(minimumCapacity: 8, zero: 0)
        #expect(ring.write([1, 2, 3, 4, 5, 6]) == 6)
        #expect(ring.read(maxCount: 4) == [1, 2, 3, 4])
        #expect(ring.write([7, 8, 9, 10, 11, 12, 13]) == 6)  // 2 left + 6 free = 8; one dropped
        #expect(ring.droppedCount == 1)
        #expect(ring.read(maxCount: 100) == [5, 6, 7, 8, 9, 10, 11, 12])
        #expect(ring.availableToRead == 0)
    }

    @Test func drainDiscardsEverything() {
        let ring = SPSCRingBuffer<Float>(minimumCapacity: 16, zero: 0)
        ring.write([1, 2, 3])
        #expect(ring.drain() == 3)
        #expect(ring.read(maxCount: 10).isEmpty)
    }

    /// A producer and a consumer thread move 4 million samples through a small ring in chunks of
    /// varying size; the consumer checks that every sample arrives once, in order.
    @Test func twoThreadStressLosesAndReordersNothing() async {
        let total = 4_000_000
        let ring = SPSCRingBuffer<UInt32>(minimumCapacity: 1024, zero: 0)
        let producer = Thread {
            var next: UInt32 = 0
            var chunk = [UInt32](repeating: 0, count: 300)
            var size = 1
            while Int(next) < total {
                size = size % 300 + 1
                let n = min(size, total - Int(next))
                for i in 0..<n { chunk[i] = next + UInt32(i) }
                let written = chunk.withUnsafeBufferPointer { ring.write(UnsafeBufferPointer(rebasing: $0[0..<n]), countDrops: false) }
                next += UInt32(written)
                if written == 0 { sched_yield() }
            }
        }
        producer.start()
        var expected: UInt32 = 0
        var errors = 0
        var buffer = [UInt32](repeating: 0, count: 257)
        while Int(expected) < total {
            let n = buffer.withUnsafeMutableBufferPointer { ring.read(into: $0) }
            for i in 0..<n where buffer[i] != expected + UInt32(i) { errors += 1 }
            expected += UInt32(n)
            if n == 0 { sched_yield() }
        }
        #expect(errors == 0)
        #expect(Int(expected) == total)
        #expect(ring.droppedCount == 0)
    }
}

/// Turns token bytes into text as they stream: emits the longest complete UTF-8 prefix and keeps
/// a character cut across tokens until its last byte arrives.
struct UTF8Accumulator {
    private var pending: [UInt8] = []

    mutating func append(_ bytes: [UInt8]) -> String {
        pending += bytes
        var end = pending.count
        // Find where a trailing incomplete sequence starts (at most 3 bytes back).
        var back = 0
        while back < min(3, pending.count) {
            let b = pending[pending.count - 1 - back]
            if b & 0xC0 != 0x80 {
                let needed = b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1
                if needed > back + 1 { end = pending.count - 1 - back }
                break
            }
            back += 1
        }
        let text = String(decoding: pending[..<end], as: UTF8.self)
        pending.removeFirst(end)
        return text
    }

    mutating func flush() -> String {
        defer { pending = [] }
        return String(decoding: pending, as: UTF8.self)
    }
}

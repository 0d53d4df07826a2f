/// The keys and values one sequence has computed, for every layer, up to `capacity` positions,
/// stored as float16 (as llama.cpp stores them by default: half the memory, same numbers).
/// Each layer's key (and value) heads are stored one after the other, a head's positions
/// contiguous: attention reads one head's keys position after position, which is then one
/// sequential stream the hardware prefetcher follows, where rows of all heads per position
/// made it a strided one (at a few hundred positions the cache no longer fits in L2).
///
/// `tokens` records what the cache holds, so a new prompt that starts with the same tokens (a
/// session's system prompt and history) reuses that prefix and only the rest is prefilled.
public final class KVCache: @unchecked Sendable {
    public let capacity: Int
    let layers: Int
    let kvHeads: Int
    let headDimension: Int
    var kvDimension: Int { kvHeads * headDimension }
    let keys: UnsafeMutablePointer<Float16>
    let values: UnsafeMutablePointer<Float16>
    /// The tokens whose keys and values are stored, in order.
    public private(set) var tokens: [Int] = []

    public var count: Int { tokens.count }
    /// No room for another token (a reply ends here rather than failing).
    public var isFull: Bool { tokens.count >= capacity - 1 }

    public init(configuration: LlamaConfiguration, capacity: Int) {
        self.capacity = capacity
        layers = configuration.layers
        kvHeads = configuration.kvHeads
        headDimension = configuration.headDimension
        let size = configuration.layers * capacity * configuration.kvDimension
        keys = .allocate(capacity: size)
        values = .allocate(capacity: size)
    }

    deinit {
        keys.deallocate()
        values.deallocate()
    }

    /// Key head `head` of `layer`: `headDimension` values per position, positions contiguous.
    @inline(__always)
    func keys(layer: Int, head: Int) -> UnsafeMutablePointer<Float16> {
        keys + (layer * kvHeads + head) * capacity * headDimension
    }

    /// Value head `head` of `layer`, laid out as `keys(layer:head:)`.
    @inline(__always)
    func values(layer: Int, head: Int) -> UnsafeMutablePointer<Float16> {
        values + (layer * kvHeads + head) * capacity * headDimension
    }

    /// Length of the longest prefix of `prompt` already stored.
    public func commonPrefix(with prompt: [Int]) -> Int {
        var n = 0
        while n < min(prompt.count, tokens.count), prompt[n] == tokens[n] { n += 1 }
        return n
    }

    /// Forgets everything after the first `count` tokens.
    public func truncate(to count: Int) {
        if count < tokens.count { tokens.removeLast(tokens.count - count) }
    }

    /// Makes this cache hold the first `count` tokens of `other` (same model), copying their keys
    /// and values instead of computing them again: two streams that share a prompt prefill it once.
    public func copyPrefix(from other: KVCache, count: Int) {
        precondition(other.layers == layers && other.kvHeads == kvHeads && other.headDimension == headDimension,
                     "caches of different models")
        let n = Swift.min(count, other.count, capacity)
        for layer in 0..<layers {
            for head in 0..<kvHeads {
                keys(layer: layer, head: head).update(from: other.keys(layer: layer, head: head), count: n * headDimension)
                values(layer: layer, head: head).update(from: other.values(layer: layer, head: head), count: n * headDimension)
            }
        }
        tokens = Array(other.tokens.prefix(n))
    }

    func append(_ newTokens: some Sequence<Int>) { tokens.append(contentsOf: newTokens) }

    /// Bytes held for keys and values.
    public var byteCount: Int { 2 * layers * capacity * kvDimension * MemoryLayout<Float16>.size }
}

/// The keys and values one sequence has computed, for every layer, up to `capacity` positions,
/// stored as float16 (as llama.cpp stores them by default: half the memory, same numbers).
///
/// `tokens` records what the cache holds, so a new prompt that starts with the same tokens (a
/// session's system prompt and history) reuses that prefix and only the rest is prefilled.
public final class KVCache: @unchecked Sendable {
    public let capacity: Int
    let layers: Int
    let kvDimension: Int
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
        kvDimension = configuration.kvDimension
        let size = layers * capacity * kvDimension
        keys = .allocate(capacity: size)
        values = .allocate(capacity: size)
    }

    deinit {
        keys.deallocate()
        values.deallocate()
    }

    @inline(__always)
    func keyRow(layer: Int, position: Int) -> UnsafeMutablePointer<Float16> {
        keys + (layer * capacity + position) * kvDimension
    }

    @inline(__always)
    func valueRow(layer: Int, position: Int) -> UnsafeMutablePointer<Float16> {
        values + (layer * capacity + position) * kvDimension
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
        precondition(other.layers == layers && other.kvDimension == kvDimension, "caches of different models")
        let n = Swift.min(count, other.count, capacity)
        for layer in 0..<layers {
            keyRow(layer: layer, position: 0).update(from: other.keyRow(layer: layer, position: 0), count: n * kvDimension)
            valueRow(layer: layer, position: 0).update(from: other.valueRow(layer: layer, position: 0), count: n * kvDimension)
        }
        tokens = Array(other.tokens.prefix(n))
    }

    func append(_ newTokens: some Sequence<Int>) { tokens.append(contentsOf: newTokens) }

    /// Bytes held for keys and values.
    public var byteCount: Int { 2 * layers * capacity * kvDimension * MemoryLayout<Float16>.size }
}

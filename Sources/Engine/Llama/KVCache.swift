/// The keys and values one sequence has computed, for every layer, up to `capacity` positions,
/// stored as float16 (as llama.cpp stores them by default: half the memory, same numbers).
/// Each layer's key (and value) heads are stored one after the other, a head's positions
/// contiguous: attention reads one head's keys position after position, which is then one
/// sequential stream the hardware prefetcher follows, where rows of all heads per position
/// made it a strided one (at a few hundred positions the cache no longer fits in L2).
///
/// `tokens` records what the cache holds, so a new prompt that starts with the same tokens (a
/// session's system prompt and history) reuses that prefix and only the rest is prefilled.
///
/// A cache can also read its first positions from another cache's storage (`sharePrefix`): the
/// two streams of a reply share the conversation, which is then stored once, and attention
/// reads it once for both when they are decoded together (`LlamaModel.attention` takes the
/// rows of a key/value head one after the other, so the second read comes from the core's
/// cache).
public final class KVCache: @unchecked Sendable {
    public let capacity: Int
    let layers: Int
    let kvHeads: Int
    let headDimension: Int
    var kvDimension: Int { kvHeads * headDimension }
    private let keys: UnsafeMutablePointer<Float16>
    private let values: UnsafeMutablePointer<Float16>
    /// The tokens whose keys and values are stored, in order.
    public private(set) var tokens: [Int] = []
    /// The cache whose storage holds this one's first `lentCount` positions (nil: all are here).
    /// A cache that lends has no lender itself, so a lender's own storage holds what it lends.
    public private(set) var lender: KVCache?
    /// How many of the first positions are read from `lender`.
    public private(set) var lentCount = 0
    /// The caches that read a prefix of this one's storage.
    private var borrowers: [WeakCache] = []

    private final class WeakCache {
        weak var cache: KVCache?
        init(_ cache: KVCache) { self.cache = cache }
    }

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
        lender?.forget(self)
        keys.deallocate()
        values.deallocate()
    }

    /// Key head `head` of `layer` in this cache's own storage: `headDimension` values per
    /// position, positions contiguous. Positions below `lentCount` are not stored here.
    @inline(__always)
    func ownKeys(layer: Int, head: Int) -> UnsafeMutablePointer<Float16> {
        keys + (layer * kvHeads + head) * capacity * headDimension
    }

    /// Value head `head` of `layer` in this cache's own storage, laid out as `ownKeys`.
    @inline(__always)
    func ownValues(layer: Int, head: Int) -> UnsafeMutablePointer<Float16> {
        values + (layer * kvHeads + head) * capacity * headDimension
    }

    /// Where a key/value head's positions are: the first `split` at `lentKeys` and `lentValues`
    /// (the lender's storage), the others at their offsets from `ownKeys` and `ownValues`.
    struct HeadStorage {
        let lentKeys, lentValues, ownKeys, ownValues: UnsafePointer<Float16>
        let split: Int
    }

    @inline(__always)
    func storage(layer: Int, head: Int) -> HeadStorage {
        let holder = lender ?? self
        return HeadStorage(lentKeys: UnsafePointer(holder.ownKeys(layer: layer, head: head)),
                           lentValues: UnsafePointer(holder.ownValues(layer: layer, head: head)),
                           ownKeys: UnsafePointer(ownKeys(layer: layer, head: head)),
                           ownValues: UnsafePointer(ownValues(layer: layer, head: head)), split: lentCount)
    }

    /// Length of the longest prefix of `prompt` already stored.
    public func commonPrefix(with prompt: [Int]) -> Int {
        var n = 0
        while n < min(prompt.count, tokens.count), prompt[n] == tokens[n] { n += 1 }
        return n
    }

    /// Forgets everything after the first `count` tokens. Caches that read more than that of
    /// this one's storage first copy what they read, since it is about to be overwritten.
    public func truncate(to count: Int) {
        guard count < tokens.count else { return }
        for borrower in liveBorrowers() where borrower.lentCount > count { borrower.detach() }
        tokens.removeLast(tokens.count - count)
        if lentCount > count { lentCount = count }
        if lentCount == 0 { releaseLender() }
    }

    /// Makes this cache hold the first `count` tokens of `other` (same model) without computing
    /// them again: two streams that share a prompt prefill it once. The keys and values are read
    /// from the storage that holds them (`other`'s, or its lender's), not copied; only what
    /// `other` itself stores beyond its lender's part is copied.
    public func sharePrefix(of other: KVCache, count: Int) {
        precondition(other.layers == layers && other.kvHeads == kvHeads && other.headDimension == headDimension,
                     "caches of different models")
        let n = Swift.min(count, other.count, capacity)
        guard other !== self else { truncate(to: n); return }
        // What this cache lends is about to change: its borrowers keep their own copies (which
        // also leaves `other` without a lender if it was one of them).
        for borrower in liveBorrowers() { borrower.detach() }
        releaseLender()
        let root = other.lender ?? other
        let lent = other.lender == nil ? n : Swift.min(n, other.lentCount)
        if lent > 0 {
            lender = root
            lentCount = lent
            root.borrowers.append(WeakCache(self))
        }
        copy(from: other, positions: lent..<n)
        tokens = Array(other.tokens.prefix(n))
    }

    /// Copies the lent positions into this cache's own storage and stops borrowing.
    private func detach() {
        guard let lender else { return }
        copy(from: lender, positions: 0..<lentCount)
        releaseLender()
    }

    private func releaseLender() {
        lender?.forget(self)
        lender = nil
        lentCount = 0
    }

    private func forget(_ borrower: KVCache) {
        borrowers.removeAll { $0.cache == nil || $0.cache === borrower }
    }

    private func liveBorrowers() -> [KVCache] { borrowers.compactMap(\.cache) }

    /// Copies `positions` of `source`'s own storage into this cache's own storage.
    private func copy(from source: KVCache, positions: Range<Int>) {
        guard !positions.isEmpty else { return }
        let d = headDimension, start = positions.lowerBound * d, n = positions.count * d
        for layer in 0..<layers {
            for head in 0..<kvHeads {
                (ownKeys(layer: layer, head: head) + start).update(from: source.ownKeys(layer: layer, head: head) + start, count: n)
                (ownValues(layer: layer, head: head) + start).update(from: source.ownValues(layer: layer, head: head) + start, count: n)
            }
        }
    }

    func append(_ newTokens: some Sequence<Int>) { tokens.append(contentsOf: newTokens) }

    /// Bytes held for keys and values.
    public var byteCount: Int { 2 * layers * capacity * kvDimension * MemoryLayout<Float16>.size }
}

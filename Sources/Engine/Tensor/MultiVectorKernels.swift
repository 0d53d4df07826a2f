/// Dot products of one stored weight row with two or four activation rows at once: the weight
/// blocks are loaded and unpacked once for all of them, and two rows' lanes are scaled and
/// added together (`QuantizedActivations.dPairLanes`). This is what makes two sequences
/// decoded together cost less than two steps, and it cuts the unpacking work of prefill. Each
/// row's arithmetic is the one-row kernel's (llama.cpp's order), so a row's result does not
/// depend on which rows it was computed with.
extension QuantizedKernels {
    /// Dot products of one stored row with activation rows `r` and `r + 1`; nil for weight types
    /// without a two-row kernel, and for an odd `r` (the paired layouts start at even rows).
    public static func dot2(type: GGMLType, _ row: UnsafeRawPointer, _ a: QuantizedActivations, row r: Int) -> (Float, Float)? {
        guard a.blocks % 2 == 0, r % 2 == 0 else { return nil }  // odd block counts take the one-row kernels
        let x = ActivationRows(a, first: r)
        switch type {
        case .q4_1:
            var acc = SIMD16<Float>(), minimums: (Float, Float) = (0, 0), w0 = row, x = x
            for _ in 0..<a.blocks / 2 {
                addQ4_1(nibblePair(w0 + 4, w0 + 24), w0, x, pair: 0, &acc, &minimums.0, &minimums.1)
                w0 += 40; x.next()
            }
            return (reduce(acc, half: 0) + minimums.0, reduce(acc, half: 1) + minimums.1)
        case .q8_0:
            var acc = SIMD16<Float>(), w0 = row, x = x
            for _ in 0..<a.blocks / 2 {
                let w = q8_0Pair(w0)
                let (first, second) = byBlock(BlockLanes.signed(w, x.pair(0)), BlockLanes.signed(w, x.pair(1)))
                acc.addProduct(SIMD16(repeating: half(w0)) * x.dPair(0, block: 0), VectorConversions.float(first))
                acc.addProduct(SIMD16(repeating: half(w0, 34)) * x.dPair(0, block: 1), VectorConversions.float(second))
                w0 += 68; x.next()
            }
            return (reduce(acc, half: 0), reduce(acc, half: 1))
        default:
            return nil
        }
    }

    /// Dot products of one Q4_1 row with activation rows `r` … `r + 3` (prefill); nil when the
    /// type, an odd block count or an odd `r` has no four-row kernel.
    public static func dot4(type: GGMLType, _ row: UnsafeRawPointer, _ a: QuantizedActivations, row r: Int) -> SIMD4<Float>? {
        guard type == .q4_1, a.blocks % 2 == 0, r % 2 == 0 else { return nil }
        var x = ActivationRows(a, first: r), w0 = row
        var acc = (SIMD16<Float>(), SIMD16<Float>()), minimums: (Float, Float, Float, Float) = (0, 0, 0, 0)
        for _ in 0..<a.blocks / 2 {
            let w = nibblePair(w0 + 4, w0 + 24)
            addQ4_1(w, w0, x, pair: 0, &acc.0, &minimums.0, &minimums.1)
            addQ4_1(w, w0, x, pair: 1, &acc.1, &minimums.2, &minimums.3)
            w0 += 40; x.next()
        }
        return SIMD4(reduce(acc.0, half: 0) + minimums.0, reduce(acc.0, half: 1) + minimums.1,
                     reduce(acc.1, half: 0) + minimums.2, reduce(acc.1, half: 1) + minimums.3)
    }

    /// One Q4_1 block pair against pair `k` of the activation rows (at `x`'s blocks): each
    /// row's lanes are its one-row kernel's (`addQ4_1` above), the two rows side by side in the
    /// sixteen lanes of `acc`, so that the scaling and adding take one instruction for both.
    /// The m·s terms stay scalar (`minimums0`, `minimums1`): side by side they would cost more
    /// instructions than they save.
    @inline(__always)
    static func addQ4_1(_ w: SIMD64<UInt8>, _ w0: UnsafeRawPointer, _ x: ActivationRows, pair k: Int,
                        _ acc: inout SIMD16<Float>, _ minimums0: inout Float, _ minimums1: inout Float) {
        let (first, second) = byBlock(BlockLanes.unsigned(w, x.pair(2 &* k)), BlockLanes.unsigned(w, x.pair(2 &* k &+ 1)))
        let m0 = half(w0, 2), m1 = half(w0, 22)
        minimums0.addProduct(m0, x.s(2 &* k, block: 0)); minimums1.addProduct(m0, x.s(2 &* k &+ 1, block: 0))
        acc.addProduct(SIMD16(repeating: half(w0)) * x.dPair(k, block: 0), VectorConversions.float(first))
        minimums0.addProduct(m1, x.s(2 &* k, block: 1)); minimums1.addProduct(m1, x.s(2 &* k &+ 1, block: 1))
        acc.addProduct(SIMD16(repeating: half(w0, 20)) * x.dPair(k, block: 1), VectorConversions.float(second))
    }

    /// Two rows' lanes of a block pair (each: the first block's eight, then the second's)
    /// regrouped by block: both rows' lanes of the first block, then of the second.
    @inline(__always)
    static func byBlock(_ a: SIMD16<Int32>, _ b: SIMD16<Int32>) -> (SIMD16<Int32>, SIMD16<Int32>) {
        let a = unsafeBitCast(a, to: (SIMD8<Int32>, SIMD8<Int32>).self), b = unsafeBitCast(b, to: (SIMD8<Int32>, SIMD8<Int32>).self)
        return (unsafeBitCast((a.0, b.0), to: SIMD16<Int32>.self), unsafeBitCast((a.1, b.1), to: SIMD16<Int32>.self))
    }

    /// `reduce` of one row's eight lanes of a pair's sixteen (`half` 0 or 1).
    @inline(__always)
    static func reduce(_ v: SIMD16<Float>, half: Int) -> Float {
        let halves = unsafeBitCast(v, to: (SIMD8<Float>, SIMD8<Float>).self)
        return reduce(half == 0 ? halves.0 : halves.1)
    }

    /// Consecutive rows of quantized activations, from an even row `first`, at one pair of
    /// blocks; `next()` moves to the next pair. Offsets use wrapping arithmetic: they are
    /// within the buffers by construction, and the overflow checks of `*` and `+` were a
    /// seventh of the two-row loop.
    struct ActivationRows {
        private var q: UnsafePointer<Int8>
        /// `dPairLanes` of the first row's pair.
        private var dPairs: UnsafePointer<Float>
        private var sums: UnsafePointer<Float>
        private let columns: Int
        private let blocks: Int

        @inline(__always)
        init(_ a: QuantizedActivations, first: Int) {
            q = UnsafePointer(a.q + first * a.columns)
            dPairs = UnsafePointer(a.dPairLanes + first / 2 * a.blocks * 16)
            sums = UnsafePointer(a.s + first * a.blocks)
            columns = a.columns
            blocks = a.blocks
        }

        @inline(__always) mutating func next() { q += 64; dPairs += 32; sums += 2 }

        /// The block pair of row `i` (counted from `first`).
        @inline(__always) func pair(_ i: Int) -> SIMD64<Int8> { bytePair(q + i &* columns) }
        /// The scales of block `block` (0 or 1) of the pair, row pair `k`: sixteen lanes.
        @inline(__always) func dPair(_ k: Int, block: Int) -> SIMD16<Float> { load16(dPairs + (k &* blocks &+ block) &* 16) }
        /// The s of block `block` of the pair, row `i`.
        @inline(__always) func s(_ i: Int, block: Int) -> Float { sums[i &* blocks &+ block] }
    }
}

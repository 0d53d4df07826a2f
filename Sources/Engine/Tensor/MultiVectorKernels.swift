/// Dot products of one stored weight row with two or four activation rows at once: the weight
/// blocks are loaded and unpacked once for all of them. This is what makes two sequences
/// decoded together cost less than two steps, and it cuts the unpacking work of prefill. Each
/// row's arithmetic is the one-row kernel's (llama.cpp's order), so a row's result does not
/// depend on which rows it was computed with.
extension QuantizedKernels {
    /// Dot products of one stored row with activation rows `r` and `r + 1`; nil for weight types
    /// without a two-row kernel.
    public static func dot2(type: GGMLType, _ row: UnsafeRawPointer, _ a: QuantizedActivations, row r: Int) -> (Float, Float)? {
        guard a.blocks % 2 == 0 else { return nil }  // odd block counts take the one-row kernels
        let x = ActivationRows(a, first: r)
        switch type {
        case .q4_1:
            var acc = (SIMD8<Float>(), SIMD8<Float>()), minimums: (Float, Float) = (0, 0)
            for b in stride(from: 0, to: a.blocks, by: 2) {
                let w0 = row + b * 20, w = nibblePair(w0 + 4, w0 + 24)
                addQ4_1(w, w0, x.pair(0, b), x.d(0, b), x.s(0, b), pair: true, &acc.0, &minimums.0)
                addQ4_1(w, w0, x.pair(1, b), x.d(1, b), x.s(1, b), pair: true, &acc.1, &minimums.1)
            }
            return (reduce(acc.0) + minimums.0, reduce(acc.1) + minimums.1)
        case .q8_0:
            var acc = (SIMD8<Float>(), SIMD8<Float>())
            for b in stride(from: 0, to: a.blocks, by: 2) {
                let w0 = row + b * 34, w = q8_0Pair(w0), scale0 = half(w0), scale1 = half(w0, 34)
                addSigned(w, scale0, scale1, x.pair(0, b), x.d(0, b), pair: true, &acc.0)
                addSigned(w, scale0, scale1, x.pair(1, b), x.d(1, b), pair: true, &acc.1)
            }
            return (reduce(acc.0), reduce(acc.1))
        default:
            return nil
        }
    }

    /// Dot products of one Q4_1 row with activation rows `r` … `r + 3` (prefill); nil when the
    /// type or an odd block count has no four-row kernel.
    public static func dot4(type: GGMLType, _ row: UnsafeRawPointer, _ a: QuantizedActivations, row r: Int) -> SIMD4<Float>? {
        guard type == .q4_1, a.blocks % 2 == 0 else { return nil }
        let x = ActivationRows(a, first: r)
        var acc = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())
        var minimums: (Float, Float, Float, Float) = (0, 0, 0, 0)
        for b in stride(from: 0, to: a.blocks, by: 2) {
            let w0 = row + b * 20, w = nibblePair(w0 + 4, w0 + 24)
            addQ4_1(w, w0, x.pair(0, b), x.d(0, b), x.s(0, b), pair: true, &acc.0, &minimums.0)
            addQ4_1(w, w0, x.pair(1, b), x.d(1, b), x.s(1, b), pair: true, &acc.1, &minimums.1)
            addQ4_1(w, w0, x.pair(2, b), x.d(2, b), x.s(2, b), pair: true, &acc.2, &minimums.2)
            addQ4_1(w, w0, x.pair(3, b), x.d(3, b), x.s(3, b), pair: true, &acc.3, &minimums.3)
        }
        return SIMD4(reduce(acc.0) + minimums.0, reduce(acc.1) + minimums.1, reduce(acc.2) + minimums.2, reduce(acc.3) + minimums.3)
    }

    /// Consecutive rows of quantized activations, from row `first`.
    struct ActivationRows {
        let q: UnsafePointer<Int8>
        /// `dLanes` of the first row.
        let scales: UnsafePointer<Float>
        let sums: UnsafePointer<Float>
        let columns: Int
        let blocks: Int

        @inline(__always)
        init(_ a: QuantizedActivations, first: Int) {
            q = UnsafePointer(a.q + first * a.columns)
            scales = UnsafePointer(a.dLanes + first * a.blocks * 8)
            sums = UnsafePointer(a.s + first * a.blocks)
            columns = a.columns
            blocks = a.blocks
        }

        /// Blocks `b` and `b + 1` of row `i` (counted from `first`).
        @inline(__always) func pair(_ i: Int, _ b: Int) -> SIMD64<Int8> { bytePair(q + i * columns + 32 * b) }
        @inline(__always) func d(_ i: Int, _ b: Int) -> UnsafePointer<Float> { scales + (i * blocks + b) * 8 }
        @inline(__always) func s(_ i: Int, _ b: Int) -> UnsafePointer<Float> { sums + i * blocks + b }
    }
}

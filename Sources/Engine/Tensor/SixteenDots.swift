#if RTD_AVX512_VNNI
import _Builtin_intrinsics.intel
#endif

/// Sixteen running dot products of one vector with sixteen float16 rows (attention's scores at
/// sixteen positions), sixteen lanes each, and their totals.
///
/// Each total is `VectorMath.laneSum` of its accumulator: the lanes added one after another,
/// the order the scores have always had and the parity fixtures rely on. Row by row, that is
/// fifteen dependent scalar additions and as many lane extractions per score, more than the
/// products themselves. With the sixteen accumulators transposed (64 shuffles, AVX-512), lane
/// p of column l holds row p's lane l, so adding the columns in order makes the same additions
/// for all sixteen rows at once: the totals are bit-identical, at a quarter of the cost.
struct SixteenDots {
    private var r0 = SIMD16<Float>(), r1 = SIMD16<Float>(), r2 = SIMD16<Float>(), r3 = SIMD16<Float>()
    private var r4 = SIMD16<Float>(), r5 = SIMD16<Float>(), r6 = SIMD16<Float>(), r7 = SIMD16<Float>()
    private var r8 = SIMD16<Float>(), r9 = SIMD16<Float>(), r10 = SIMD16<Float>(), r11 = SIMD16<Float>()
    private var r12 = SIMD16<Float>(), r13 = SIMD16<Float>(), r14 = SIMD16<Float>(), r15 = SIMD16<Float>()

    /// Adds a·row to each accumulator, for sixteen elements of sixteen rows `stride` apart.
    @inline(__always)
    mutating func add(_ a: SIMD16<Float>, rows k: UnsafePointer<Float16>, stride: Int) {
        func row(_ p: Int) -> SIMD16<Float> { VectorConversions.widen(k + p * stride) }
        r0.addProduct(a, row(0)); r1.addProduct(a, row(1)); r2.addProduct(a, row(2)); r3.addProduct(a, row(3))
        r4.addProduct(a, row(4)); r5.addProduct(a, row(5)); r6.addProduct(a, row(6)); r7.addProduct(a, row(7))
        r8.addProduct(a, row(8)); r9.addProduct(a, row(9)); r10.addProduct(a, row(10)); r11.addProduct(a, row(11))
        r12.addProduct(a, row(12)); r13.addProduct(a, row(13)); r14.addProduct(a, row(14)); r15.addProduct(a, row(15))
    }

    /// Lane p is row p's total, `VectorMath.laneSum` of its accumulator.
    @inline(__always)
    func totals() -> SIMD16<Float> {
        #if RTD_AVX512_VNNI
        transposedTotals()
        #else
        totalsRowByRow()
        #endif
    }

    @inline(__always)
    func totalsRowByRow() -> SIMD16<Float> {
        let rows = [r0, r1, r2, r3, r4, r5, r6, r7, r8, r9, r10, r11, r12, r13, r14, r15]
        var out = SIMD16<Float>()
        for p in 0..<16 { out[p] = VectorMath.laneSum(rows[p]) }
        return out
    }

    #if RTD_AVX512_VNNI
    @inline(__always)
    func transposedTotals() -> SIMD16<Float> {
        // Pairs of rows interleaved: within each 128-bit quarter, elements of rows 2j and 2j+1.
        let t0 = _mm512_unpacklo_ps(r0, r1), t1 = _mm512_unpackhi_ps(r0, r1)
        let t2 = _mm512_unpacklo_ps(r2, r3), t3 = _mm512_unpackhi_ps(r2, r3)
        let t4 = _mm512_unpacklo_ps(r4, r5), t5 = _mm512_unpackhi_ps(r4, r5)
        let t6 = _mm512_unpacklo_ps(r6, r7), t7 = _mm512_unpackhi_ps(r6, r7)
        let t8 = _mm512_unpacklo_ps(r8, r9), t9 = _mm512_unpackhi_ps(r8, r9)
        let t10 = _mm512_unpacklo_ps(r10, r11), t11 = _mm512_unpackhi_ps(r10, r11)
        let t12 = _mm512_unpacklo_ps(r12, r13), t13 = _mm512_unpackhi_ps(r12, r13)
        let t14 = _mm512_unpacklo_ps(r14, r15), t15 = _mm512_unpackhi_ps(r14, r15)
        // Then by pairs of pairs: u(4g + c)'s quarter q holds lane 4q + c of rows 4g … 4g + 3.
        let u0 = Self.low64(t0, t2), u1 = Self.high64(t0, t2), u2 = Self.low64(t1, t3), u3 = Self.high64(t1, t3)
        let u4 = Self.low64(t4, t6), u5 = Self.high64(t4, t6), u6 = Self.low64(t5, t7), u7 = Self.high64(t5, t7)
        let u8 = Self.low64(t8, t10), u9 = Self.high64(t8, t10), u10 = Self.low64(t9, t11), u11 = Self.high64(t9, t11)
        let u12 = Self.low64(t12, t14), u13 = Self.high64(t12, t14), u14 = Self.low64(t13, t15), u15 = Self.high64(t13, t15)
        let c0 = Self.lanes(u0, u4, u8, u12), c1 = Self.lanes(u1, u5, u9, u13)
        let c2 = Self.lanes(u2, u6, u10, u14), c3 = Self.lanes(u3, u7, u11, u15)
        // Lanes 0, 1, 2, … 15 of every row, in that order.
        var s = c0.0 + c1.0
        s += c2.0; s += c3.0
        s += c0.1; s += c1.1; s += c2.1; s += c3.1
        s += c0.2; s += c1.2; s += c2.2; s += c3.2
        s += c0.3; s += c1.3; s += c2.3; s += c3.3
        return s
    }

    @inline(__always)
    static func low64(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> {
        unsafeBitCast(_mm512_unpacklo_pd(unsafeBitCast(a, to: __m512d.self), unsafeBitCast(b, to: __m512d.self)), to: SIMD16<Float>.self)
    }

    @inline(__always)
    static func high64(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> SIMD16<Float> {
        unsafeBitCast(_mm512_unpackhi_pd(unsafeBitCast(a, to: __m512d.self), unsafeBitCast(b, to: __m512d.self)), to: SIMD16<Float>.self)
    }

    /// Lanes c, 4 + c, 8 + c and 12 + c of all sixteen rows, from u(c), u(4 + c), u(8 + c) and
    /// u(12 + c), by moving whole quarters.
    @inline(__always)
    static func lanes(_ a: SIMD16<Float>, _ b: SIMD16<Float>, _ c: SIMD16<Float>, _ d: SIMD16<Float>)
        -> (SIMD16<Float>, SIMD16<Float>, SIMD16<Float>, SIMD16<Float>) {
        func quarters(_ x: SIMD16<Float>, _ y: SIMD16<Float>, _ order: SIMD16<Int32>) -> SIMD16<Float> {
            _mm512_permutex2var_ps(x, unsafeBitCast(order, to: __m512i.self), y)  // 16 + i is y's element i
        }
        let evenQuarters = SIMD16<Int32>(0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23)
        let oddQuarters = SIMD16<Int32>(8, 9, 10, 11, 24, 25, 26, 27, 12, 13, 14, 15, 28, 29, 30, 31)
        let lowHalves = SIMD16<Int32>(0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23)
        let highHalves = SIMD16<Int32>(8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31)
        let ab0 = quarters(a, b, evenQuarters), ab1 = quarters(a, b, oddQuarters)
        let cd0 = quarters(c, d, evenQuarters), cd1 = quarters(c, d, oddQuarters)
        return (quarters(ab0, cd0, lowHalves), quarters(ab0, cd0, highHalves),
                quarters(ab1, cd1, lowHalves), quarters(ab1, cd1, highHalves))
    }
    #endif
}

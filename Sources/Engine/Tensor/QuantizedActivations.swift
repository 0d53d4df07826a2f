/// Input vectors quantized to 8 bits per 32-element block, as llama.cpp quantizes activations
/// before its quantized matrix products (Q8_0 / Q8_1: d = max|x| / 127, q = round(x / d), with
/// d and s = d·Σq rounded through float16 as llama.cpp stores them). Computing with the same
/// integers gives llama.cpp's numbers, and integer dot products are also the cheaper way
/// through 4-bit weights.
///
/// The quantized values are kept as Int16, laid out in the order the kernels consume them, so
/// that a kernel needs no widening or shuffling of the activations: blocks go in pairs, and a
/// pair's 64 values are [E0 E0′ E1 E1′ O0 O0′ O1 O1′] (8 each), where for one block E0 are its
/// elements 0, 2, …, 14, E1 are 16, 18, …, 30, O0 are 1, 3, …, 15 and O1 are 17, …, 31 (the
/// primed groups are the second block's). An odd last block is laid out alone as [E0 E1 O0 O1].
/// This matches how a 4-bit weight block stores its nibbles (byte j: element j low, j + 16 high).
public final class QuantizedActivations {
    public let rows: Int
    public let columns: Int
    public let blocks: Int
    let q: UnsafeMutablePointer<Int16>
    /// Per block: scale d and d·Σq, each rounded through float16.
    let d: UnsafeMutablePointer<Float>
    let s: UnsafeMutablePointer<Float>

    public init(rows: Int, columns: Int) {
        self.rows = rows
        self.columns = columns
        blocks = columns / 32
        q = .allocate(capacity: max(1, rows * columns))
        d = .allocate(capacity: max(1, rows * blocks))
        s = .allocate(capacity: max(1, rows * blocks))
    }

    deinit {
        q.deallocate()
        d.deallocate()
        s.deallocate()
    }

    /// Quantizes row `r` from `x` (`columns` floats).
    public func quantize(row r: Int, from x: UnsafePointer<Float>) {
        let out = q + r * columns
        for b in 0..<blocks {
            let v0 = UnsafeRawPointer(x + 32 * b).loadUnaligned(as: SIMD16<Float>.self)
            let v1 = UnsafeRawPointer(x + 32 * b + 16).loadUnaligned(as: SIMD16<Float>.self)
            let amax = max(pointwiseMax(v0, -v0).max(), pointwiseMax(v1, -v1).max())
            let scale = amax / 127
            let inverse: Float = amax != 0 ? 127 / amax : 0
            // Round to nearest, ties to even (as llama.cpp's SIMD quantizer), through the
            // float unit: adding 1.5·2^23 leaves the rounded integer in the mantissa.
            let r0 = unsafeBitCast(v0 * inverse + 12_582_912, to: SIMD16<Int32>.self) &- 0x4B40_0000
            let r1 = unsafeBitCast(v1 * inverse + 12_582_912, to: SIMD16<Int32>.self) &- 0x4B40_0000
            let sum = (r0 &+ r1).wrappedSum()
            let pair = b / 2, inPair = b % 2
            let width = (pair * 2 + 1 < blocks) ? 16 : 8  // group stride; 8 when this block has no partner
            let base = out + pair * 64 + inPair * 8
            for k in 0..<8 {
                base[k] = Int16(truncatingIfNeeded: r0[2 * k])                 // E0: elements 0, 2, …, 14
                base[width + k] = Int16(truncatingIfNeeded: r1[2 * k])         // E1: 16, 18, …, 30
                base[2 * width + k] = Int16(truncatingIfNeeded: r0[2 * k + 1]) // O0: 1, 3, …, 15
                base[3 * width + k] = Int16(truncatingIfNeeded: r1[2 * k + 1]) // O1: 17, 19, …, 31
            }
            d[r * blocks + b] = Float(Float16(scale))
            s[r * blocks + b] = Float(Float16(scale * Float(sum)))
        }
    }
}

extension QuantizedKernels {
    /// Dot product of one stored row with row `r` of quantized activations, with llama.cpp's
    /// integer arithmetic per block. Returns nil for weight types without an integer kernel.
    public static func dot(type: GGMLType, _ row: UnsafeRawPointer, _ a: QuantizedActivations, row r: Int) -> Float? {
        let blocks = a.blocks
        let xq = UnsafePointer(a.q + r * a.columns), xd = UnsafePointer(a.d + r * blocks), xs = UnsafePointer(a.s + r * blocks)
        switch type {
        case .q4_1: return dotQ4_1(row, xq, xd, xs, blocks)
        case .q4_0: return dotQ4_0(row, xq, xd, blocks)
        case .q8_0: return dotQ8_0(row, xq, xd, blocks)
        default: return nil
        }
    }

    // One kernel per block format, each a small function of plain pointers, written with
    // shifts, masks and bit casts only: the standard library's generic SIMD conversions
    // (`truncatingIfNeeded:`, integer to float) are left as out-of-line calls by the optimiser
    // in these loops, at several times the cost of the arithmetic itself. Blocks are taken two
    // at a time so that the integer work runs on 16 lanes.

    /// Sums adjacent pairs of Int16 lanes into Int32 lanes.
    @inline(__always)
    static func pairSums(_ v: SIMD16<Int16>) -> SIMD8<Int32> {
        let w = unsafeBitCast(v, to: SIMD8<Int32>.self)
        return ((w &<< 16) &>> 16) &+ (w &>> 16)
    }

    @inline(__always)
    static func pairSums(_ v: SIMD8<Int16>) -> SIMD4<Int32> {
        let w = unsafeBitCast(v, to: SIMD4<Int32>.self)
        return ((w &<< 16) &>> 16) &+ (w &>> 16)
    }

    /// llama.cpp's integer lanes for one block: lane k < 4 sums the products of elements
    /// 4k…4k+3 and lane 4 + k those of 16 + 4k…16 + 4k + 3, as its `mul_sum_us8_pairs_float`
    /// and `mul_sum_i8_pairs_float` do. `w` and the activations at `x` are planes (E0, E1, O0,
    /// O1) of a block pair (16 lanes) or of a lone block (8 lanes); products of each plane pair
    /// fit Int16 (|w·x| ≤ 127·127, two of them ≤ 32 258).
    @inline(__always)
    static func blockLanes(_ w: (SIMD16<Int16>, SIMD16<Int16>, SIMD16<Int16>, SIMD16<Int16>), _ x: UnsafePointer<Int16>) -> (SIMD8<Float>, SIMD8<Float>) {
        let low = unsafeBitCast(pairSums(w.0 &* load16(x) &+ w.2 &* load16(x + 32)), to: (SIMD4<Int32>, SIMD4<Int32>).self)
        let high = unsafeBitCast(pairSums(w.1 &* load16(x + 16) &+ w.3 &* load16(x + 48)), to: (SIMD4<Int32>, SIMD4<Int32>).self)
        return (toFloat(unsafeBitCast((low.0, high.0), to: SIMD8<Int32>.self)), toFloat(unsafeBitCast((low.1, high.1), to: SIMD8<Int32>.self)))
    }

    @inline(__always)
    static func blockLanes(_ w: (SIMD8<Int16>, SIMD8<Int16>, SIMD8<Int16>, SIMD8<Int16>), _ x: UnsafePointer<Int16>) -> SIMD8<Float> {
        let low = pairSums(w.0 &* load8(x) &+ w.2 &* load8(x + 16)), high = pairSums(w.1 &* load8(x + 8) &+ w.3 &* load8(x + 24))
        return toFloat(unsafeBitCast((low, high), to: SIMD8<Int32>.self))
    }

    /// Exact Int32 → Float for |v| < 2^22, by placing v in the mantissa of 1.5·2^23.
    @inline(__always)
    static func toFloat(_ v: SIMD8<Int32>) -> SIMD8<Float> {
        unsafeBitCast(v &+ 0x4B40_0000, to: SIMD8<Float>.self) - 12_582_912
    }

    @inline(__always)
    static func toFloat(_ v: SIMD4<Int32>) -> SIMD4<Float> {
        unsafeBitCast(v &+ 0x4B40_0000, to: SIMD4<Float>.self) - 12_582_912
    }

    /// A vector whose first four lanes are `a` and last four `b` (the scales of a block pair).
    @inline(__always)
    static func splat(_ a: Float, _ b: Float) -> SIMD8<Float> {
        unsafeBitCast((SIMD4<Float>(repeating: a), SIMD4<Float>(repeating: b)), to: SIMD8<Float>.self)
    }

    @inline(__always)
    static func reduce(_ v: SIMD8<Float>) -> Float {
        let h = unsafeBitCast(v, to: (SIMD4<Float>, SIMD4<Float>).self)
        let r = h.0 + h.1
        return (r[0] + r[2]) + (r[1] + r[3])
    }

    /// Nibble planes of 16 bytes per block: for lane k, weights 2k, 2k+16, 2k+1 and 2k+17.
    @inline(__always)
    static func nibblePlanes(_ v: SIMD16<UInt16>) -> (SIMD16<Int16>, SIMD16<Int16>, SIMD16<Int16>, SIMD16<Int16>) {
        (unsafeBitCast(v & 0x000F, to: SIMD16<Int16>.self), unsafeBitCast((v &>> 4) & 0x000F, to: SIMD16<Int16>.self),
         unsafeBitCast((v &>> 8) & 0x000F, to: SIMD16<Int16>.self), unsafeBitCast(v &>> 12, to: SIMD16<Int16>.self))
    }

    @inline(__always)
    static func nibblePlanes(_ v: SIMD8<UInt16>) -> (SIMD8<Int16>, SIMD8<Int16>, SIMD8<Int16>, SIMD8<Int16>) {
        (unsafeBitCast(v & 0x000F, to: SIMD8<Int16>.self), unsafeBitCast((v &>> 4) & 0x000F, to: SIMD8<Int16>.self),
         unsafeBitCast((v &>> 8) & 0x000F, to: SIMD8<Int16>.self), unsafeBitCast(v &>> 12, to: SIMD8<Int16>.self))
    }

    @inline(__always)
    static func load16(_ p: UnsafePointer<Int16>) -> SIMD16<Int16> { UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Int16>.self) }

    @inline(__always)
    static func load8(_ p: UnsafePointer<Int16>) -> SIMD8<Int16> { UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Int16>.self) }

    /// Σ_b d_w·d_x·Σ(q_w·q_x) + m_w·s_x over Q4_1 weight blocks (d, m, 16 bytes of nibbles),
    /// in llama.cpp's order (`ggml_vec_dot_q4_1_q8_1` on x86): per block, its eight integer
    /// lanes are scaled and added into eight float lanes with one fused multiply-add, and m·s
    /// into a scalar with another; the lanes are summed as its `hsum_float_8` does, then the
    /// scalar added. Summing in the same order gives its numbers to the bit, which is what keeps
    /// greedy decoding on llama.cpp's tokens at near-ties.
    static func dotQ4_1(_ row: UnsafeRawPointer, _ xq: UnsafePointer<Int16>, _ xd: UnsafePointer<Float>,
                        _ xs: UnsafePointer<Float>, _ blocks: Int) -> Float {
        var acc = SIMD8<Float>()
        var minimums: Float = 0
        var b = 0
        while b + 1 < blocks {
            let b0 = row + b * 20, b1 = b0 + 20
            let v = unsafeBitCast((b0.advanced(by: 4).loadUnaligned(as: SIMD8<UInt16>.self),
                                   b1.advanced(by: 4).loadUnaligned(as: SIMD8<UInt16>.self)), to: SIMD16<UInt16>.self)
            let (p0, p1) = blockLanes(nibblePlanes(v), xq + 32 * b)
            minimums.addProduct(half(b0, 2), xs[b])
            acc.addProduct(SIMD8(repeating: half(b0) * xd[b]), p0)
            minimums.addProduct(half(b1, 2), xs[b + 1])
            acc.addProduct(SIMD8(repeating: half(b1) * xd[b + 1]), p1)
            b += 2
        }
        if b < blocks {
            let b0 = row + b * 20
            let p = blockLanes(nibblePlanes(b0.advanced(by: 4).loadUnaligned(as: SIMD8<UInt16>.self)), xq + 32 * b)
            minimums.addProduct(half(b0, 2), xs[b])
            acc.addProduct(SIMD8(repeating: half(b0) * xd[b]), p)
        }
        return reduce(acc) + minimums
    }

    /// Σ_b d_w·d_x·Σ((q_w − 8)·q_x) over Q4_0 weight blocks (d, 16 bytes of nibbles).
    static func dotQ4_0(_ row: UnsafeRawPointer, _ xq: UnsafePointer<Int16>, _ xd: UnsafePointer<Float>, _ blocks: Int) -> Float {
        var acc = SIMD8<Float>()
        var b = 0
        while b + 1 < blocks {
            let b0 = row + b * 18, b1 = b0 + 18
            let v = unsafeBitCast((b0.advanced(by: 2).loadUnaligned(as: SIMD8<UInt16>.self),
                                   b1.advanced(by: 2).loadUnaligned(as: SIMD8<UInt16>.self)), to: SIMD16<UInt16>.self)
            let (w0, w16, w1, w17) = nibblePlanes(v)
            let x = xq + 32 * b
            let p = (w0 &- 8) &* load16(x) &+ (w16 &- 8) &* load16(x + 16) &+ (w1 &- 8) &* load16(x + 32) &+ (w17 &- 8) &* load16(x + 48)
            acc.addProduct(toFloat(pairSums(p)), splat(half(b0) * xd[b], half(b1) * xd[b + 1]))
            b += 2
        }
        var sum = reduce(acc)
        if b < blocks {
            let b0 = row + b * 18
            let (w0, w16, w1, w17) = nibblePlanes(b0.advanced(by: 2).loadUnaligned(as: SIMD8<UInt16>.self))
            let x = xq + 32 * b
            let p = (w0 &- 8) &* load8(x) &+ (w16 &- 8) &* load8(x + 8) &+ (w1 &- 8) &* load8(x + 16) &+ (w17 &- 8) &* load8(x + 24)
            let t = toFloat(pairSums(p))
            sum += half(b0) * xd[b] * ((t[0] + t[2]) + (t[1] + t[3]))
        }
        return sum
    }

    /// Even and odd elements of a Q8_0 block's 32 signed bytes, sign-extended:
    /// (E0, E1, O0, O1) as in the activation layout.
    @inline(__always)
    static func int8Planes(_ p: UnsafeRawPointer) -> (SIMD8<Int16>, SIMD8<Int16>, SIMD8<Int16>, SIMD8<Int16>) {
        let v = p.loadUnaligned(as: SIMD16<Int16>.self)
        let even = unsafeBitCast((v &<< 8) &>> 8, to: (SIMD8<Int16>, SIMD8<Int16>).self)
        let odd = unsafeBitCast(v &>> 8, to: (SIMD8<Int16>, SIMD8<Int16>).self)
        return (even.0, even.1, odd.0, odd.1)
    }

    /// The planes of a Q8_0 block pair in the activation layout.
    @inline(__always)
    static func q8_0Planes(_ b0: UnsafeRawPointer) -> (SIMD16<Int16>, SIMD16<Int16>, SIMD16<Int16>, SIMD16<Int16>) {
        let (e0, e1, o0, o1) = int8Planes(b0.advanced(by: 2))
        let (f0, f1, p0, p1) = int8Planes(b0.advanced(by: 36))
        return (unsafeBitCast((e0, f0), to: SIMD16<Int16>.self), unsafeBitCast((e1, f1), to: SIMD16<Int16>.self),
                unsafeBitCast((o0, p0), to: SIMD16<Int16>.self), unsafeBitCast((o1, p1), to: SIMD16<Int16>.self))
    }

    /// Σ_b d_w·d_x·Σ(q_w·q_x) over Q8_0 weight blocks (d, 32 signed bytes), in llama.cpp's order
    /// (`ggml_vec_dot_q8_0_q8_0`: one fused multiply-add of a block's eight lanes, then
    /// `hsum_float_8`).
    static func dotQ8_0(_ row: UnsafeRawPointer, _ xq: UnsafePointer<Int16>, _ xd: UnsafePointer<Float>, _ blocks: Int) -> Float {
        var acc = SIMD8<Float>()
        var b = 0
        while b + 1 < blocks {
            let b0 = row + b * 34
            let (p0, p1) = blockLanes(q8_0Planes(b0), xq + 32 * b)
            acc.addProduct(SIMD8(repeating: half(b0) * xd[b]), p0)
            acc.addProduct(SIMD8(repeating: half(b0 + 34) * xd[b + 1]), p1)
            b += 2
        }
        if b < blocks {
            let b0 = row + b * 34
            acc.addProduct(SIMD8(repeating: half(b0) * xd[b]), blockLanes(int8Planes(b0.advanced(by: 2)), xq + 32 * b))
        }
        return reduce(acc)
    }
}

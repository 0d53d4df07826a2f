/// Dot products of one stored weight row with two activation rows at once: the weight blocks
/// are loaded and unpacked once for both. This is what makes two sequences decoded together
/// cost little more than one, and it halves the unpacking work of prefill.
extension QuantizedKernels {
    /// Integer sums of an unpacked block pair against one activation pair, as 8 float lanes
    /// (4 per block).
    @inline(__always)
    static func pairProduct(_ w: (SIMD16<Int16>, SIMD16<Int16>, SIMD16<Int16>, SIMD16<Int16>), _ x: UnsafePointer<Int16>) -> SIMD8<Float> {
        toFloat(pairSums(w.0 &* load16(x) &+ w.1 &* load16(x + 16) &+ w.2 &* load16(x + 32) &+ w.3 &* load16(x + 48)))
    }

    /// The planes of a Q8_0 block pair in the activation layout.
    @inline(__always)
    static func q8_0Planes(_ b0: UnsafeRawPointer) -> (SIMD16<Int16>, SIMD16<Int16>, SIMD16<Int16>, SIMD16<Int16>) {
        let (e0, e1, o0, o1) = int8Planes(b0.advanced(by: 2))
        let (f0, f1, p0, p1) = int8Planes(b0.advanced(by: 36))
        return (unsafeBitCast((e0, f0), to: SIMD16<Int16>.self), unsafeBitCast((e1, f1), to: SIMD16<Int16>.self),
                unsafeBitCast((o0, p0), to: SIMD16<Int16>.self), unsafeBitCast((o1, p1), to: SIMD16<Int16>.self))
    }

    /// Q8_0 products of a pair: each product fits Int16 and the sums are taken in Int32.
    @inline(__always)
    static func pairProductQ8(_ w: (SIMD16<Int16>, SIMD16<Int16>, SIMD16<Int16>, SIMD16<Int16>), _ x: UnsafePointer<Int16>) -> SIMD8<Float> {
        toFloat(pairSums(w.0 &* load16(x)) &+ pairSums(w.1 &* load16(x + 16)) &+ pairSums(w.2 &* load16(x + 32)) &+ pairSums(w.3 &* load16(x + 48)))
    }

    /// Dot products of one stored row with activation rows `r` and `r + 1`; nil for weight types
    /// without a two-row kernel.
    public static func dot2(type: GGMLType, _ row: UnsafeRawPointer, _ a: QuantizedActivations, row r: Int) -> (Float, Float)? {
        let blocks = a.blocks
        let x0 = UnsafePointer(a.q + r * a.columns), x1 = x0 + a.columns
        let d0 = UnsafePointer(a.d + r * blocks), d1 = d0 + blocks
        let s0 = UnsafePointer(a.s + r * blocks), s1 = s0 + blocks
        guard blocks % 2 == 0 else { return nil }  // odd block counts take the one-row kernels
        switch type {
        case .q4_1: return dot2Q4_1(row, x0, x1, d0, d1, s0, s1, blocks)
        case .q8_0: return dot2Q8_0(row, x0, x1, d0, d1, blocks)
        default: return nil
        }
    }

    static func dot2Q4_1(_ row: UnsafeRawPointer, _ x0: UnsafePointer<Int16>, _ x1: UnsafePointer<Int16>,
                         _ d0: UnsafePointer<Float>, _ d1: UnsafePointer<Float>,
                         _ s0: UnsafePointer<Float>, _ s1: UnsafePointer<Float>, _ blocks: Int) -> (Float, Float) {
        var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>()
        var bias0: Float = 0, bias1: Float = 0
        var b = 0
        while b < blocks {
            let w0 = row + b * 20, w1 = w0 + 20
            let planes = nibblePlanes(unsafeBitCast((w0.advanced(by: 4).loadUnaligned(as: SIMD8<UInt16>.self),
                                                     w1.advanced(by: 4).loadUnaligned(as: SIMD8<UInt16>.self)), to: SIMD16<UInt16>.self))
            let dw0 = half(w0), dw1 = half(w1), m0 = half(w0, 2), m1 = half(w1, 2)
            acc0.addProduct(pairProduct(planes, x0 + 32 * b), splat(dw0 * d0[b], dw1 * d0[b + 1]))
            acc1.addProduct(pairProduct(planes, x1 + 32 * b), splat(dw0 * d1[b], dw1 * d1[b + 1]))
            bias0 += m0 * s0[b] + m1 * s0[b + 1]
            bias1 += m0 * s1[b] + m1 * s1[b + 1]
            b += 2
        }
        return (reduce(acc0) + bias0, reduce(acc1) + bias1)
    }

    static func dot2Q8_0(_ row: UnsafeRawPointer, _ x0: UnsafePointer<Int16>, _ x1: UnsafePointer<Int16>,
                         _ d0: UnsafePointer<Float>, _ d1: UnsafePointer<Float>, _ blocks: Int) -> (Float, Float) {
        var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>()
        var b = 0
        while b < blocks {
            let w0 = row + b * 34
            let planes = q8_0Planes(w0)
            let dw0 = half(w0), dw1 = half(w0 + 34)
            acc0.addProduct(pairProductQ8(planes, x0 + 32 * b), splat(dw0 * d0[b], dw1 * d0[b + 1]))
            acc1.addProduct(pairProductQ8(planes, x1 + 32 * b), splat(dw0 * d1[b], dw1 * d1[b + 1]))
            b += 2
        }
        return (reduce(acc0), reduce(acc1))
    }
}

extension QuantizedKernels {
    /// Dot products of one Q4_1 row with activation rows `r` … `r + 3` (prefill); nil when the
    /// type or an odd block count has no four-row kernel.
    public static func dot4(type: GGMLType, _ row: UnsafeRawPointer, _ a: QuantizedActivations, row r: Int) -> SIMD4<Float>? {
        guard type == .q4_1, a.blocks % 2 == 0 else { return nil }
        let blocks = a.blocks, columns = a.columns
        let x = UnsafePointer(a.q + r * columns), d = UnsafePointer(a.d + r * blocks), s = UnsafePointer(a.s + r * blocks)
        var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>(), acc2 = SIMD8<Float>(), acc3 = SIMD8<Float>()
        var bias = SIMD4<Float>()
        var b = 0
        while b < blocks {
            let w0 = row + b * 20, w1 = w0 + 20
            let planes = nibblePlanes(unsafeBitCast((w0.advanced(by: 4).loadUnaligned(as: SIMD8<UInt16>.self),
                                                     w1.advanced(by: 4).loadUnaligned(as: SIMD8<UInt16>.self)), to: SIMD16<UInt16>.self))
            let dw0 = half(w0), dw1 = half(w1)
            let m = SIMD4(repeating: half(w0, 2)), m1 = SIMD4(repeating: half(w1, 2))
            acc0.addProduct(pairProduct(planes, x + 32 * b), splat(dw0 * d[b], dw1 * d[b + 1]))
            acc1.addProduct(pairProduct(planes, x + columns + 32 * b), splat(dw0 * d[blocks + b], dw1 * d[blocks + b + 1]))
            acc2.addProduct(pairProduct(planes, x + 2 * columns + 32 * b), splat(dw0 * d[2 * blocks + b], dw1 * d[2 * blocks + b + 1]))
            acc3.addProduct(pairProduct(planes, x + 3 * columns + 32 * b), splat(dw0 * d[3 * blocks + b], dw1 * d[3 * blocks + b + 1]))
            bias.addProduct(m, SIMD4(s[b], s[blocks + b], s[2 * blocks + b], s[3 * blocks + b]))
            bias.addProduct(m1, SIMD4(s[b + 1], s[blocks + b + 1], s[2 * blocks + b + 1], s[3 * blocks + b + 1]))
            b += 2
        }
        return SIMD4(reduce(acc0), reduce(acc1), reduce(acc2), reduce(acc3)) + bias
    }
}

/// Dot products of one stored weight row with two or four activation rows at once: the weight
/// blocks are loaded and unpacked once for all of them. This is what makes two sequences
/// decoded together cost less than two steps, and it cuts the unpacking work of prefill. Each
/// row's arithmetic is the one-row kernel's (llama.cpp's order), so a row's result does not
/// depend on which rows it was computed with.
extension QuantizedKernels {
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
        var minimums0: Float = 0, minimums1: Float = 0
        var b = 0
        while b < blocks {
            let w0 = row + b * 20, w1 = w0 + 20
            let planes = nibblePlanes(unsafeBitCast((w0.advanced(by: 4).loadUnaligned(as: SIMD8<UInt16>.self),
                                                     w1.advanced(by: 4).loadUnaligned(as: SIMD8<UInt16>.self)), to: SIMD16<UInt16>.self))
            let dw0 = half(w0), dw1 = half(w1), m0 = half(w0, 2), m1 = half(w1, 2)
            let (p0, p1) = blockLanes(planes, x0 + 32 * b)
            minimums0.addProduct(m0, s0[b])
            acc0.addProduct(SIMD8(repeating: dw0 * d0[b]), p0)
            minimums0.addProduct(m1, s0[b + 1])
            acc0.addProduct(SIMD8(repeating: dw1 * d0[b + 1]), p1)
            let (q0, q1) = blockLanes(planes, x1 + 32 * b)
            minimums1.addProduct(m0, s1[b])
            acc1.addProduct(SIMD8(repeating: dw0 * d1[b]), q0)
            minimums1.addProduct(m1, s1[b + 1])
            acc1.addProduct(SIMD8(repeating: dw1 * d1[b + 1]), q1)
            b += 2
        }
        return (reduce(acc0) + minimums0, reduce(acc1) + minimums1)
    }

    static func dot2Q8_0(_ row: UnsafeRawPointer, _ x0: UnsafePointer<Int16>, _ x1: UnsafePointer<Int16>,
                         _ d0: UnsafePointer<Float>, _ d1: UnsafePointer<Float>, _ blocks: Int) -> (Float, Float) {
        var acc0 = SIMD8<Float>(), acc1 = SIMD8<Float>()
        var b = 0
        while b < blocks {
            let w0 = row + b * 34
            let planes = q8_0Planes(w0)
            let dw0 = half(w0), dw1 = half(w0 + 34)
            let (p0, p1) = blockLanes(planes, x0 + 32 * b)
            acc0.addProduct(SIMD8(repeating: dw0 * d0[b]), p0)
            acc0.addProduct(SIMD8(repeating: dw1 * d0[b + 1]), p1)
            let (q0, q1) = blockLanes(planes, x1 + 32 * b)
            acc1.addProduct(SIMD8(repeating: dw0 * d1[b]), q0)
            acc1.addProduct(SIMD8(repeating: dw1 * d1[b + 1]), q1)
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
        var acc = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())
        var minimums = SIMD4<Float>()
        var b = 0
        while b < blocks {
            let w0 = row + b * 20, w1 = w0 + 20
            let planes = nibblePlanes(unsafeBitCast((w0.advanced(by: 4).loadUnaligned(as: SIMD8<UInt16>.self),
                                                     w1.advanced(by: 4).loadUnaligned(as: SIMD8<UInt16>.self)), to: SIMD16<UInt16>.self))
            let dw0 = half(w0), dw1 = half(w1)
            // The minimums of the four rows side by side: lane i is row i's scalar sum.
            minimums.addProduct(SIMD4(repeating: half(w0, 2)), SIMD4(s[b], s[blocks + b], s[2 * blocks + b], s[3 * blocks + b]))
            minimums.addProduct(SIMD4(repeating: half(w1, 2)), SIMD4(s[b + 1], s[blocks + b + 1], s[2 * blocks + b + 1], s[3 * blocks + b + 1]))
            let (a0, a1) = blockLanes(planes, x + 32 * b)
            acc.0.addProduct(SIMD8(repeating: dw0 * d[b]), a0)
            acc.0.addProduct(SIMD8(repeating: dw1 * d[b + 1]), a1)
            let (b0, b1) = blockLanes(planes, x + columns + 32 * b)
            acc.1.addProduct(SIMD8(repeating: dw0 * d[blocks + b]), b0)
            acc.1.addProduct(SIMD8(repeating: dw1 * d[blocks + b + 1]), b1)
            let (c0, c1) = blockLanes(planes, x + 2 * columns + 32 * b)
            acc.2.addProduct(SIMD8(repeating: dw0 * d[2 * blocks + b]), c0)
            acc.2.addProduct(SIMD8(repeating: dw1 * d[2 * blocks + b + 1]), c1)
            let (e0, e1) = blockLanes(planes, x + 3 * columns + 32 * b)
            acc.3.addProduct(SIMD8(repeating: dw0 * d[3 * blocks + b]), e0)
            acc.3.addProduct(SIMD8(repeating: dw1 * d[3 * blocks + b + 1]), e1)
            b += 2
        }
        return SIMD4(reduce(acc.0), reduce(acc.1), reduce(acc.2), reduce(acc.3)) + minimums
    }
}

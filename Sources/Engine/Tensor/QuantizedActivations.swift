/// Input vectors quantized to 8 bits per 32-element block, as llama.cpp quantizes activations
/// before its quantized matrix products (Q8_0 / Q8_1: d = max|x| / 127, q = round(x / d), with
/// d and s = d·Σq stored as float16). Computing with the same integers gives llama.cpp's
/// numbers, and integer dot products are also the cheaper way through 4-bit weights.
public final class QuantizedActivations {
    public let rows: Int
    public let columns: Int
    public let blocks: Int
    let q: UnsafeMutablePointer<Int8>
    /// Per block: scale d and d·Σq, each rounded through float16 as llama.cpp stores them.
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
        for b in 0..<blocks {
            let v0 = UnsafeRawPointer(x + 32 * b).loadUnaligned(as: SIMD16<Float>.self)
            let v1 = UnsafeRawPointer(x + 32 * b + 16).loadUnaligned(as: SIMD16<Float>.self)
            let amax = max(pointwiseMax(v0, -v0).max(), pointwiseMax(v1, -v1).max())
            let scale = amax / 127
            let inverse: Float = amax != 0 ? 127 / amax : 0
            let r0 = (v0 * inverse).rounded(.toNearestOrEven)
            let r1 = (v1 * inverse).rounded(.toNearestOrEven)
            let i0 = SIMD16<Int32>(r0), i1 = SIMD16<Int32>(r1)
            let out = q + r * columns + 32 * b
            UnsafeMutableRawPointer(out).storeBytes(of: SIMD16<Int8>(truncatingIfNeeded: i0), as: SIMD16<Int8>.self)
            UnsafeMutableRawPointer(out + 16).storeBytes(of: SIMD16<Int8>(truncatingIfNeeded: i1), as: SIMD16<Int8>.self)
            d[r * blocks + b] = Float(Float16(scale))
            s[r * blocks + b] = Float(Float16(scale * Float((i0 &+ i1).wrappedSum())))
        }
    }
}

extension QuantizedKernels {
    @inline(__always)
    static func int8Halves(_ p: UnsafePointer<Int8>) -> (SIMD16<Int16>, SIMD16<Int16>) {
        let v = UnsafeRawPointer(p).loadUnaligned(as: SIMD32<Int8>.self)
        return (SIMD16<Int16>(truncatingIfNeeded: v.lowHalf), SIMD16<Int16>(truncatingIfNeeded: v.highHalf))
    }

    /// Dot product of one stored row with row `r` of quantized activations, with llama.cpp's
    /// integer arithmetic per block. Returns nil for weight types without an integer kernel.
    @inline(__always)
    public static func dot(type: GGMLType, _ row: UnsafeRawPointer, _ a: QuantizedActivations, row r: Int) -> Float? {
        let blocks = a.blocks
        let xq = a.q + r * a.columns, xd = a.d + r * blocks, xs = a.s + r * blocks
        switch type {
        case .q4_1:
            var acc = SIMD16<Float>()
            var bias: Float = 0
            for b in 0..<blocks {
                let block = row + b * 20
                let w = block.advanced(by: 4).loadUnaligned(as: SIMD16<UInt8>.self)
                let lo = SIMD16<Int16>(truncatingIfNeeded: w & 0x0F), hi = SIMD16<Int16>(truncatingIfNeeded: w &>> 4)
                let (x0, x1) = int8Halves(xq + 32 * b)
                let p = lo &* x0 &+ hi &* x1
                acc.addProduct(SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: p)), SIMD16(repeating: half(block) * xd[b]))
                bias += half(block, 2) * xs[b]
            }
            return acc.sum() + bias
        case .q4_0:
            var acc = SIMD16<Float>()
            for b in 0..<blocks {
                let block = row + b * 18
                let w = block.advanced(by: 2).loadUnaligned(as: SIMD16<UInt8>.self)
                let lo = SIMD16<Int16>(truncatingIfNeeded: w & 0x0F) &- 8, hi = SIMD16<Int16>(truncatingIfNeeded: w &>> 4) &- 8
                let (x0, x1) = int8Halves(xq + 32 * b)
                let p = lo &* x0 &+ hi &* x1
                acc.addProduct(SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: p)), SIMD16(repeating: half(block) * xd[b]))
            }
            return acc.sum()
        case .q8_0:
            var acc = SIMD16<Float>()
            for b in 0..<blocks {
                let block = row + b * 34
                let (w0, w1) = int8Halves(block.advanced(by: 2).assumingMemoryBound(to: Int8.self))
                let (x0, x1) = int8Halves(xq + 32 * b)
                let p = SIMD16<Int32>(truncatingIfNeeded: w0 &* x0) &+ SIMD16<Int32>(truncatingIfNeeded: w1 &* x1)
                acc.addProduct(SIMD16<Float>(p), SIMD16(repeating: half(block) * xd[b]))
            }
            return acc.sum()
        default:
            return nil
        }
    }
}

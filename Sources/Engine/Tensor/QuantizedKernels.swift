/// Block formats of GGML and the kernels that compute with them.
///
/// Decoding one token is memory-bound: each weight is read once per token, so the dot products
/// work on the quantized blocks directly (4-bit nibbles converted to float in SIMD registers
/// and multiplied with the float activations). Quantized affine terms are folded out:
/// for Q4_1, Σ(d·q + m)·x = d·Σq·x + m·Σx, with Σx per block computed once per input vector.
public enum QuantizedKernels {
    @inline(__always)
    static func half(_ p: UnsafeRawPointer, _ offset: Int = 0) -> Float {
        Float(Float16(bitPattern: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self)))
    }

    @inline(__always)
    static func nibbles(_ p: UnsafeRawPointer) -> (low: SIMD16<Float>, high: SIMD16<Float>) {
        let q = p.loadUnaligned(as: SIMD16<UInt8>.self)
        return (SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: q & 0x0F)),
                SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: q &>> 4)))
    }

    @inline(__always)
    static func bytes(_ p: UnsafeRawPointer) -> (low: SIMD16<Float>, high: SIMD16<Float>) {
        let q = p.loadUnaligned(as: SIMD32<Int8>.self)
        return (SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: q.lowHalf)),
                SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: q.highHalf)))
    }

    @inline(__always)
    static func load16(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
    }

    /// Expands `count` elements of one row.
    public static func dequantize(type: GGMLType, _ src: UnsafeRawPointer, count: Int, into out: UnsafeMutablePointer<Float>) {
        switch type {
        case .f32:
            out.update(from: src.assumingMemoryBound(to: Float.self), count: count)
        case .f16:
            for i in 0..<count { out[i] = half(src, 2 * i) }
        case .q8_0:
            for b in 0..<count / 32 {
                let block = src + b * 34
                let d = SIMD16<Float>(repeating: half(block))
                let (lo, hi) = bytes(block + 2)
                UnsafeMutableRawPointer(out + 32 * b).storeBytes(of: lo * d, as: SIMD16<Float>.self)
                UnsafeMutableRawPointer(out + 32 * b + 16).storeBytes(of: hi * d, as: SIMD16<Float>.self)
            }
        case .q4_0:
            for b in 0..<count / 32 {
                let block = src + b * 18
                let d = SIMD16<Float>(repeating: half(block))
                let (lo, hi) = nibbles(block + 2)
                UnsafeMutableRawPointer(out + 32 * b).storeBytes(of: (lo - 8) * d, as: SIMD16<Float>.self)
                UnsafeMutableRawPointer(out + 32 * b + 16).storeBytes(of: (hi - 8) * d, as: SIMD16<Float>.self)
            }
        case .q4_1:
            for b in 0..<count / 32 {
                let block = src + b * 20
                let d = SIMD16<Float>(repeating: half(block)), m = SIMD16<Float>(repeating: half(block, 2))
                let (lo, hi) = nibbles(block + 4)
                UnsafeMutableRawPointer(out + 32 * b).storeBytes(of: lo * d + m, as: SIMD16<Float>.self)
                UnsafeMutableRawPointer(out + 32 * b + 16).storeBytes(of: hi * d + m, as: SIMD16<Float>.self)
            }
        case .q4_K, .q6_K:
            KQuants.dequantize(type: type, src, count: count, into: out)
        default:
            // WeightMatrix refuses other types at construction.
            out.update(repeating: 0, count: count)
        }
    }

    /// Per-32-element block sums of an input vector (the Σx of the folded affine terms).
    public static func blockSums(_ x: UnsafePointer<Float>, count: Int, into sums: UnsafeMutablePointer<Float>) {
        for b in 0..<count / 32 {
            sums[b] = (load16(x + 32 * b) + load16(x + 32 * b + 16)).sum()
        }
    }

    /// Dot product of one stored row with a float vector (`sums` from `blockSums`).
    @inline(__always)
    public static func dot(type: GGMLType, _ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, sums: UnsafePointer<Float>, count: Int) -> Float {
        switch type {
        case .q4_1:
            var acc = SIMD16<Float>()
            var bias: Float = 0
            for b in 0..<count / 32 {
                let block = row + b * 20
                let (lo, hi) = nibbles(block + 4)
                var part = lo * load16(x + 32 * b)
                part.addProduct(hi, load16(x + 32 * b + 16))
                acc.addProduct(part, SIMD16(repeating: half(block)))
                bias += half(block, 2) * sums[b]
            }
            return acc.sum() + bias
        case .q4_0:
            var acc = SIMD16<Float>()
            var bias: Float = 0
            for b in 0..<count / 32 {
                let block = row + b * 18
                let d = half(block)
                let (lo, hi) = nibbles(block + 2)
                var part = lo * load16(x + 32 * b)
                part.addProduct(hi, load16(x + 32 * b + 16))
                acc.addProduct(part, SIMD16(repeating: d))
                bias -= 8 * d * sums[b]
            }
            return acc.sum() + bias
        case .q8_0:
            var acc = SIMD16<Float>()
            for b in 0..<count / 32 {
                let block = row + b * 34
                let (lo, hi) = bytes(block + 2)
                var part = lo * load16(x + 32 * b)
                part.addProduct(hi, load16(x + 32 * b + 16))
                acc.addProduct(part, SIMD16(repeating: half(block)))
            }
            return acc.sum()
        case .f32:
            let w = row.assumingMemoryBound(to: Float.self)
            var acc = SIMD16<Float>()
            var i = 0
            while i + 16 <= count { acc.addProduct(load16(w + i), load16(x + i)); i += 16 }
            var s = acc.sum()
            while i < count { s += w[i] * x[i]; i += 1 }
            return s
        case .f16:
            var s: Float = 0
            for i in 0..<count { s += half(row, 2 * i) * x[i] }
            return s
        case .q4_K, .q6_K:
            return KQuants.dot(type: type, row, x, count: count)
        default:
            return 0
        }
    }
}

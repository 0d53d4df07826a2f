/// The "K" block formats of GGML (super-blocks of 256 values with 6-bit sub-block scales), which
/// most GGUF files that users bring are made of. They are expanded block by block to float and
/// computed with in float (the 8-bit integer kernels cover Q4_0, Q4_1 and Q8_0).
enum KQuants {
    static let blockElements = 256
    static let q4KBytes = 144
    static let q6KBytes = 210

    /// Q4_K: d, dmin (float16), 12 bytes of packed 6-bit scales and mins for 8 sub-blocks of 32,
    /// then 128 bytes of nibbles (each 32 bytes hold two sub-blocks: low nibbles, high nibbles).
    static func dequantizeQ4K(_ block: UnsafeRawPointer, into y: UnsafeMutablePointer<Float>) {
        let d = QuantizedKernels.half(block), dmin = QuantizedKernels.half(block, 2)
        let scales = block.advanced(by: 4).assumingMemoryBound(to: UInt8.self)
        let qs = block.advanced(by: 16).assumingMemoryBound(to: UInt8.self)
        for chunk in 0..<4 {
            let (sc1, m1) = scaleMin(chunk * 2, scales)
            let (sc2, m2) = scaleMin(chunk * 2 + 1, scales)
            let d1 = d * Float(sc1), min1 = dmin * Float(m1)
            let d2 = d * Float(sc2), min2 = dmin * Float(m2)
            let q = qs + 32 * chunk
            let out = y + 64 * chunk
            for l in 0..<32 {
                out[l] = d1 * Float(q[l] & 0x0F) - min1
                out[l + 32] = d2 * Float(q[l] >> 4) - min2
            }
        }
    }

    /// The 6-bit scale and min of sub-block `j` (0…7) from Q4_K's 12 packed bytes.
    static func scaleMin(_ j: Int, _ q: UnsafePointer<UInt8>) -> (UInt8, UInt8) {
        if j < 4 { return (q[j] & 63, q[j + 4] & 63) }
        return ((q[j + 4] & 0x0F) | ((q[j - 4] >> 6) << 4), (q[j + 4] >> 4) | ((q[j] >> 6) << 4))
    }

    /// Q6_K: 128 bytes of low 4 bits, 64 bytes of high 2 bits, 16 signed 8-bit sub-block scales,
    /// then d (float16); values are d · scale · (q − 32).
    static func dequantizeQ6K(_ block: UnsafeRawPointer, into y: UnsafeMutablePointer<Float>) {
        let d = QuantizedKernels.half(block, 208)
        for half in 0..<2 {
            let ql = block.advanced(by: 64 * half).assumingMemoryBound(to: UInt8.self)
            let qh = block.advanced(by: 128 + 32 * half).assumingMemoryBound(to: UInt8.self)
            let sc = block.advanced(by: 192 + 8 * half).assumingMemoryBound(to: Int8.self)
            let out = y + 128 * half
            for l in 0..<32 {
                let s = l / 16
                let q1 = Int(ql[l] & 0x0F | ((qh[l] >> 0) & 3) << 4) - 32
                let q2 = Int(ql[l + 32] & 0x0F | ((qh[l] >> 2) & 3) << 4) - 32
                let q3 = Int(ql[l] >> 4 | ((qh[l] >> 4) & 3) << 4) - 32
                let q4 = Int(ql[l + 32] >> 4 | ((qh[l] >> 6) & 3) << 4) - 32
                out[l] = d * Float(sc[s]) * Float(q1)
                out[l + 32] = d * Float(sc[s + 2]) * Float(q2)
                out[l + 64] = d * Float(sc[s + 4]) * Float(q3)
                out[l + 96] = d * Float(sc[s + 6]) * Float(q4)
            }
        }
    }

    /// Expands `count` values (a multiple of 256) of a K-quant row.
    static func dequantize(type: GGMLType, _ src: UnsafeRawPointer, count: Int, into out: UnsafeMutablePointer<Float>) {
        for b in 0..<count / blockElements {
            switch type {
            case .q4_K: dequantizeQ4K(src + b * q4KBytes, into: out + b * blockElements)
            case .q6_K: dequantizeQ6K(src + b * q6KBytes, into: out + b * blockElements)
            default: (out + b * blockElements).update(repeating: 0, count: blockElements)
            }
        }
    }

    /// Dot product of a K-quant row with a float vector, one expanded super-block at a time.
    static func dot(type: GGMLType, _ row: UnsafeRawPointer, _ x: UnsafePointer<Float>, count: Int) -> Float {
        let bytes = type == .q4_K ? q4KBytes : q6KBytes
        return withUnsafeTemporaryAllocation(of: Float.self, capacity: blockElements) { buffer in
            guard let values = buffer.baseAddress else { return 0 }
            var sum: Float = 0
            for b in 0..<count / blockElements {
                dequantize(type: type, row + b * bytes, count: blockElements, into: values)
                sum += VectorMath.dot(values, x + b * blockElements, count: blockElements)
            }
            return sum
        }
    }
}

import Foundation

/// Small float kernels of the transformer blocks.
public enum VectorMath {
    /// out = x / sqrt(mean(x²) + eps) * weight
    public static func rmsNorm(_ x: UnsafePointer<Float>, weight: [Float], epsilon: Float, count: Int, into out: UnsafeMutablePointer<Float>) {
        var sum: Double = 0
        for i in 0..<count { sum += Double(x[i]) * Double(x[i]) }
        let scale = Float(1 / (sum / Double(count) + Double(epsilon)).squareRoot())
        weight.withUnsafeBufferPointer { w in
            for i in 0..<count { out[i] = x[i] * scale * w[i] }
        }
    }

    /// In-place softmax.
    public static func softmax(_ x: UnsafeMutablePointer<Float>, count: Int) {
        var maxValue = -Float.infinity
        for i in 0..<count { maxValue = max(maxValue, x[i]) }
        var sum: Double = 0
        for i in 0..<count {
            let e = expf(x[i] - maxValue)
            x[i] = e
            sum += Double(e)
        }
        let inv = Float(1 / sum)
        for i in 0..<count { x[i] *= inv }
    }

    @inline(__always)
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var acc = SIMD16<Float>()
        var i = 0
        while i + 16 <= count {
            acc.addProduct(UnsafeRawPointer(a + i).loadUnaligned(as: SIMD16<Float>.self),
                           UnsafeRawPointer(b + i).loadUnaligned(as: SIMD16<Float>.self))
            i += 16
        }
        var s = acc.sum()
        while i < count { s += a[i] * b[i]; i += 1 }
        return s
    }

    /// Σ (a[i] − b[i])², sixteen lanes at a time.
    @inline(__always)
    public static func squaredDistance(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var acc = SIMD16<Float>()
        var i = 0
        while i + 16 <= count {
            let d = UnsafeRawPointer(a + i).loadUnaligned(as: SIMD16<Float>.self) - UnsafeRawPointer(b + i).loadUnaligned(as: SIMD16<Float>.self)
            acc.addProduct(d, d)
            i += 16
        }
        var s = acc.sum()
        while i < count { s += (a[i] - b[i]) * (a[i] - b[i]); i += 1 }
        return s
    }

    /// Dot product of a float vector with a float16 one, in float.
    @inline(__always)
    public static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float16>, count: Int) -> Float {
        var acc = SIMD16<Float>()
        var i = 0
        while i + 16 <= count {
            acc.addProduct(UnsafeRawPointer(a + i).loadUnaligned(as: SIMD16<Float>.self),
                           SIMD16<Float>(UnsafeRawPointer(b + i).loadUnaligned(as: SIMD16<Float16>.self)))
            i += 16
        }
        var s = acc.sum()
        while i < count { s += a[i] * Float(b[i]); i += 1 }
        return s
    }

    /// y += a·x for a float16 x.
    @inline(__always)
    public static func addScaled(_ x: UnsafePointer<Float16>, _ a: Float, into y: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        let av = SIMD16<Float>(repeating: a)
        while i + 16 <= count {
            var v = UnsafeRawPointer(y + i).loadUnaligned(as: SIMD16<Float>.self)
            v.addProduct(SIMD16<Float>(UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float16>.self)), av)
            UnsafeMutableRawPointer(y + i).storeBytes(of: v, as: SIMD16<Float>.self)
            i += 16
        }
        while i < count { y[i] += a * Float(x[i]); i += 1 }
    }

    /// y += a·x
    @inline(__always)
    public static func addScaled(_ x: UnsafePointer<Float>, _ a: Float, into y: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        let av = SIMD16<Float>(repeating: a)
        while i + 16 <= count {
            var v = UnsafeRawPointer(y + i).loadUnaligned(as: SIMD16<Float>.self)
            v.addProduct(UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self), av)
            UnsafeMutableRawPointer(y + i).storeBytes(of: v, as: SIMD16<Float>.self)
            i += 16
        }
        while i < count { y[i] += a * x[i]; i += 1 }
    }
}

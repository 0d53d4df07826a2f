import Foundation

/// Vectorised transcendental functions for activations over whole rows. `Foundation.erf` and
/// `exp` are scalar library calls; an encoder applies GELU to millions of values per window.
public enum FastMath {
    /// e^x, relative error below 2e-7 (Cephes' polynomial after reduction by ln 2).
    @inline(__always)
    public static func exp(_ x: SIMD8<Float>) -> SIMD8<Float> {
        // (`clamped` and `pointwiseMin/Max` are out-of-line calls; masks inline.)
        let low = SIMD8<Float>(repeating: -87.3), high = SIMD8<Float>(repeating: 88.7)
        let clamped = x.replacing(with: low, where: x .< low).replacing(with: high, where: x .> high)
        // Round x·log2(e) to the nearest integer with the 1.5·2²³ trick (no conversion calls).
        let magic = SIMD8<Float>(repeating: 12_582_912)
        let shifted = clamped * 1.442695040888963 + magic
        let n = shifted - magic
        var r = clamped - n * 0.693359375
        r = r - n * -2.12194440e-4
        var p = SIMD8<Float>(repeating: 1.9875691500e-4)
        p = p * r + 1.3981999507e-3
        p = p * r + 8.3334519073e-3
        p = p * r + 4.1665795894e-2
        p = p * r + 1.6666665459e-1
        p = p * r + 5.0000001201e-1
        p = p * (r * r) + r + 1
        // 2ⁿ from the integer sitting in the low mantissa bits of `shifted`.
        let integer = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000
        let scale = unsafeBitCast((integer &+ 127) &<< 23, to: SIMD8<Float>.self)
        return p * scale
    }

    /// erf(x) with absolute error below 2e-7 (Abramowitz & Stegun 7.1.26).
    @inline(__always)
    public static func erf(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let bits = unsafeBitCast(x, to: SIMD8<UInt32>.self)
        let a = unsafeBitCast(bits & 0x7FFF_FFFF, to: SIMD8<Float>.self)
        let t = 1 / (1 + 0.3275911 * a)
        var poly = SIMD8<Float>(repeating: 1.061405429)
        poly = poly * t - 1.453152027
        poly = poly * t + 1.421413741
        poly = poly * t - 0.284496736
        poly = poly * t + 0.254829592
        let y = 1 - poly * t * exp(-a * a)
        // Give y the sign of x.
        return unsafeBitCast(unsafeBitCast(y, to: SIMD8<UInt32>.self) | (bits & 0x8000_0000), to: SIMD8<Float>.self)
    }

    /// In-place GELU with the exact (erf) form: x·½·(1 + erf(x/√2)).
    public static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + 8 <= count {
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
            let g = v * 0.5 * (1 + erf(v * 0.7071067811865476))
            UnsafeMutableRawPointer(x + i).storeBytes(of: g, as: SIMD8<Float>.self)
            i += 8
        }
        if i < count {
            var tail = SIMD8<Float>()
            for j in i..<count { tail[j - i] = x[j] }
            let g = tail * 0.5 * (1 + erf(tail * 0.7071067811865476))
            for j in i..<count { x[j] = g[j - i] }
        }
    }

    /// GELU over a large buffer, split over `threads`.
    public static func gelu(_ x: UnsafeMutablePointer<Float>, count: Int, threads: Int) {
        Parallel.chunks(count, threads: count >= 65_536 ? threads : 1, granularity: 64) { range in
            gelu(x + range.lowerBound, count: range.count)
        }
    }

    /// y = leakyReLU(x), split over `threads` for large buffers.
    public static func leakyReLU(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int, slope: Float, threads: Int) {
        Parallel.chunks(count, threads: count >= 65_536 ? threads : 1, granularity: 64) { range in
            (y + range.lowerBound).update(from: x + range.lowerBound, count: range.count)
            leakyReLU(y + range.lowerBound, count: range.count, slope: slope)
        }
    }

    /// y = (y + x) · scale, split over `threads` for large buffers.
    public static func addScaled(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int, scale: Float = 1, threads: Int) {
        Parallel.chunks(count, threads: count >= 65_536 ? threads : 1, granularity: 64) { range in
            var i = range.lowerBound
            while i + 8 <= range.upperBound {
                let v = (UnsafeRawPointer(y + i).loadUnaligned(as: SIMD8<Float>.self) + UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)) * scale
                UnsafeMutableRawPointer(y + i).storeBytes(of: v, as: SIMD8<Float>.self)
                i += 8
            }
            while i < range.upperBound { y[i] = (y[i] + x[i]) * scale; i += 1 }
        }
    }

    /// tanh(a)·sigmoid(b) elementwise (WaveNet's gate), vectorised.
    public static func gatedTanh(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + 8 <= count {
            let va = UnsafeRawPointer(a + i).loadUnaligned(as: SIMD8<Float>.self)
            let vb = UnsafeRawPointer(b + i).loadUnaligned(as: SIMD8<Float>.self)
            let t = 1 - 2 / (exp(va + va) + 1)
            let s = 1 / (1 + exp(-vb))
            UnsafeMutableRawPointer(y + i).storeBytes(of: t * s, as: SIMD8<Float>.self)
            i += 8
        }
        while i < count {
            y[i] = Foundation.tanh(a[i]) / (1 + Foundation.exp(-b[i]))
            i += 1
        }
    }

    /// In-place leaky ReLU: max(x, slope·x) for 0 ≤ slope ≤ 1.
    public static func leakyReLU(_ x: UnsafeMutablePointer<Float>, count: Int, slope: Float) {
        var i = 0
        while i + 8 <= count {
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
            let scaled = v * slope
            UnsafeMutableRawPointer(x + i).storeBytes(of: v.replacing(with: scaled, where: v .< scaled), as: SIMD8<Float>.self)
            i += 8
        }
        while i < count { x[i] = Swift.max(x[i], x[i] * slope); i += 1 }
    }

    /// y += x
    public static func add(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        while i + 8 <= count {
            let v = UnsafeRawPointer(y + i).loadUnaligned(as: SIMD8<Float>.self) + UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(y + i).storeBytes(of: v, as: SIMD8<Float>.self)
            i += 8
        }
        while i < count { y[i] += x[i]; i += 1 }
    }

    /// In-place softmax with the vectorised exp.
    public static func softmax(_ x: UnsafeMutablePointer<Float>, count: Int) {
        guard count > 0 else { return }
        let m = SIMD8<Float>(repeating: VectorMath.maximum(x, count: count))
        var sums = SIMD8<Float>()
        var i = 0
        while i + 8 <= count {
            let e = exp(UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self) - m)
            UnsafeMutableRawPointer(x + i).storeBytes(of: e, as: SIMD8<Float>.self)
            sums += e
            i += 8
        }
        if i < count {
            var tail = SIMD8<Float>(repeating: -.infinity)
            for j in i..<count { tail[j - i] = x[j] }
            let e = exp(tail - m)
            for j in i..<count { x[j] = e[j - i]; sums[j - i] += e[j - i] }
        }
        let inverse = 1 / sums.sum()
        i = 0
        while i + 8 <= count {
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self) * inverse
            UnsafeMutableRawPointer(x + i).storeBytes(of: v, as: SIMD8<Float>.self)
            i += 8
        }
        for j in i..<count { x[j] *= inverse }
    }

    /// In-place layer normalisation of `rows` rows of `width`: (x − mean) / √(var + ε) · γ + β.
    public static func layerNorm(_ x: UnsafePointer<Float>, rows: Int, width: Int,
                                 gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, epsilon: Float = 1e-5,
                                 into out: UnsafeMutablePointer<Float>) {
        for r in 0..<rows {
            let row = x + r * width, o = out + r * width
            var sum: Float = 0
            for i in 0..<width { sum += row[i] }
            let mean = sum / Float(width)
            var squares: Float = 0
            for i in 0..<width { let d = row[i] - mean; squares += d * d }
            let scale = 1 / (squares / Float(width) + epsilon).squareRoot()
            for i in 0..<width { o[i] = (row[i] - mean) * scale * gamma[i] + beta[i] }
        }
    }
}

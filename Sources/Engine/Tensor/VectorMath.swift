import Foundation

/// Small float kernels of the transformer blocks.
public enum VectorMath {
    /// out = x / sqrt(mean(x²) + eps) * weight
    public static func rmsNorm(_ x: UnsafePointer<Float>, weight: [Float], epsilon: Float, count: Int, into out: UnsafeMutablePointer<Float>) {
        var sum: Double = 0
        for i in 0..<count { sum += Double(x[i]) * Double(x[i]) }
        let scale = rmsScale(sumOfSquares: sum, count: count, epsilon: epsilon)
        weight.withUnsafeBufferPointer { w in
            for i in 0..<count { out[i] = x[i] * scale * w[i] }
        }
    }

    /// `rmsNorm` of `rows` consecutive rows, two at a time: a row's sum of squares is one chain
    /// of dependent double additions, and two chains side by side take the time of one (the
    /// rows of a batch are normalised by one thread while the others wait). Each row's numbers
    /// are `rmsNorm`'s.
    public static func rmsNorm(rows n: Int, _ x: UnsafePointer<Float>, weight: [Float], epsilon: Float, count: Int,
                               into out: UnsafeMutablePointer<Float>) {
        var i = 0
        while i + 1 < n {
            let a = x + i * count, b = a + count
            var sumA: Double = 0, sumB: Double = 0
            for j in 0..<count {
                sumA += Double(a[j]) * Double(a[j])
                sumB += Double(b[j]) * Double(b[j])
            }
            let scaleA = rmsScale(sumOfSquares: sumA, count: count, epsilon: epsilon)
            let scaleB = rmsScale(sumOfSquares: sumB, count: count, epsilon: epsilon)
            weight.withUnsafeBufferPointer { w in
                for j in 0..<count {
                    out[i * count + j] = a[j] * scaleA * w[j]
                    out[(i + 1) * count + j] = b[j] * scaleB * w[j]
                }
            }
            i += 2
        }
        if i < n { rmsNorm(x + i * count, weight: weight, epsilon: epsilon, count: count, into: out + i * count) }
    }

    /// 1 / sqrt(mean(x²) + eps), from Σx² in double.
    @inline(__always)
    static func rmsScale(sumOfSquares sum: Double, count: Int, epsilon: Float) -> Float {
        Float(1 / (sum / Double(count) + Double(epsilon)).squareRoot())
    }

    /// In-place softmax: e^(x − max) with glibc's `expf` (eight at a time through `LibmExp`,
    /// the same numbers), summed in double in element order, then scaled by 1 / sum.
    public static func softmax(_ x: UnsafeMutablePointer<Float>, count: Int) {
        let maxValue = maximum(x, count: count)
        var sum: Double = 0
        let m = SIMD8<Float>(repeating: maxValue)
        var i = 0
        while i + 8 <= count {
            let e = LibmExp.expf(UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Float>.self) - m)
            UnsafeMutableRawPointer(x + i).storeBytes(of: e, as: SIMD8<Float>.self)
            for lane in 0..<8 { sum += Double(e[lane]) }
            i += 8
        }
        while i < count { x[i] = expf(x[i] - maxValue); sum += Double(x[i]); i += 1 }
        let inv = Float(1 / sum)
        for i in 0..<count { x[i] *= inv }
    }

    /// SwiGLU's gating in place: g ← g / (1 + e^−g) · up, with glibc's `expf` (through
    /// `LibmExp` eight at a time), so each value is the one the plain expression gives.
    public static func gatedSiLU(_ g: UnsafeMutablePointer<Float>, up: UnsafePointer<Float>, count: Int) {
        var i = 0
        while i + 8 <= count {
            let v = UnsafeRawPointer(g + i).loadUnaligned(as: SIMD8<Float>.self)
            let u = UnsafeRawPointer(up + i).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(g + i).storeBytes(of: v / (1 + LibmExp.expf(-v)) * u, as: SIMD8<Float>.self)
            i += 8
        }
        while i < count { g[i] = g[i] / (1 + expf(-g[i])) * up[i]; i += 1 }
    }

    /// The largest of `count` values, sixteen lanes at a time (also `FastMath.softmax`'s). (A
    /// running `max` one value after another is a chain of dependent compares and blends, 2–3
    /// times the cost of the whole vectorised exp.) Without NaNs the value is the same in any
    /// order, up to the sign of a zero, which x − max and e^(x − max) do not see.
    static func maximum(_ x: UnsafePointer<Float>, count: Int) -> Float {
        var maxima = SIMD16<Float>(repeating: -.infinity)
        var i = 0
        while i + 16 <= count {
            let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD16<Float>.self)
            maxima = maxima.replacing(with: v, where: v .> maxima)
            i += 16
        }
        var result = -Float.infinity
        for lane in 0..<16 where maxima[lane] > result { result = maxima[lane] }
        while i < count { if x[i] > result { result = x[i] }; i += 1 }
        return result
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
        var s = laneSum(acc)
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
        var s = laneSum(acc)
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
                           VectorConversions.widen(b + i))
            i += 16
        }
        var s = laneSum(acc)
        while i < count { s += a[i] * Float(b[i]); i += 1 }
        return s
    }

    /// out[p] = a·rows[p]·scale for `count` float16 rows `stride` elements apart (attention's
    /// scores), each as `dot` computes it: sixteen rows at a time through `SixteenDots`, the
    /// rest four at a time, so that one row's chain of lane additions overlaps the next rows'.
    public static func dots(_ a: UnsafePointer<Float>, rows: UnsafePointer<Float16>, stride: Int, count: Int, width: Int,
                            scale: Float, into out: UnsafeMutablePointer<Float>) {
        var p = 0
        if width % 16 == 0 {
            while p + 16 <= count {
                var block = SixteenDots()
                let r = rows + p * stride
                for i in Swift.stride(from: 0, to: width, by: 16) {
                    block.add(UnsafeRawPointer(a + i).loadUnaligned(as: SIMD16<Float>.self), rows: r + i, stride: stride)
                }
                UnsafeMutableRawPointer(out + p).storeBytes(of: block.totals() * scale, as: SIMD16<Float>.self)
                p += 16
            }
        }
        while p + 4 <= count {
            let r = rows + p * stride
            let s0 = dot(a, r, count: width), s1 = dot(a, r + stride, count: width)
            let s2 = dot(a, r + 2 * stride, count: width), s3 = dot(a, r + 3 * stride, count: width)
            out[p] = s0 * scale; out[p + 1] = s1 * scale; out[p + 2] = s2 * scale; out[p + 3] = s3 * scale
            p += 4
        }
        while p < count {
            out[p] = dot(a, rows + p * stride, count: width) * scale
            p += 1
        }
    }

    /// v[0] + v[1] + … + v[15], lane after lane: `SIMD.sum()`'s order, written inline because the
    /// optimiser leaves `sum()` as an out-of-line call.
    @inline(__always)
    static func laneSum(_ v: SIMD16<Float>) -> Float {
        var s = v[0]
        for lane in 1..<16 { s += v[lane] }
        return s
    }

    /// y += a·x for a float16 x.
    @inline(__always)
    public static func addScaled(_ x: UnsafePointer<Float16>, _ a: Float, into y: UnsafeMutablePointer<Float>, count: Int) {
        var i = 0
        let av = SIMD16<Float>(repeating: a)
        while i + 16 <= count {
            var v = UnsafeRawPointer(y + i).loadUnaligned(as: SIMD16<Float>.self)
            v.addProduct(VectorConversions.widen(x + i), av)
            UnsafeMutableRawPointer(y + i).storeBytes(of: v, as: SIMD16<Float>.self)
            i += 16
        }
        while i < count { y[i] += a * Float(x[i]); i += 1 }
    }

    /// out = Σ_p weights[p]·rows[p] over `count` float16 rows of `width` elements, `stride`
    /// elements apart; with `continuing`, out += that, the sums going on from out's values as if
    /// the rows had followed those summed into it. Each element is the same chain of fused
    /// multiply-adds, in row order, as `addScaled` row after row gives; but 64 elements at a time
    /// are summed in registers over all the rows, where row after row would store and reload
    /// `out` each time (attention's values: a load and a store per multiply-add, each waiting on
    /// the last).
    public static func weightedSum(_ rows: UnsafePointer<Float16>, stride: Int, weights: UnsafePointer<Float>, count: Int,
                                   width: Int, into out: UnsafeMutablePointer<Float>, continuing: Bool = false) {
        var column = 0
        while column + 64 <= width {
            let o = UnsafeMutableRawPointer(out + column)
            var a0 = SIMD16<Float>(), a1 = SIMD16<Float>(), a2 = SIMD16<Float>(), a3 = SIMD16<Float>()
            if continuing {
                a0 = o.loadUnaligned(as: SIMD16<Float>.self); a1 = o.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self)
                a2 = o.loadUnaligned(fromByteOffset: 128, as: SIMD16<Float>.self); a3 = o.loadUnaligned(fromByteOffset: 192, as: SIMD16<Float>.self)
            }
            var row = rows + column
            for p in 0..<count {
                let w = SIMD16<Float>(repeating: weights[p])
                a0.addProduct(VectorConversions.widen(row), w)
                a1.addProduct(VectorConversions.widen(row + 16), w)
                a2.addProduct(VectorConversions.widen(row + 32), w)
                a3.addProduct(VectorConversions.widen(row + 48), w)
                row += stride
            }
            o.storeBytes(of: a0, as: SIMD16<Float>.self)
            o.storeBytes(of: a1, toByteOffset: 64, as: SIMD16<Float>.self)
            o.storeBytes(of: a2, toByteOffset: 128, as: SIMD16<Float>.self)
            o.storeBytes(of: a3, toByteOffset: 192, as: SIMD16<Float>.self)
            column += 64
        }
        guard column < width else { return }
        if !continuing { (out + column).update(repeating: 0, count: width - column) }
        for p in 0..<count { addScaled(rows + p * stride + column, weights[p], into: out + column, count: width - column) }
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

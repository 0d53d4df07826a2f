import Foundation

/// e^x for floats, eight at a time, giving exactly the numbers glibc's `expf` gives on x86-64
/// (its FMA build, the one the dynamic loader picks on this hardware), for |x| < 88.
///
/// Attention's softmax calls `expf` once per score: 86,000 calls per sequence per decode step
/// at 320 positions, a quarter of attention. A different vector exp would be faster still but
/// would change the probabilities in their last bit, and with them the greedy tokens that the
/// parity tests hold; this one changes nothing. glibc's method: x·32/ln 2 is split into an
/// integer k and a remainder r in double precision; 2^(k/32) comes from a 32-entry table and
/// the exponent bits, 2^(r/32) from a cubic; the FMA build fuses the products marked below.
/// `FloatKernelTests` compares every 97th float in range with `expf`.
enum LibmExp {
    /// 2^(i/32) as a double, less i·2^47: adding k·2^47 to entry k mod 32 puts k div 32 into
    /// the exponent field. Made once and never freed; it is only read.
    nonisolated(unsafe) static let table: UnsafePointer<UInt64> = {
        let table = UnsafeMutablePointer<UInt64>.allocate(capacity: 32)
        for i in 0..<32 { table[i] = Double(exp2(Float80(i) / 32)).bitPattern &- (UInt64(i) << 47) }
        return UnsafePointer(table)
    }()

    /// Whether `exp` computes every lane of `x`: glibc leaves its main path when |x| ≥ 88 (or x
    /// is not finite), for overflow, underflow and errno.
    @inline(__always)
    static func covers(_ x: SIMD8<Float>) -> Bool {
        let topBits = (unsafeBitCast(x, to: SIMD8<UInt32>.self) &>> 20) & 0x7FF
        return !any(topBits .> 0x42A)
    }

    /// `expf` of each lane: eight at a time where `covers` accepts them, otherwise lane by lane
    /// through glibc itself.
    @inline(__always)
    static func expf(_ x: SIMD8<Float>) -> SIMD8<Float> {
        guard covers(x) else {
            var e = x
            for lane in 0..<8 { e[lane] = Foundation.expf(x[lane]) }
            return e
        }
        return exp(x)
    }

    /// `expf` of each lane, for lanes that `covers` accepts.
    @inline(__always)
    static func exp(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let xd = VectorConversions.double(x)
        let shift = SIMD8<Double>(repeating: 0x1.8p52)  // adding it rounds to an integer
        let scale = SIMD8<Double>(repeating: 0x1.71547652b82fep+5)  // 32 / ln 2
        var kd = shift.addingProduct(scale, xd)  // fused
        let k = unsafeBitCast(kd, to: SIMD8<UInt64>.self)
        kd -= shift
        let r = (-kd).addingProduct(scale, xd)  // fused
        var bits = SIMD8<UInt64>()
        let index = k & 31, table = Self.table
        for lane in 0..<8 { bits[lane] = table[Int(index[lane])] }
        let s = unsafeBitCast(bits &+ (k &<< 47), to: SIMD8<Double>.self)
        let c0 = SIMD8<Double>(repeating: 0x1.c6af84b912394p-20)
        let c1 = SIMD8<Double>(repeating: 0x1.ebfce50fac4f3p-13)
        let c2 = SIMD8<Double>(repeating: 0x1.62e42ff0c52d6p-6)
        let z = c1.addingProduct(c0, r)  // fused
        let y = SIMD8<Double>(repeating: 1).addingProduct(c2, r).addingProduct(z, r * r)  // both fused
        return VectorConversions.float(y * s)
    }
}

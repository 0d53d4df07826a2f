#if RTD_AVX2 || RTD_AVX512_VNNI
import _Builtin_intrinsics.intel
#endif

/// The integer core of llama.cpp's quantized dot products: for each 32-element block of 8-bit
/// values, eight Int32 lanes, lane k the sum of the products of elements 4k … 4k + 3 (what its
/// `mul_sum_us8_pairs_float` and `mul_sum_i8_pairs_float` compute on x86). Blocks are taken
/// in pairs: lanes 0–7 are the first block's, 8–15 the second's.
///
/// The lanes are exact integers, so every implementation gives the same numbers; they differ
/// only in cost. The build picks the cheapest this CPU has (`Package.swift` defines the
/// conditions): one `vpdpbusd` per pair with AVX-512 VNNI, `vpmaddubsw` and `vpmaddwd` per
/// block with AVX2 (llama.cpp's own fallback), plain Swift elsewhere. The portable versions
/// are compiled everywhere, so the tests compare the fast ones with them.
enum BlockLanes {
    /// Unsigned weights (4-bit values, 0…15) times signed activations.
    @inline(__always)
    static func unsigned(_ w: SIMD64<UInt8>, _ x: SIMD64<Int8>) -> SIMD16<Int32> {
        #if RTD_AVX512_VNNI
        return vnniUnsigned(w, x)
        #elseif RTD_AVX2
        return avx2Unsigned(w, x)
        #else
        return portableUnsigned(w, x)
        #endif
    }

    /// Signed weights (Q8_0, or Q4_0 less 8) times signed activations, which must not be −128
    /// (the activation quantizer's range is ±127; a weight of −128 is fine).
    @inline(__always)
    static func signed(_ w: SIMD64<Int8>, _ x: SIMD64<Int8>) -> SIMD16<Int32> {
        #if RTD_AVX512_VNNI
        return vnniSigned(w, x)
        #elseif RTD_AVX2
        return avx2Signed(w, x)
        #else
        return portableSigned(w, x)
        #endif
    }

    static func portableUnsigned(_ w: SIMD64<UInt8>, _ x: SIMD64<Int8>) -> SIMD16<Int32> { portable(w, x) }

    static func portableSigned(_ w: SIMD64<Int8>, _ x: SIMD64<Int8>) -> SIMD16<Int32> { portable(w, x) }

    static func portable<Weight: FixedWidthInteger & SIMDScalar>(_ w: SIMD64<Weight>, _ x: SIMD64<Int8>) -> SIMD16<Int32> {
        var lanes = SIMD16<Int32>()
        for i in 0..<64 { lanes[i / 4] &+= Int32(w[i]) &* Int32(x[i]) }
        return lanes
    }

    #if RTD_AVX512_VNNI
    @inline(__always)
    static func vnniUnsigned(_ w: SIMD64<UInt8>, _ x: SIMD64<Int8>) -> SIMD16<Int32> {
        unsafeBitCast(_mm512_dpbusd_epi32(_mm512_setzero_si512(), unsafeBitCast(w, to: __m512i.self), unsafeBitCast(x, to: __m512i.self)),
                      to: SIMD16<Int32>.self)
    }

    /// |w| times x with w's sign, which `vpdpbusd` (unsigned × signed) can take.
    @inline(__always)
    static func vnniSigned(_ w: SIMD64<Int8>, _ x: SIMD64<Int8>) -> SIMD16<Int32> {
        let w = unsafeBitCast(w, to: __m512i.self), x = unsafeBitCast(x, to: __m512i.self)
        let zero = _mm512_setzero_si512()
        let signedX = _mm512_mask_sub_epi8(x, _mm512_movepi8_mask(w), zero, x)
        return unsafeBitCast(_mm512_dpbusd_epi32(zero, _mm512_abs_epi8(w), signedX), to: SIMD16<Int32>.self)
    }
    #endif

    #if RTD_AVX2
    /// Pairs of u8 × s8 products into Int16, which saturates above 32 767: here at most
    /// 2·15·127, or 2·128·127 for signed weights' magnitudes. Then pairs of those into Int32.
    @inline(__always)
    static func avx2Lanes(_ w: SIMD32<UInt8>, _ x: SIMD32<Int8>) -> SIMD8<Int32> {
        let products = _mm256_maddubs_epi16(unsafeBitCast(w, to: __m256i.self), unsafeBitCast(x, to: __m256i.self))
        return unsafeBitCast(_mm256_madd_epi16(products, _mm256_set1_epi16(1)), to: SIMD8<Int32>.self)
    }

    @inline(__always)
    static func avx2Unsigned(_ w: SIMD64<UInt8>, _ x: SIMD64<Int8>) -> SIMD16<Int32> {
        let w = unsafeBitCast(w, to: (SIMD32<UInt8>, SIMD32<UInt8>).self), x = unsafeBitCast(x, to: (SIMD32<Int8>, SIMD32<Int8>).self)
        return unsafeBitCast((avx2Lanes(w.0, x.0), avx2Lanes(w.1, x.1)), to: SIMD16<Int32>.self)
    }

    @inline(__always)
    static func avx2Signed(_ w: SIMD32<Int8>, _ x: SIMD32<Int8>) -> SIMD8<Int32> {
        let w = unsafeBitCast(w, to: __m256i.self), x = unsafeBitCast(x, to: __m256i.self)
        return avx2Lanes(unsafeBitCast(_mm256_sign_epi8(w, w), to: SIMD32<UInt8>.self),
                         unsafeBitCast(_mm256_sign_epi8(x, w), to: SIMD32<Int8>.self))
    }

    @inline(__always)
    static func avx2Signed(_ w: SIMD64<Int8>, _ x: SIMD64<Int8>) -> SIMD16<Int32> {
        let w = unsafeBitCast(w, to: (SIMD32<Int8>, SIMD32<Int8>).self), x = unsafeBitCast(x, to: (SIMD32<Int8>, SIMD32<Int8>).self)
        return unsafeBitCast((avx2Signed(w.0, x.0), avx2Signed(w.1, x.1)), to: SIMD16<Int32>.self)
    }
    #endif
}

#if RTD_AVX2 || RTD_AVX512_VNNI
import _Builtin_intrinsics.intel
#endif

/// Conversions between SIMD element types on hot paths. The standard library's generic ones
/// (`SIMD16<Float>(SIMD16<Float16>)`, `truncatingIfNeeded:`) are sometimes left as out-of-line
/// calls by the optimiser, at several times the cost of the instruction they stand for; here
/// they are that instruction where the build has it (the conditions are `BlockLanes`'s). As
/// there, the portable forms are compiled everywhere so that tests can compare.
enum VectorConversions {
    /// Sixteen float16 values at `p` as floats.
    @inline(__always)
    static func widen(_ p: UnsafePointer<Float16>) -> SIMD16<Float> {
        #if RTD_AVX512_VNNI
        return _mm512_cvtph_ps(UnsafeRawPointer(p).loadUnaligned(as: __m256i.self))
        #elseif RTD_AVX2
        return unsafeBitCast((_mm256_cvtph_ps(UnsafeRawPointer(p).loadUnaligned(as: __m128i.self)),
                       _mm256_cvtph_ps(UnsafeRawPointer(p + 8).loadUnaligned(as: __m128i.self))), to: SIMD16<Float>.self)
        #else
        return widenPortably(p)
        #endif
    }

    @inline(__always)
    static func widenPortably(_ p: UnsafePointer<Float16>) -> SIMD16<Float> {
        SIMD16<Float>(UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float16>.self))
    }

    /// Int32 → Float, exactly for |v| < 2^22 (the block lanes' sums).
    @inline(__always)
    static func float(_ v: SIMD16<Int32>) -> SIMD16<Float> {
        #if RTD_AVX512_VNNI
        return _mm512_cvtepi32_ps(unsafeBitCast(v, to: __m512i.self))
        #elseif RTD_AVX2
        let halves = unsafeBitCast(v, to: (__m256i, __m256i).self)
        return unsafeBitCast((_mm256_cvtepi32_ps(halves.0), _mm256_cvtepi32_ps(halves.1)), to: SIMD16<Float>.self)
        #else
        return floatPortably(v)
        #endif
    }

    /// v placed in the mantissa of 1.5·2^23, which is then taken away.
    @inline(__always)
    static func floatPortably(_ v: SIMD16<Int32>) -> SIMD16<Float> {
        unsafeBitCast(v &+ 0x4B40_0000, to: SIMD16<Float>.self) - 12_582_912
    }

    /// Float → Double, exactly.
    @inline(__always)
    static func double(_ v: SIMD8<Float>) -> SIMD8<Double> {
        #if RTD_AVX512_VNNI
        return _mm512_cvtps_pd(v)
        #elseif RTD_AVX2
        let halves = unsafeBitCast(v, to: (__m128, __m128).self)
        return unsafeBitCast((_mm256_cvtps_pd(halves.0), _mm256_cvtps_pd(halves.1)), to: SIMD8<Double>.self)
        #else
        return SIMD8<Double>(v)
        #endif
    }

    /// Double → Float, rounded to nearest.
    @inline(__always)
    static func float(_ v: SIMD8<Double>) -> SIMD8<Float> {
        #if RTD_AVX512_VNNI
        return _mm512_cvtpd_ps(v)
        #elseif RTD_AVX2
        let halves = unsafeBitCast(v, to: (__m256d, __m256d).self)
        return unsafeBitCast((_mm256_cvtpd_ps(halves.0), _mm256_cvtpd_ps(halves.1)), to: SIMD8<Float>.self)
        #else
        return SIMD8<Float>(v)
        #endif
    }

    /// The low bytes of thirty-two Int32 values in −128 … 127, in order.
    @inline(__always)
    static func narrow(_ a: SIMD16<Int32>, _ b: SIMD16<Int32>) -> SIMD32<Int8> {
        #if RTD_AVX512_VNNI
        unsafeBitCast((_mm512_cvtepi32_epi8(unsafeBitCast(a, to: __m512i.self)),
                       _mm512_cvtepi32_epi8(unsafeBitCast(b, to: __m512i.self))), to: SIMD32<Int8>.self)
        #elseif RTD_AVX2
        narrowAVX2(a, b)
        #else
        narrowPortably(a, b)
        #endif
    }

    static func narrowPortably(_ a: SIMD16<Int32>, _ b: SIMD16<Int32>) -> SIMD32<Int8> {
        var out = SIMD32<Int8>()
        for k in 0..<16 {
            out[k] = Int8(truncatingIfNeeded: a[k])
            out[16 + k] = Int8(truncatingIfNeeded: b[k])
        }
        return out
    }

    #if RTD_AVX2
    /// Saturating packs work within 128-bit halves; the permutation puts the groups of four
    /// back in order (as llama.cpp's quantizer does).
    @inline(__always)
    static func narrowAVX2(_ a: SIMD16<Int32>, _ b: SIMD16<Int32>) -> SIMD32<Int8> {
        let a = unsafeBitCast(a, to: (__m256i, __m256i).self), b = unsafeBitCast(b, to: (__m256i, __m256i).self)
        let packed = _mm256_packs_epi16(_mm256_packs_epi32(a.0, a.1), _mm256_packs_epi32(b.0, b.1))
        return unsafeBitCast(_mm256_permutevar8x32_epi32(packed, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7)), to: SIMD32<Int8>.self)
    }
    #endif
}

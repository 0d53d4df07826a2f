import Foundation
import Testing
@testable import Engine

/// The decoder's float kernels (attention's scores and softmax, SwiGLU's gating) against their
/// plain definitions, to the bit: they decide greedy tokens at near-ties, and the parity
/// fixtures hold those tokens.
@Suite struct FloatKernelTests {
    /// Every 97th float of magnitude below 88 (23 million values, both signs), every float
    /// around the boundary, and the constants' neighbourhoods, against glibc's `expf`.
    @Test func libmExpEqualsExpf() {
        var values: [Float] = []
        var bits: UInt32 = 0
        while bits < 0x42B0_0000 {
            values.append(Float(bitPattern: bits)); values.append(Float(bitPattern: bits | 0x8000_0000))
            bits += 97
        }
        for b in UInt32(0x42AF_F000)..<0x42B0_0000 { values.append(Float(bitPattern: b)); values.append(-Float(bitPattern: b)) }
        values += [0, -0, 1, -1, Float(M_LN2), -Float(M_LN2), 1e-30, -1e-30, 87.99, -87.99]
        // The two floats below 88 in magnitude (of 2.2 billion, checked once outside the tests)
        // whose e^x changes if the reduction's remainder is not a fused multiply-add, as in
        // glibc's FMA build.
        values += [Float(bitPattern: 0x4202_422F), Float(bitPattern: 0xC27C_65D9)]
        while values.count % 8 != 0 { values.append(0) }
        var mismatches: [Float] = []
        for i in stride(from: 0, to: values.count, by: 8) {
            let x = SIMD8<Float>(values[i..<(i + 8)])
            #expect(LibmExp.covers(x))
            let e = LibmExp.exp(x)
            for lane in 0..<8 where e[lane].bitPattern != expf(x[lane]).bitPattern { mismatches.append(x[lane]) }
        }
        #expect(mismatches.isEmpty, "first: \(mismatches.prefix(5))")
    }

    @Test func libmExpLeavesLargeMagnitudesToExpf() {
        for outside: Float in [88, -88, 100, -104, .infinity, -.infinity, .nan] {
            var x = SIMD8<Float>(repeating: -1)
            x[5] = outside
            #expect(!LibmExp.covers(x), "\(outside)")
        }
    }

    /// The softmax as it was defined, one `expf` after another.
    static func softmaxByDefinition(_ x: [Float]) -> [Float] {
        var maxValue = -Float.infinity
        for v in x { maxValue = max(maxValue, v) }
        var sum: Double = 0
        var e = x.map { expf($0 - maxValue) }
        for v in e { sum += Double(v) }
        let inv = Float(1 / sum)
        for i in e.indices { e[i] *= inv }
        return e
    }

    @Test func softmaxEqualsItsDefinition() {
        var rng = SplitMix64(seed: 11)
        for count in Array(1...40) + [63, 64, 65, 320, 1000] {
            // Scores of attention's size, and some rows with gaps past −88 (glibc's other paths).
            let spread = count % 3 == 0 ? 200.0 : 12.0
            var x = (0..<count).map { _ in Float((rng.nextUnitDouble() - 0.7) * spread) }
            let expected = Self.softmaxByDefinition(x)
            x.withUnsafeMutableBufferPointer { VectorMath.softmax($0.baseAddress!, count: count) }
            #expect(x.map(\.bitPattern) == expected.map(\.bitPattern), "count \(count)")
        }
    }

    @Test func scoresEqualOneDotProductPerRow() {
        var rng = SplitMix64(seed: 5)
        for width in [64, 128, 80, 16, 7] {
            let stride = 3 * width + 5
            for count in [1, 4, 15, 16, 17, 33, 320] {
                let a = (0..<width).map { _ in Float(Float16(Float(rng.nextUnitDouble() * 6 - 3))) }
                let rows = (0..<(count * stride)).map { _ in Float16(Float(rng.nextUnitDouble() * 6 - 3)) }
                var scores = [Float](repeating: 0, count: count)
                a.withUnsafeBufferPointer { a in
                    rows.withUnsafeBufferPointer { rows in
                        VectorMath.dots(a.baseAddress!, rows: rows.baseAddress!, stride: stride, count: count, width: width,
                                        scale: 0.125, into: &scores)
                        for p in 0..<count {
                            let expected = VectorMath.dot(a.baseAddress!, rows.baseAddress! + p * stride, count: width) * 0.125
                            #expect(scores[p].bitPattern == expected.bitPattern, "width \(width), count \(count), row \(p)")
                        }
                    }
                }
            }
        }
    }

    /// Attention's values over a prefix read from one cache and the rest from another: the
    /// second sum goes on from the first, so the output is the single pass's, to the bit.
    @Test func weightedSumInTwoRunsEqualsOnePass() {
        var rng = SplitMix64(seed: 7)
        for width in [64, 128, 80, 7] {
            let stride = width + 3, count = 150
            let rows = (0..<(count * stride)).map { _ in Float16(Float(rng.nextUnitDouble() * 6 - 3)) }
            let weights = (0..<count).map { _ in Float(Float16(Float(rng.nextUnitDouble()))) }
            var whole = [Float](repeating: 0, count: width)
            rows.withUnsafeBufferPointer { rows in
                weights.withUnsafeBufferPointer { w in
                    VectorMath.weightedSum(rows.baseAddress!, stride: stride, weights: w.baseAddress!, count: count, width: width, into: &whole)
                    for split in [0, 1, 16, 97, count] {
                        var parts = [Float](repeating: .nan, count: width)
                        VectorMath.weightedSum(rows.baseAddress!, stride: stride, weights: w.baseAddress!, count: split, width: width, into: &parts)
                        VectorMath.weightedSum(rows.baseAddress! + split * stride, stride: stride, weights: w.baseAddress! + split,
                                               count: count - split, width: width, into: &parts, continuing: true)
                        #expect(parts.map(\.bitPattern) == whole.map(\.bitPattern), "width \(width), split \(split)")
                    }
                }
            }
        }
    }

    @Test func transposedTotalsEqualLaneSums() {
        var rng = SplitMix64(seed: 9)
        for _ in 0..<200 {
            let rows = (0..<256).map { _ in Float16(Float(rng.nextUnitDouble() * 200 - 100)) }
            var block = SixteenDots()
            let a = SIMD16<Float>((0..<16).map { _ in Float(rng.nextUnitDouble() * 2 - 1) })
            rows.withUnsafeBufferPointer { block.add(a, rows: $0.baseAddress!, stride: 16) }
            let expected = SIMD16<Float>((0..<16).map { p in
                VectorMath.laneSum(a * SIMD16<Float>((0..<16).map { Float(rows[p * 16 + $0]) }))
            })
            #expect(block.totals() == expected)
            #expect(block.totalsRowByRow() == expected)
        }
    }

    @Test func gatingEqualsItsDefinition() {
        var rng = SplitMix64(seed: 13)
        for count in [1, 7, 8, 9, 31, 1536] {
            // Mostly activations' sizes; a few past ±88, where glibc leaves its main path.
            var g = (0..<count).map { i in Float((rng.nextUnitDouble() - 0.5) * (i % 5 == 0 ? 240 : 16)) }
            let up = (0..<count).map { _ in Float((rng.nextUnitDouble() - 0.5) * 8) }
            let expected = zip(g, up).map { g, u in g / (1 + expf(-g)) * u }
            up.withUnsafeBufferPointer { up in
                g.withUnsafeMutableBufferPointer { VectorMath.gatedSiLU($0.baseAddress!, up: up.baseAddress!, count: count) }
            }
            #expect(g.map(\.bitPattern) == expected.map(\.bitPattern), "count \(count)")
        }
    }

    @Test func doubleConversionsEqualTheStandardLibrarys() {
        var rng = SplitMix64(seed: 17)
        for _ in 0..<1000 {
            let f = SIMD8<Float>((0..<8).map { _ in Float((rng.nextUnitDouble() - 0.5) * 1e20) })
            let d = SIMD8<Double>((0..<8).map { _ in (rng.nextUnitDouble() - 0.5) * 1e10 })
            #expect(VectorConversions.double(f) == SIMD8<Double>(f))
            #expect(VectorConversions.float(d) == SIMD8<Float>(d))
        }
    }

    @Test func float16WideningAndIntegerConversionsEqualThePortableOnes() {
        // Every float16 bit pattern, sixteen at a time (NaNs compared by bits too).
        var halves = (0..<65_536).map { Float16(bitPattern: UInt16($0)) }
        halves.withUnsafeMutableBufferPointer { all in
            for start in stride(from: 0, to: all.count, by: 16) {
                let p = UnsafePointer(all.baseAddress! + start)
                let fast = VectorConversions.widen(p), portable = VectorConversions.widenPortably(p)
                let same = (0..<16).allSatisfy { fast[$0].bitPattern == portable[$0].bitPattern }
                if !same { Issue.record("widening differs from bit pattern \(start)"); return }
            }
        }
        // Integers within the block lanes' range (|v| < 2^22), where both are exact.
        var rng = SplitMix64(seed: 5)
        for _ in 0..<2_000 {
            let v = SIMD16<Int32>((0..<16).map { _ in Int32(truncatingIfNeeded: Int64(bitPattern: rng.next()) % (1 << 22)) })
            #expect(VectorConversions.float(v) == VectorConversions.floatPortably(v))
            #expect(VectorConversions.float(v) == SIMD16<Float>(v))
        }
    }

    @Test func rowsAreNormalisedAsOneAtATime() {
        var rng = SplitMix64(seed: 19)
        let count = 96
        let weight = (0..<count).map { _ in Float(rng.nextUnitDouble() * 2) }
        for rows in 1...5 {
            let x = (0..<(rows * count)).map { _ in Float((rng.nextUnitDouble() - 0.5) * 20) }
            var together = [Float](repeating: 0, count: rows * count), alone = together
            x.withUnsafeBufferPointer { x in
                VectorMath.rmsNorm(rows: rows, x.baseAddress!, weight: weight, epsilon: 1e-5, count: count, into: &together)
                alone.withUnsafeMutableBufferPointer { out in
                    for r in 0..<rows {
                        VectorMath.rmsNorm(x.baseAddress! + r * count, weight: weight, epsilon: 1e-5, count: count,
                                           into: out.baseAddress! + r * count)
                    }
                }
            }
            #expect(together.map(\.bitPattern) == alone.map(\.bitPattern), "\(rows) rows")
        }
    }
}

import Testing
@testable import Engine

/// The integer kernels against their definitions: `BlockLanes` (each implementation this build
/// has) against products summed one by one, and the one-, two- and four-row dot products
/// against llama.cpp's arithmetic written out element by element (x86 `ggml_vec_dot_*`: per
/// block eight Int32 lanes, one fused multiply-add of d_w·d_x per block, `hsum_float_8`, then
/// the Q4_1 minimums). Equality is to the bit: the order of the float sums is the point.
@Suite struct QuantizedKernelTests {
    /// Lane k of a block pair: Σ w[4k + j]·x[4k + j], j < 4.
    static func lanesByDefinition(_ w: [Int], _ x: [Int]) -> SIMD16<Int32> {
        var lanes = SIMD16<Int32>()
        for i in 0..<64 { lanes[i / 4] += Int32(w[i] * x[i]) }
        return lanes
    }

    @Test func blockLanesEqualTheirDefinition() {
        var rng = SplitMix64(seed: 7)
        for trial in 0..<2000 {
            // Extremes first: every weight and activation at its largest magnitude.
            let x: [Int] = (0..<64).map { _ in trial == 0 ? 127 : trial == 1 ? -127 : rng.int(in: -127...127) }
            let nibbles: [Int] = (0..<64).map { _ in trial < 2 ? 15 : rng.int(in: 0...15) }
            let bytes: [Int] = (0..<64).map { _ in trial < 2 ? -127 : rng.int(in: -127...127) }
            let xv = SIMD64<Int8>(x.map { Int8($0) }), nv = SIMD64<UInt8>(nibbles.map { UInt8($0) }), bv = SIMD64<Int8>(bytes.map { Int8($0) })
            let unsigned = Self.lanesByDefinition(nibbles, x), signed = Self.lanesByDefinition(bytes, x)
            #expect(BlockLanes.unsigned(nv, xv) == unsigned)
            #expect(BlockLanes.signed(bv, xv) == signed)
            #expect(BlockLanes.portableUnsigned(nv, xv) == unsigned)
            #expect(BlockLanes.portableSigned(bv, xv) == signed)
            #if RTD_AVX512_VNNI
            #expect(BlockLanes.vnniUnsigned(nv, xv) == unsigned)
            #expect(BlockLanes.vnniSigned(bv, xv) == signed)
            #endif
            #if RTD_AVX2
            #expect(BlockLanes.avx2Unsigned(nv, xv) == unsigned)
            #expect(BlockLanes.avx2Signed(bv, xv) == signed)
            #endif
        }
    }

    @Test func activationsAreQuantizedAsLlamaCppDoes() {
        var rng = SplitMix64(seed: 3)
        let columns = 96
        let x = (0..<columns).map { _ in Float(rng.int(in: -100_000...100_000)) / 3_000 }
        let a = QuantizedActivations(rows: 1, columns: columns)
        x.withUnsafeBufferPointer { a.quantize(row: 0, from: $0.baseAddress!) }
        for b in 0..<3 {
            let block = x[(32 * b)..<(32 * b + 32)]
            let amax = block.map(abs).max()!
            let d = amax / 127
            let q = block.map { Int(($0 * (127 / amax)).rounded(.toNearestOrEven)) }
            #expect(Array(UnsafeBufferPointer(start: a.q + 32 * b, count: 32)).map(Int.init) == q)
            #expect(Array(UnsafeBufferPointer(start: a.dLanes + 8 * b, count: 8)) == Array(repeating: Float(Float16(d)), count: 8))
            #expect(a.s[b] == Float(Float16(d * Float(q.reduce(0, +)))))
        }
    }

    @Test(arguments: [GGMLType.q4_1, .q4_0, .q8_0], [18, 17, 2, 1])
    func kernelsSumInLlamaCppOrder(type: GGMLType, blocks: Int) throws {
        var rng = SplitMix64(seed: UInt64(blocks) &* 31 &+ UInt64(type.rawValue))
        let columns = 32 * blocks, rows = 4
        let weights = RandomRow(type: type, blocks: blocks, rng: &rng)
        let a = QuantizedActivations(rows: rows, columns: columns)
        for r in 0..<rows {
            let x = (0..<columns).map { _ in Float(rng.int(in: -50_000...50_000)) / 7_000 }
            x.withUnsafeBufferPointer { a.quantize(row: r, from: $0.baseAddress!) }
        }
        let expected = (0..<rows).map { weights.llamaCppDot(a, row: $0) }
        try weights.bytes.withUnsafeBytes { raw in
            let row = try #require(raw.baseAddress)
            for r in 0..<rows {
                #expect(QuantizedKernels.dot(type: type, row, a, row: r) == expected[r], "one row, row \(r)")
            }
            for first in [0, 2] {
                if let (p, q) = QuantizedKernels.dot2(type: type, row, a, row: first) {
                    #expect(p == expected[first] && q == expected[first + 1], "two rows from \(first)")
                } else {
                    #expect(blocks % 2 == 1 || type == .q4_0, "two-row kernel missing for \(type)")
                }
            }
            #expect(QuantizedKernels.dot2(type: type, row, a, row: 1) == nil, "pairs start at even rows")
            if let four = QuantizedKernels.dot4(type: type, row, a, row: 0) {
                #expect(four == SIMD4(expected[0], expected[1], expected[2], expected[3]), "four rows")
            } else {
                #expect(blocks % 2 == 1 || type != .q4_1, "four-row kernel missing for \(type)")
            }
        }
    }
}

/// One weight row of random blocks, and llama.cpp's dot product with it written out.
struct RandomRow {
    let type: GGMLType
    let blocks: Int
    var bytes: [UInt8] = []
    /// Per block: scale, minimum (Q4_1) and the 32 integer weights in element order.
    var scales: [Float] = [], minimums: [Float] = [], values: [[Int]] = []

    init(type: GGMLType, blocks: Int, rng: inout SplitMix64) {
        self.type = type
        self.blocks = blocks
        for _ in 0..<blocks {
            let d = Float16(Float(rng.int(in: 1...2000)) / 40_000), m = Float16(Float(rng.int(in: -2000...2000)) / 20_000)
            scales.append(Float(d))
            bytes += Self.littleEndian(d)
            switch type {
            case .q8_0:
                let q = (0..<32).map { _ in rng.int(in: -127...127) }
                values.append(q)
                bytes += q.map { UInt8(bitPattern: Int8($0)) }
            default:
                if type == .q4_1 {
                    minimums.append(Float(m))
                    bytes += Self.littleEndian(m)
                }
                let q = (0..<32).map { _ in rng.int(in: 0...15) }
                values.append(type == .q4_0 ? q.map { $0 - 8 } : q)
                bytes += (0..<16).map { UInt8(q[$0] | q[$0 + 16] << 4) }
            }
        }
    }

    static func littleEndian(_ h: Float16) -> [UInt8] { [UInt8(h.bitPattern & 0xFF), UInt8(h.bitPattern >> 8)] }

    func llamaCppDot(_ a: QuantizedActivations, row r: Int) -> Float {
        var acc = [Float](repeating: 0, count: 8)
        var summs: Float = 0
        for b in 0..<blocks {
            let x = (0..<32).map { Int(a.q[r * a.columns + 32 * b + $0]) }
            let scale = scales[b] * a.dLanes[8 * (r * a.blocks + b)]
            for lane in 0..<8 {
                let products = (0..<4).map { values[b][4 * lane + $0] * x[4 * lane + $0] }.reduce(0, +)
                acc[lane] = fma(scale, Float(products), acc[lane])
            }
            if type == .q4_1 { summs = fma(minimums[b], a.s[r * a.blocks + b], summs) }
        }
        // hsum_float_8: high half plus low half, then (0 + 2) + (1 + 3).
        let r4 = (0..<4).map { acc[$0 + 4] + acc[$0] }
        return ((r4[0] + r4[2]) + (r4[1] + r4[3])) + summs
    }

    func fma(_ a: Float, _ b: Float, _ c: Float) -> Float { c.addingProduct(a, b) }
}

extension SplitMix64 {
    mutating func int(in range: ClosedRange<Int>) -> Int {
        range.lowerBound + Int(next() % UInt64(range.count))
    }
}

/// The conversions' fast forms against their portable ones (and those against the definition).
@Suite struct VectorConversionTests {
    @Test func conversionsAgreeWithTheirDefinitions() {
        var rng = SplitMix64(seed: 11)
        for _ in 0..<500 {
            let a = SIMD16<Int32>((0..<16).map { _ in Int32(rng.int(in: -128...127)) })
            let b = SIMD16<Int32>((0..<16).map { _ in Int32(rng.int(in: -128...127)) })
            let bytes = SIMD32<Int8>((0..<16).map { Int8(a[$0]) } + (0..<16).map { Int8(b[$0]) })
            #expect(VectorConversions.narrow(a, b) == bytes)
            #expect(VectorConversions.narrowPortably(a, b) == bytes)
            #if RTD_AVX2
            #expect(VectorConversions.narrowAVX2(a, b) == bytes)
            #endif
            let wide = SIMD16<Int32>((0..<16).map { _ in Int32(rng.int(in: -4_000_000...4_000_000)) })
            let floats = SIMD16<Float>((0..<16).map { Float(wide[$0]) })
            #expect(VectorConversions.float(wide) == floats)
            #expect(VectorConversions.floatPortably(wide) == floats)
            let halves = (0..<16).map { _ in Float16(bitPattern: UInt16(rng.int(in: 0...0x7BFF)) | (rng.int(in: 0...1) == 0 ? 0 : 0x8000)) }
            halves.withUnsafeBufferPointer { h in
                let expected = SIMD16<Float>(halves.map { Float($0) })
                #expect(VectorConversions.widen(h.baseAddress!) == expected)
                #expect(VectorConversions.widenPortably(h.baseAddress!) == expected)
            }
        }
    }
}

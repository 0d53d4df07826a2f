import Foundation
import Testing
import Engine

/// Q4_K and Q6_K expanded exactly as the gguf package expands them (random blocks, committed
/// fixtures from scripts/fixtures/make-kquant-fixtures.py), and their dot products.
@Suite struct KQuantTests {
    @Test(arguments: [("q4_K", GGMLType.q4_K), ("q6_K", GGMLType.q6_K)])
    func dequantizationMatchesReference(name: String, type: GGMLType) throws {
        let raw = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("kquants/\(name).bin")))
        let expected = try Data(contentsOf: URL(fileURLWithPath: Fixtures.path("kquants/\(name).f32"))).withUnsafeBytes {
            Array($0.bindMemory(to: Float.self))
        }
        try raw.withUnsafeBytes { bytes in
            let base = try #require(bytes.baseAddress)
            let matrix = try WeightMatrix(type: type, rows: 1, columns: expected.count, data: base)
            let ours = matrix.floats()
            let maxDiff = zip(ours, expected).map { abs($0 - $1) }.max() ?? 1
            #expect(maxDiff <= 1e-6 * max(1, expected.map(abs).max() ?? 1), "\(name): max difference \(maxDiff)")
            // The dot product agrees with the expanded row.
            let x = (0..<expected.count).map { Float(sin(Double($0))) }
            let reference = zip(expected, x).reduce(Float(0)) { $0 + $1.0 * $1.1 }
            let dot = x.withUnsafeBufferPointer { xs in
                [Float](repeating: 0, count: expected.count / 32).withUnsafeBufferPointer { sums in
                    QuantizedKernels.dot(type: type, base, xs.baseAddress!, sums: sums.baseAddress!, count: expected.count)
                }
            }
            #expect(abs(dot - reference) <= 1e-3 * max(1, abs(reference)))
        }
    }
}

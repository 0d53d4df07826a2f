import Engine
import Testing
@testable import TTS

/// The decoder's upsampling layers (tiled sgemm and overlap-add) against the definition of a
/// transposed convolution, on the real voice's weights: y[o][t·s − p + j] += Σ_i x[i][t]·w[i][o][j].
@Suite struct ConvTranspose1dTests {
    @Test func upsamplingEqualsTheDefinition() throws {
        let model = try #require(VITSParityTests.model, "the voice did not load from \(VoicePaths.onnx)")
        var random = SplitMix64(seed: 11)
        for stage in model.decoder.stages {
            let layer = stage.upsample
            // One step, a few, and enough for several tiles split over two threads.
            for (length, threads) in [(1, 1), (5, 2), (70, 2), (3 * layer.tileOutputs / layer.stride + 7, 2)] {
                let x = (0..<(layer.inputs * length)).map { _ in Float(random.nextUnitDouble() * 2 - 1) }
                let actual = layer(x, length: length, threads: threads)
                let expected = Self.definition(layer, x, length: length)
                #expect(actual.count == expected.count)
                let scale = expected.map(abs).max() ?? 1
                let largest = zip(actual, expected).map { abs(Double($0) - $1) }.max() ?? 0
                #expect(largest <= 1e-5 * scale, "\(layer.inputs)→\(layer.outputs), \(length) steps: largest difference \(largest)")
            }
        }
    }

    /// The transposed convolution written out, in double precision. `layer.weight` holds
    /// w[i][o][j] at [(o·kernel + j)·inputs + i].
    static func definition(_ layer: ConvTranspose1d, _ x: [Float], length: Int) -> [Double] {
        let n = layer.outputLength(length)
        var y = [Double](repeating: 0, count: layer.outputs * n)
        for o in 0..<layer.outputs {
            for t in 0..<n { y[o * n + t] = Double(layer.bias[o]) }
            for t in 0..<length {
                for j in 0..<layer.kernel {
                    let position = t * layer.stride - layer.padding + j
                    guard (0..<n).contains(position) else { continue }
                    var sum = 0.0
                    for i in 0..<layer.inputs { sum += Double(x[i * length + t]) * Double(layer.weight[(o * layer.kernel + j) * layer.inputs + i]) }
                    y[o * n + position] += sum
                }
            }
        }
        return y
    }
}

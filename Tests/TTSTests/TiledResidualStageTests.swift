import Engine
import Testing
@testable import TTS

/// The decoder's tiled residual stages against the whole-signal computation, on the real voice.
/// At the decoder's own lengths (whole multiples of 32, from 512 up) both run the same kernel
/// in the same order, so the results must be equal to the bit. Shorter or ragged signals take
/// other products in the whole-signal path (sgemm, a scalar tail), equal up to rounding.
@Suite struct TiledResidualStageTests {
    @Test func tiledStagesEqualTheWholeSignalComputation() throws {
        let model = try #require(VITSParityTests.model, "the voice did not load from \(VoicePaths.onnx)")
        let decoder = model.decoder
        let tiledStages = decoder.stages.filter { $0.tiled != nil }
        // Piper's medium voices: the 64- and 32-channel stages have direct kernels.
        #expect(tiledStages.count >= 2)
        var random = SplitMix64(seed: 7)
        for stage in tiledStages {
            let tiled = try #require(stage.tiled)
            let width = tiled.tileWidth
            // Shorter than a tile, not a whole number of kernel blocks, and over several tiles
            // with a short last one; more threads than tiles too.
            for (n, threads) in [(1, 1), (45, 2), (width - 3, 1), (width + 17, 2), (3 * width + 5, 2), (512, 2), (3 * width + 64, 2), (40 * 64, 1)] {
                let x = (0..<(tiled.channels * n)).map { _ in Float(Double(random.next() % 20_001) / 10_000 - 1) }
                let expected = try decoder.residualMean(stage, x, length: n, threads: threads)
                let actual = try tiled(x, length: n, threads: threads)
                #expect(actual.count == expected.count)
                let context = "\(tiled.channels) channels, \(n) samples, \(threads) threads"
                if n >= 512, n % 32 == 0 {
                    let differing = zip(actual, expected).filter { $0 != $1 }.count
                    #expect(differing == 0, "\(context): \(differing) values differ")
                } else {
                    let scale = expected.map(abs).max() ?? 1
                    let largest = zip(actual, expected).map { abs($0 - $1) }.max() ?? 0
                    #expect(largest <= 1e-5 * scale, "\(context): largest difference \(largest) (values up to \(scale))")
                }
            }
        }
    }

    @Test func aCancelledStageStopsBetweenTiles() throws {
        let model = try #require(VITSParityTests.model, "the voice did not load from \(VoicePaths.onnx)")
        let tiled = try #require(model.decoder.stages.compactMap(\.tiled).first)
        let flag = CancellationFlag()
        flag.cancel()
        let n = 4 * tiled.tileWidth
        #expect(throws: EngineError.cancelled) {
            _ = try tiled([Float](repeating: 0.5, count: tiled.channels * n), length: n, threads: 2, cancellation: flag)
        }
    }
}

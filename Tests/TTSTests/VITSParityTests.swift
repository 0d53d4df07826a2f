import Engine
import ModelStore
import Foundation
import AudioIO
import Streaming
import TestSupport
import TTS
import Testing

/// The Swift VITS generator against piper-tts/onnxruntime on the same voice and phoneme ids,
/// both noise scales 0 (fixtures from scripts/fixtures/make-vits-fixtures.sh).
@Suite(.serialized) struct VITSParityTests {
    struct Sentence: Decodable { let text: String; let ids: [Int] }

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/vits")
    static let model: VITSModel? = try? VITSModel(onnxPath: VoicePaths.onnx)

    static func sentences() throws -> [Sentence] {
        try JSONDecoder().decode([Sentence].self, from: Data(contentsOf: fixtures.appendingPathComponent("sentences.json")))
    }

    static func npy(_ sentence: Int, _ tensor: String) throws -> NPY {
        try NPY(path: fixtures.appendingPathComponent(String(format: "sentence%02d.%@.npy", sentence, tensor)).path)
    }

    func loadModel() throws -> VITSModel {
        _ = VoicePaths.onnx
        return try #require(Self.model, "the voice did not load from \(VoicePaths.onnx)")
    }

    @Test func intermediateTensorsMatchTheONNXGraph() throws {
        let model = try loadModel()
        for (index, sentence) in try Self.sentences().prefix(2).enumerated() {
            let (_, trace) = try model.synthesizeWithTrace(sentence.ids, scales: .deterministic)
            let hidden = try Self.npy(index, "enc_p__encoder__Mul_2_output_0")
            let mean = try Self.npy(index, "enc_p__Split_output_0")
            let logDurations = try Self.npy(index, "dp__Split_output_0")
            let durations = try Self.npy(index, "Ceil_output_0")
            let flow = try Self.npy(index, "Mul_7_output_0")
            print(String(format: "sentence %d: encoder %.2e, prior mean %.2e, log-durations %.2e (max |Δ| %.2e), flow %.2e (relative errors)",
                         index, relativeError(trace.encoderHidden, hidden.values), relativeError(trace.priorMean, mean.values),
                         relativeError(trace.logDurations, logDurations.values), maxAbsoluteDifference(trace.logDurations, logDurations.values),
                         relativeError(trace.flowOutput, flow.values)))
            #expect(relativeError(trace.encoderHidden, hidden.values) < 1e-4)
            #expect(relativeError(trace.priorMean, mean.values) < 1e-4)
            #expect(maxAbsoluteDifference(trace.logDurations, logDurations.values) < 1e-3)
            #expect(trace.durations == durations.values.map { Int($0) })
            #expect(flow.values.count == trace.flowOutput.count)
            #expect(relativeError(trace.flowOutput, flow.values) < 1e-3)
        }
    }

    @Test func waveformsCorrelateWithOnnxruntime() throws {
        let model = try loadModel()
        let sentences = try Self.sentences()
        #expect(sentences.count >= 10)
        var worstCorrelation: Double = 1, worstDifference: Float = 0
        for (index, sentence) in sentences.enumerated() {
            let reference = try AudioFile.read(path: Self.fixtures.appendingPathComponent(String(format: "sentence%02d.flac", index)).path).samples
            let ours = try model.synthesize(sentence.ids, scales: .deterministic)
            #expect(ours.count == reference.count, "sentence \(index): \(ours.count) samples, reference \(reference.count)")
            let n = min(ours.count, reference.count)
            let correlation = Self.correlation(Array(ours[..<n]), Array(reference[..<n]))
            let difference = maxAbsoluteDifference(Array(ours[..<n]), Array(reference[..<n]))
            worstCorrelation = min(worstCorrelation, correlation)
            worstDifference = max(worstDifference, difference)
            #expect(correlation >= 0.999, "sentence \(index): correlation \(correlation)")
        }
        print(String(format: "%d sentences: lowest correlation %.7f, largest |Δ| %.2e (reference stored as 16-bit, so |Δ| ≥ 1.5e-5 is quantisation)", sentences.count, worstCorrelation, worstDifference))
    }

    static func correlation(_ a: [Float], _ b: [Float]) -> Double {
        let n = Double(a.count)
        let ma = a.reduce(0) { $0 + Double($1) } / n, mb = b.reduce(0) { $0 + Double($1) } / n
        var ab = 0.0, aa = 0.0, bb = 0.0
        for (x, y) in zip(a, b) {
            let dx = Double(x) - ma, dy = Double(y) - mb
            ab += dx * dy; aa += dx * dx; bb += dy * dy
        }
        return ab / max((aa * bb).squareRoot(), 1e-30)
    }
}

enum VoicePaths {
    static let store = ModelStore(directory: ModelStore.defaultDirectory())
    static var onnx: String { store.path(role: .voice, endingWith: ".onnx")?.path ?? "" }
    static var config: String { store.path(role: .voice, endingWith: ".onnx.json")?.path ?? "" }
}

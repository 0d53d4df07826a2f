import Foundation
import TestSupport
import Testing
import Engine

/// The qwen2 layout (NeoX rotary halves, Q/K/V biases, separate output head, float16 matrices)
/// against the reference forward, on a tiny random-weight model
/// (scripts/fixtures/make-tiny-qwen2.py).
@Suite struct Qwen2Tests {
    struct Reference: Decodable { var ids: [Int] }

    @Test(arguments: [LlamaModel.Numerics.float, .llamaCpp])
    func tinyQwen2MatchesReference(numerics: LlamaModel.Numerics) throws {
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: URL(fileURLWithPath: Fixtures.path("tiny/tiny-qwen2.json"))))
        let model = try LlamaModel(path: Fixtures.path("tiny/tiny-qwen2.gguf"), threads: 2)
        model.numerics = numerics
        #expect(model.configuration.architecture == .qwen2)
        let expected = try NPY(path: Fixtures.path("tiny/tiny-qwen2-logits.npy"))
        let vocabulary = model.configuration.vocabulary
        // Prefill all but the last id, then decode it: both paths are exercised.
        let cache = KVCache(configuration: model.configuration, capacity: 32)
        let prefix = Array(reference.ids.dropLast())
        let afterPrefill = try model.prefill(prefix, cache: cache)
        let last = try model.decode([(reference.ids.last ?? 0, cache)])[0]
        let rows = expected.values.count / vocabulary
        let expectedPrefill = Array(expected.values[(rows - 2) * vocabulary..<(rows - 1) * vocabulary])
        let expectedLast = Array(expected.values[((rows - 1) * vocabulary)..<(rows * vocabulary)])
        let errors = (Fixtures.relativeError(afterPrefill, expectedPrefill), Fixtures.relativeError(last, expectedLast))
        print("tiny qwen2 (\(numerics)): relative error prefill \(errors.0), decode \(errors.1)")
        // Float16 matrices are exact in both; the float16 KV cache bounds the float path's error.
        #expect(errors.0 < 2e-3 && errors.1 < 2e-3)
    }
}

import Foundation
import TestSupport
import Testing
import Engine

/// Our decoder against `llm_reference.py forward` (float32 numpy on dequantized weights),
/// layer by layer, on committed fixtures (scripts/fixtures/make-llm-fixtures.sh), with the model
/// in `.float` numerics. Tolerances (error relative to each tensor's largest magnitude): hidden
/// states 2e-4 and logits 1e-3. Float32 arithmetic alone gives ~3e-6; what remains is the
/// float16 KV cache (as llama.cpp keeps it): each key and value is rounded to 11 significant
/// bits (relative error ≤ 4.9e-4 per element, ~1e-4 once averaged by attention), and the
/// logits, a 576-term sum over a 30-layer stack, gather a few of those.
@Suite struct LlamaParityTests {
    struct Reference: Decodable {
        var ids: [Int]
        var layers: [Int]
    }

    @Test func hiddenStatesAndLogitsMatchReference() throws {
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: URL(fileURLWithPath: Fixtures.path("llm/forward.json"))))
        let model = try LlamaModel(path: try ModelPaths.smolLM, threads: 2)
        model.numerics = .float
        let cache = KVCache(configuration: model.configuration, capacity: 64)
        var hidden = [Int: [Float]]()
        let e = model.configuration.embedding
        let logits = try model.prefill(reference.ids, cache: cache) { layer, rows, x in
            hidden[layer] = Array(UnsafeBufferPointer(start: x, count: rows * e))
        }
        for layer in reference.layers {
            let expected = try NPY(path: Fixtures.path(String(format: "llm/layer%02d.npy", layer)))
            let error = Fixtures.relativeError(hidden[layer] ?? [], expected.values)
            print("layer \(layer): relative error \(error)")
            #expect(error < 2e-4, "layer \(layer)")
        }
        let expectedLogits = try NPY(path: Fixtures.path("llm/logits_last.npy"))
        let logitError = Fixtures.relativeError(logits, expectedLogits.values)
        print("logits: relative error \(logitError)")
        #expect(logitError < 1e-3)
        #expect(logits.indices.max { logits[$0] < logits[$1] } == expectedLogits.values.indices.max { expectedLogits.values[$0] < expectedLogits.values[$1] })
    }
}

extension LlamaParityTests {
    /// The decode path (quantized dot products, one token at a time) gives the same logits as
    /// the reference for the same sequence.
    @Test func tokenByTokenDecodeMatchesReference() throws {
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: URL(fileURLWithPath: Fixtures.path("llm/forward.json"))))
        let model = try LlamaModel(path: try ModelPaths.smolLM, threads: 2)
        model.numerics = .float
        let cache = KVCache(configuration: model.configuration, capacity: 64)
        var logits = [Float]()
        for id in reference.ids { logits = try model.decode([(id, cache)])[0] }
        let expected = try NPY(path: Fixtures.path("llm/logits_last.npy")).values
        let error = Fixtures.relativeError(logits, expected)
        print("decode path logits: relative error \(error)")
        #expect(error < 1e-3)
    }

    /// Two sequences decoded together give each the logits it gets alone.
    @Test func batchedDecodeEqualsSeparateDecode() throws {
        let model = try LlamaModel(path: try ModelPaths.smolLM, threads: 2)
        let c = model.configuration
        let a = KVCache(configuration: c, capacity: 32), b = KVCache(configuration: c, capacity: 32)
        let aloneA = KVCache(configuration: c, capacity: 32), aloneB = KVCache(configuration: c, capacity: 32)
        _ = try model.prefill([1, 9690, 314, 28], cache: a)
        _ = try model.prefill([1, 2683, 30], cache: b)
        _ = try model.prefill([1, 9690, 314, 28], cache: aloneA)
        _ = try model.prefill([1, 2683, 30], cache: aloneB)
        let together = try model.decode([(216, a), (44, b)])
        let separateA = try model.decode([(216, aloneA)])[0]
        let separateB = try model.decode([(44, aloneB)])[0]
        // To the bit: each row's arithmetic does not depend on the rows computed with it.
        #expect(together[0] == separateA)
        #expect(together[1] == separateB)
    }

    /// A cache that reads another's prefix and prefills the rest gives the logits of a cache
    /// that prefilled everything, alone and decoded together with the cache it reads from.
    @Test func sharedPrefixGivesTheSameLogits() throws {
        let model = try LlamaModel(path: try ModelPaths.smolLM, threads: 2)
        let c = model.configuration
        let prompt = [1, 9690, 314, 28, 2683, 30, 216, 44]
        let full = KVCache(configuration: c, capacity: 16), donor = KVCache(configuration: c, capacity: 12)
        let borrower = KVCache(configuration: c, capacity: 16)
        let expected = try model.prefill(prompt, cache: full)
        _ = try model.prefill(Array(prompt.prefix(6)), cache: donor)
        borrower.sharePrefix(of: donor, count: 5)
        #expect(borrower.tokens == Array(prompt.prefix(5)))
        #expect(borrower.lender === donor && borrower.lentCount == 5)
        #expect(try model.prefill(Array(prompt.dropFirst(5)), cache: borrower) == expected)
        let donorAlone = KVCache(configuration: c, capacity: 12)
        _ = try model.prefill(Array(prompt.prefix(6)), cache: donorAlone)
        let together = try model.decode([(17, donor), (17, borrower)])
        #expect(together[0] == (try model.decode([(17, donorAlone)])[0]))
        #expect(together[1] == (try model.decode([(17, full)])[0]))
    }

    /// A lender that forgets positions it lent, and then overwrites them, first gives the cache
    /// that read them a copy; sharing a borrower's prefix reads the lender's storage and copies
    /// only what the borrower stores itself.
    @Test func sharedPrefixSurvivesTheLendersChanges() throws {
        let model = try LlamaModel(path: try ModelPaths.smolLM, threads: 2)
        let c = model.configuration
        let prompt = [1, 9690, 314, 28, 2683, 30, 216, 44]
        let full = KVCache(configuration: c, capacity: 16)
        let expected = try model.prefill(prompt, cache: full)
        let donor = KVCache(configuration: c, capacity: 16), borrower = KVCache(configuration: c, capacity: 16)
        _ = try model.prefill(Array(prompt.prefix(6)), cache: donor)
        borrower.sharePrefix(of: donor, count: 6)
        _ = try model.prefill([prompt[6]], cache: borrower)
        // Sharing the borrower's seven tokens reads six from the donor and copies one.
        let third = KVCache(configuration: c, capacity: 16)
        third.sharePrefix(of: borrower, count: 7)
        #expect(third.lender === donor && third.lentCount == 6 && third.tokens == Array(prompt.prefix(7)))
        donor.truncate(to: 2)
        _ = try model.prefill([5, 6, 7, 8, 9], cache: donor)  // overwrites positions 2…6
        #expect(borrower.lender == nil && third.lender == nil)
        #expect(try model.prefill([prompt[7]], cache: borrower) == expected)
        #expect(try model.prefill([prompt[7]], cache: third) == expected)
    }

    @Test func promptLongerThanCacheIsAnError() throws {
        let model = try LlamaModel(path: try ModelPaths.smolLM, threads: 2)
        let cache = KVCache(configuration: model.configuration, capacity: 4)
        #expect(throws: EngineError.contextOverflow(tokens: 5, context: 4)) { try model.prefill([1, 2, 3, 4, 5], cache: cache) }
        #expect(throws: EngineError.self) { try model.prefill([49_152], cache: cache) }
    }
}

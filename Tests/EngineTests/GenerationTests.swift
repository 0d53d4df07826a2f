import Foundation
import Testing
import Engine

@Suite struct ReasoningSplitterTests {
    static func split(_ chunks: [String], startsInReasoning: Bool = false) -> (reasoning: String, answer: String) {
        var s = ReasoningSplitter(startsInReasoning: startsInReasoning)
        var r = "", a = ""
        for piece in chunks.flatMap({ s.feed($0) }) + s.finish() {
            switch piece {
            case .reasoning(let t): r += t
            case .answer(let t): a += t
            }
        }
        return (r, a)
    }

    @Test func tagsInOnePiece() {
        let (r, a) = Self.split(["<think>plan</think>Hello"])
        #expect(r == "plan" && a == "Hello")
    }

    @Test func tagsSplitAcrossTokens() {
        let (r, a) = Self.split(["<", "th", "ink>pl", "an</", "thi", "nk>Hel", "lo"])
        #expect(r == "plan" && a == "Hello")
    }

    @Test func neverOpened() {
        let (r, a) = Self.split(["Just ", "an answer < 3"])
        #expect(r.isEmpty && a == "Just an answer < 3")
    }

    @Test func neverClosed() {
        let (r, a) = Self.split(["<think>still thinking", " at the end </thi"])
        #expect(r == "still thinking at the end </thi" && a.isEmpty)
    }

    @Test func prefilledOpenTag() {
        let (r, a) = Self.split(["reasoning</think>", "answer"], startsInReasoning: true)
        #expect(r == "reasoning" && a == "answer")
    }
}

@Suite struct SamplerTests {
    @Test func greedyTakesTheMaximum() {
        var s = Sampler(.greedy)
        #expect(s.sample([0.1, 3, 2, -1]) == 1)
    }

    @Test func seedReproducesAndTopKLimits() {
        var settings = SamplerSettings()
        settings.temperature = 1
        settings.topK = 2
        settings.topP = 1
        settings.minP = 0
        settings.seed = 42
        let logits: [Float] = [5, 4.9, 0, 0, 0, 0]
        var a = Sampler(settings), b = Sampler(settings)
        let drawsA = (0..<200).map { _ in a.sample(logits) }
        let drawsB = (0..<200).map { _ in b.sample(logits) }
        #expect(drawsA == drawsB)
        #expect(Set(drawsA) == [0, 1])
    }

    @Test func repetitionPenaltyDemotesSeenTokens() {
        var settings = SamplerSettings.greedy
        settings.repetitionPenalty = 2
        var s = Sampler(settings)
        #expect(s.sample([3, 2.9], history: [0]) == 1)
    }
}

@Suite struct TokenGeneratorTests {
    static let model: LlamaModel? = try? LlamaModel(path: ModelPaths.smolLM, threads: 2)

    @Test func stopsAtMaxTokensAndReusesThePromptPrefix() throws {
        let model = try #require(Self.model)
        let tokenizer = try Tokenizer(model.file)
        let cache = KVCache(configuration: model.configuration, capacity: 128)
        var p = GenerationParameters()
        p.maxTokens = 5
        let prompt = tokenizer.encode("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n")
        let first = TokenGenerator(model: model, tokenizer: tokenizer, cache: cache, prompt: prompt, parameters: p)
        for _ in first {}
        #expect(first.generated.count == 5)
        #expect(first.finishReason == .maxTokens)
        #expect(first.prefilledTokens == prompt.count)
        // Same system prompt, new user turn: only the new part is prefilled.
        let next = prompt + tokenizer.encode("<|im_start|>user\nAnd again<|im_end|>\n")
        cache.truncate(to: prompt.count)
        let second = TokenGenerator(model: model, tokenizer: tokenizer, cache: cache, prompt: next, parameters: p)
        for _ in second {}
        #expect(second.prefilledTokens == next.count - prompt.count)
    }

    @Test func cancellationStopsBetweenTokens() throws {
        let model = try #require(Self.model)
        let tokenizer = try Tokenizer(model.file)
        let flag = CancellationFlag()
        var p = GenerationParameters()
        p.maxTokens = 100
        let g = TokenGenerator(model: model, tokenizer: tokenizer, cache: KVCache(configuration: model.configuration, capacity: 256),
                               prompt: tokenizer.encode("Count: 1, 2, 3,"), parameters: p, cancellation: flag)
        var n = 0
        for _ in g {
            n += 1
            if n == 3 { flag.cancel() }
        }
        #expect(g.finishReason == .cancelled)
        #expect(g.generated.count == 3)
    }

    @Test func asyncStreamDeliversAndStopsEarly() async throws {
        let model = try #require(Self.model)
        let tokenizer = try Tokenizer(model.file)
        var p = GenerationParameters()
        p.maxTokens = 50
        let stream = TokenGenerator.stream(model: model, tokenizer: tokenizer, cache: KVCache(configuration: model.configuration, capacity: 256),
                                           prompt: tokenizer.encode("The capital of France is"), parameters: p)
        var text = ""
        for try await step in stream {
            text += step.text
            if text.count > 6 { break }
        }
        #expect(text.hasPrefix(" Paris"))
    }

    @Test func promptLongerThanContextIsAnError() throws {
        let model = try #require(Self.model)
        let tokenizer = try Tokenizer(model.file)
        let g = TokenGenerator(model: model, tokenizer: tokenizer, cache: KVCache(configuration: model.configuration, capacity: 8),
                               prompt: Array(repeating: 28, count: 20))
        for _ in g {}
        #expect(g.failure == .contextOverflow(tokens: 20, context: 8))
        #expect(g.finishReason == .contextFull)
    }
}

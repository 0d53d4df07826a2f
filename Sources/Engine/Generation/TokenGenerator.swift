import Foundation

/// What to generate and when to stop.
public struct GenerationParameters: Sendable {
    public var maxTokens: Int = 256
    public var sampler: SamplerSettings = .greedy
    /// Token ids that end generation (not included in the output). Empty: the model's EOS.
    public var stopTokens: Set<Int> = []
    /// Strings that end generation (the text is cut before them).
    public var stopStrings: [String] = []
    /// The prompt already opened `<think>`, so the first text is reasoning.
    public var startsInReasoning = false

    public init() {}
}

/// One generated token and what it added.
public struct GenerationStep: Sendable, Equatable {
    public var token: Int
    /// New text (complete UTF-8 only; a character cut across tokens appears with its last byte).
    public var text: String
    public var pieces: [ReasoningSplitter.Piece]
}

public enum FinishReason: String, Sendable {
    case stopToken = "stop_token", stopString = "stop_string", maxTokens = "max_tokens", cancelled, contextFull = "context_full", error
}

/// Generation as a plain synchronous sequence of tokens: the first `next()` prefills what the
/// cache does not already hold of the prompt (prefix reuse), every later one decodes one token.
/// Cancellation is checked between tokens. Errors end the sequence and are kept in `failure`.
public final class TokenGenerator: Sequence, IteratorProtocol {
    public let model: LlamaModel
    public let tokenizer: Tokenizer
    public let cache: KVCache
    public let prompt: [Int]
    public let parameters: GenerationParameters
    public let cancellation: CancellationFlag

    public private(set) var generated: [Int] = []
    public private(set) var text = ""
    public private(set) var finishReason: FinishReason?
    public private(set) var failure: EngineError?
    /// Prompt tokens actually prefilled (the rest came from the cache) and how long it took.
    public private(set) var prefilledTokens = 0
    public private(set) var prefillSeconds: Double = 0
    public private(set) var decodeSeconds: Double = 0

    private var sampler: Sampler
    private var splitter: ReasoningSplitter
    private var utf8 = UTF8Accumulator()
    private var nextLogits: [Float]?
    private let stopTokens: Set<Int>

    public init(model: LlamaModel, tokenizer: Tokenizer, cache: KVCache, prompt: [Int],
                parameters: GenerationParameters = GenerationParameters(), cancellation: CancellationFlag = CancellationFlag()) {
        self.model = model
        self.tokenizer = tokenizer
        self.cache = cache
        self.prompt = prompt
        self.parameters = parameters
        self.cancellation = cancellation
        sampler = Sampler(parameters.sampler)
        splitter = ReasoningSplitter(startsInReasoning: parameters.startsInReasoning)
        stopTokens = parameters.stopTokens.isEmpty ? Set([tokenizer.eos].compactMap { $0 }) : parameters.stopTokens
    }

    public func next() -> GenerationStep? {
        guard finishReason == nil else { return nil }
        do {
            return try step()
        } catch {
            failure = error
            if case .contextOverflow = error { finishReason = .contextFull } else { finishReason = .error }
            return nil
        }
    }

    private func step() throws(EngineError) -> GenerationStep? {
        if cancellation.isCancelled { return finish(.cancelled) }
        if nextLogits == nil { try prefill() }
        guard let logits = nextLogits else { return finish(.error) }
        if generated.count >= parameters.maxTokens { return finish(.maxTokens) }

        let token = sampler.sample(logits, history: recentTokens())
        if stopTokens.contains(token) { return finish(.stopToken) }
        generated.append(token)
        var newText = utf8.append(tokenizer.bytes(of: token))
        var stopped = false
        if let (cut, _) = stopStringMatch(in: text + newText) {
            newText = String((text + newText).prefix(cut).dropFirst(text.count))
            stopped = true
        }
        text += newText
        var pieces = splitter.feed(newText)
        if stopped {
            pieces += splitter.finish()
            finishReason = .stopString
            return GenerationStep(token: token, text: newText, pieces: pieces)
        }
        // Decode the token just chosen so the logits for the next one are ready.
        let start = Date()
        nextLogits = try model.decode([(token, cache)])[0]
        decodeSeconds += Date().timeIntervalSince(start)
        return GenerationStep(token: token, text: newText, pieces: pieces)
    }

    /// The tokens the repetition penalty looks at (none when it is off): the last
    /// `repetitionWindow` of prompt and output, without copying the whole sequence every step.
    private func recentTokens() -> ArraySlice<Int> {
        let settings = parameters.sampler
        guard settings.repetitionPenalty != 1 else { return [] }
        let fromOutput = generated.suffix(settings.repetitionWindow)
        return (prompt.suffix(settings.repetitionWindow - fromOutput.count) + fromOutput)[...]
    }

    private func prefill() throws(EngineError) {
        guard !prompt.isEmpty else { throw .invalidArgument("empty prompt") }
        guard prompt.count < cache.capacity else { throw .contextOverflow(tokens: prompt.count, context: cache.capacity) }
        // Reuse what the cache holds; at least the last prompt token is run to get its logits.
        let reuse = Swift.min(cache.commonPrefix(with: prompt), prompt.count - 1)
        cache.truncate(to: reuse)
        let start = Date()
        nextLogits = try model.prefill(Array(prompt[reuse...]), cache: cache)
        prefillSeconds = Date().timeIntervalSince(start)
        prefilledTokens = prompt.count - reuse
    }

    private func stopStringMatch(in s: String) -> (Int, String)? {
        for stop in parameters.stopStrings where !stop.isEmpty {
            if let r = s.range(of: stop) { return (s.distance(from: s.startIndex, to: r.lowerBound), stop) }
        }
        return nil
    }

    /// Ends the sequence; text held back (an unfinished tag or character) is flushed.
    private func finish(_ reason: FinishReason) -> GenerationStep? {
        finishReason = reason
        let tail = utf8.flush()
        text += tail
        let pieces = splitter.feed(tail) + splitter.finish()
        return pieces.isEmpty && tail.isEmpty ? nil : GenerationStep(token: -1, text: tail, pieces: pieces)
    }

    /// Reasoning and answer of everything generated so far.
    public var channels: (reasoning: String, answer: String) {
        var s = ReasoningSplitter(startsInReasoning: parameters.startsInReasoning)
        var reasoning = "", answer = ""
        for piece in s.feed(text) + s.finish() {
            switch piece {
            case .reasoning(let r): reasoning += r
            case .answer(let a): answer += a
            }
        }
        return (reasoning, answer)
    }
}

extension TokenGenerator {
    /// The same generation for async callers: runs on a dedicated thread (never the cooperative
    /// pool) and is cancelled between tokens when the consumer stops listening.
    public static func stream(model: LlamaModel, tokenizer: Tokenizer, cache: KVCache, prompt: [Int],
                              parameters: GenerationParameters) -> AsyncThrowingStream<GenerationStep, Error> {
        AsyncThrowingStream { continuation in
            let cancellation = CancellationFlag()
            nonisolated(unsafe) let generator = TokenGenerator(model: model, tokenizer: tokenizer, cache: cache, prompt: prompt,
                                                               parameters: parameters, cancellation: cancellation)
            let thread = Thread {
                for step in generator { continuation.yield(step) }
                if let failure = generator.failure { continuation.finish(throwing: failure) } else { continuation.finish() }
            }
            thread.name = "token-generator"
            continuation.onTermination = { _ in cancellation.cancel() }
            thread.start()
        }
    }
}

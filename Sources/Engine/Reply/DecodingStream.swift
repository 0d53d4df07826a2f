/// One of the two decoding streams of a reply: its cache, the logits for its next token, what
/// it has written, and its own sampler.
struct DecodingStream {
    let cache: KVCache
    var logits: [Float]?
    var generated: [Int] = []
    var text = ""
    var sampler: Sampler
    var utf8 = UTF8Accumulator()
    var finished = false

    init(cache: KVCache, sampler: SamplerSettings) {
        self.cache = cache
        self.sampler = Sampler(sampler)
    }

    /// Chooses the next token from the pending logits (penalising the stream's recent tokens).
    mutating func choose(penaltyWindow: Int) -> Int? {
        guard let logits else { return nil }
        return sampler.sample(logits, history: generated.suffix(penaltyWindow))
    }

    /// Records a chosen token; returns the complete text it adds.
    mutating func accept(_ token: Int, tokenizer: Tokenizer) -> String {
        generated.append(token)
        let piece = utf8.append(tokenizer.bytes(of: token))
        text += piece
        return piece
    }

    /// Makes the cache hold `prompt` and leaves its logits pending: reuses the longest common
    /// prefix (of this cache, or of `donor` if it shares more, read from the donor's storage)
    /// and prefills the rest.
    /// Returns the number of tokens computed.
    mutating func load(_ prompt: [Int], model: LlamaModel, donor: KVCache? = nil) throws(EngineError) -> Int {
        guard !prompt.isEmpty else { throw .invalidArgument("empty prompt") }
        guard prompt.count < cache.capacity else { throw .contextOverflow(tokens: prompt.count, context: cache.capacity) }
        var reuse = cache.commonPrefix(with: prompt)
        if let donor, donor !== cache {
            let shared = donor.commonPrefix(with: prompt)
            if shared > reuse + 8 {
                cache.sharePrefix(of: donor, count: shared)
                reuse = shared
            }
        }
        reuse = Swift.min(reuse, prompt.count - 1)
        cache.truncate(to: reuse)
        logits = try model.prefill(Array(prompt[reuse...]), cache: cache)
        return prompt.count - reuse
    }
}

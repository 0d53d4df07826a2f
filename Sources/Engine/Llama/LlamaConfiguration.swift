/// The hyper-parameters of a Llama-family decoder, read from GGUF metadata.
public struct LlamaConfiguration: Sendable, Equatable {
    public enum Architecture: String, Sendable {
        /// Rotary embeddings on adjacent pairs (the GGUF converter permuted Q/K for that).
        case llama
        /// Rotary embeddings on the two halves of each head ("NeoX"), and Q/K/V biases.
        case qwen2
    }

    public var architecture: Architecture
    public var layers: Int
    public var embedding: Int
    public var heads: Int
    public var kvHeads: Int
    public var feedForward: Int
    public var vocabulary: Int
    public var contextLength: Int
    public var ropeBase: Float
    public var normEpsilon: Float

    public var headDimension: Int { embedding / heads }
    public var kvDimension: Int { kvHeads * headDimension }

    public init(_ file: GGUFFile) throws(EngineError) {
        let arch = try file.string("general.architecture")
        guard let architecture = Architecture(rawValue: arch) else {
            throw .unsupportedModel(path: file.path, message: "architecture '\(arch)' (supported: llama, qwen2)")
        }
        self.architecture = architecture
        layers = try file.int("\(arch).block_count")
        embedding = try file.int("\(arch).embedding_length")
        heads = try file.int("\(arch).attention.head_count")
        kvHeads = file.metadata["\(arch).attention.head_count_kv"]?.int ?? heads
        feedForward = try file.int("\(arch).feed_forward_length")
        contextLength = file.metadata["\(arch).context_length"]?.int ?? 2048
        ropeBase = Float(file.metadata["\(arch).rope.freq_base"]?.double ?? 10_000)
        normEpsilon = Float(file.metadata["\(arch).attention.layer_norm_rms_epsilon"]?.double ?? 1e-5)
        let embd = try file.tensor("token_embd.weight")
        vocabulary = embd.shape.count == 2 ? embd.shape[1] : 0
        guard (1...1024).contains(layers), (1...4096).contains(heads), (1...4096).contains(kvHeads), heads % kvHeads == 0,
              embedding > 0, embedding % heads == 0, feedForward > 0, (1...(1 << 24)).contains(contextLength),
              headDimension % 2 == 0, embd.shape[0] == embedding, vocabulary > 0 else {
            throw .malformedModel(path: file.path, message: "inconsistent hyper-parameters: \(layers) layers, \(embedding) wide, \(heads)/\(kvHeads) heads, "
                                  + "feed-forward \(feedForward), context \(contextLength), vocabulary \(vocabulary)")
        }
    }
}

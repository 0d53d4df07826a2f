/// The weights of a Llama-family decoder, as views into the memory-mapped GGUF file.
struct LlamaWeights: @unchecked Sendable {
    struct Layer {
        var attentionNorm: [Float]
        var query: WeightMatrix
        var key: WeightMatrix
        var value: WeightMatrix
        var queryBias: [Float]?
        var keyBias: [Float]?
        var valueBias: [Float]?
        var attentionOutput: WeightMatrix
        var feedForwardNorm: [Float]
        var gate: WeightMatrix
        var up: WeightMatrix
        var down: WeightMatrix
    }

    var tokenEmbedding: WeightMatrix
    var layers: [Layer]
    var outputNorm: [Float]
    /// The output head; the token embedding when the model ties them.
    var output: WeightMatrix

    init(_ file: GGUFFile, _ config: LlamaConfiguration) throws(EngineError) {
        func matrix(_ name: String, rows: Int, columns: Int) throws(EngineError) -> WeightMatrix {
            let m = try WeightMatrix(file.tensor(name), in: file)
            guard m.rows == rows, m.columns == columns else {
                throw .malformedModel(path: file.path, message: "\(name) is \(m.rows)×\(m.columns), expected \(rows)×\(columns)")
            }
            return m
        }
        func vector(_ name: String, _ count: Int) throws(EngineError) -> [Float] {
            let m = try matrix(name, rows: 1, columns: count)
            return m.floats()
        }
        func optionalVector(_ name: String, _ count: Int) throws(EngineError) -> [Float]? {
            file.tensors[name] == nil ? nil : try vector(name, count)
        }
        let e = config.embedding, kv = config.kvDimension, ff = config.feedForward
        tokenEmbedding = try matrix("token_embd.weight", rows: config.vocabulary, columns: e)
        var layers = [Layer]()
        for l in 0..<config.layers {
            let p = "blk.\(l)."
            layers.append(Layer(
                attentionNorm: try vector(p + "attn_norm.weight", e),
                query: try matrix(p + "attn_q.weight", rows: e, columns: e),
                key: try matrix(p + "attn_k.weight", rows: kv, columns: e),
                value: try matrix(p + "attn_v.weight", rows: kv, columns: e),
                queryBias: try optionalVector(p + "attn_q.bias", e),
                keyBias: try optionalVector(p + "attn_k.bias", kv),
                valueBias: try optionalVector(p + "attn_v.bias", kv),
                attentionOutput: try matrix(p + "attn_output.weight", rows: e, columns: e),
                feedForwardNorm: try vector(p + "ffn_norm.weight", e),
                gate: try matrix(p + "ffn_gate.weight", rows: ff, columns: e),
                up: try matrix(p + "ffn_up.weight", rows: ff, columns: e),
                down: try matrix(p + "ffn_down.weight", rows: e, columns: ff)))
        }
        self.layers = layers
        outputNorm = try vector("output_norm.weight", e)
        output = file.tensors["output.weight"] == nil ? tokenEmbedding : try matrix("output.weight", rows: config.vocabulary, columns: e)
    }
}

import Engine
import Foundation

/// VITS's text encoder: phoneme embeddings scaled by √width, post-norm transformer layers with
/// windowed relative-position attention (keys and values get a learned embedding per relative
/// distance in −window…window) and a convolutional feed-forward, then a projection to the prior's
/// mean and log-scale.
struct TextEncoder: @unchecked Sendable {
    struct Layer {
        let query, key, value, output: Conv1d
        let relativeKeys: [Float]    // (2·window + 1) × headWidth
        let relativeValues: [Float]
        let norm1, norm2: ChannelLayerNorm
        let feedForwardIn, feedForwardOut: Conv1d
    }

    let embeddings: [Float]  // vocabulary × width
    let vocabularySize: Int
    let width: Int
    let heads: Int
    let window: Int
    let layers: [Layer]
    let projection: Conv1d

    init(model: ONNXModel) throws(EngineError) {
        // The exporter names the embedding table after the graph's speaker input; find it as the
        // table the embedding's Gather reads.
        let gather = try model.node("/enc_p/emb/Gather")
        guard let table = model.initializers[gather.inputs[0]], table.shape.count == 2 else {
            throw .malformedModel(path: model.path, message: "the phoneme embedding table is missing")
        }
        vocabularySize = table.shape[0]
        width = table.shape[1]
        embeddings = try model.floats(gather.inputs[0])
        var layers: [Layer] = []
        var heads = 0, window = 0
        while model.nodesByName["/enc_p/encoder/attn_layers.\(layers.count)/conv_q/Conv"] != nil {
            let i = layers.count
            let p = "enc_p.encoder.attn_layers.\(i)"
            let relativeShape = model.initializers[p + ".emb_rel_k"]?.shape ?? []
            guard relativeShape.count == 3, relativeShape[1] % 2 == 1, relativeShape[2] > 0, width % relativeShape[2] == 0 else {
                throw .unsupportedModel(path: model.path, message: "layer \(i) has no windowed relative attention")
            }
            window = relativeShape[1] / 2
            heads = width / relativeShape[2]
            let n = "/enc_p/encoder"
            let feedForwardIn = try Conv1d(model: model, node: "\(n)/ffn_layers.\(i)/conv_1/Conv")
            layers.append(Layer(
                query: try Conv1d(model: model, node: "\(n)/attn_layers.\(i)/conv_q/Conv"),
                key: try Conv1d(model: model, node: "\(n)/attn_layers.\(i)/conv_k/Conv"),
                value: try Conv1d(model: model, node: "\(n)/attn_layers.\(i)/conv_v/Conv"),
                output: try Conv1d(model: model, node: "\(n)/attn_layers.\(i)/conv_o/Conv"),
                relativeKeys: try model.floats(p + ".emb_rel_k"),
                relativeValues: try model.floats(p + ".emb_rel_v"),
                norm1: try ChannelLayerNorm(model: model, prefix: "enc_p.encoder.norm_layers_1.\(i)"),
                norm2: try ChannelLayerNorm(model: model, prefix: "enc_p.encoder.norm_layers_2.\(i)"),
                // "Same" padding: the exporter made it a Pad node in front of the convolution.
                feedForwardIn: try Conv1d(model: model, node: "\(n)/ffn_layers.\(i)/conv_1/Conv", padding: (feedForwardIn.kernel - 1) / 2),
                feedForwardOut: try Conv1d(model: model, node: "\(n)/ffn_layers.\(i)/conv_2/Conv", padding: (feedForwardIn.kernel - 1) / 2)))
        }
        guard !layers.isEmpty else { throw .malformedModel(path: model.path, message: "no text encoder layers") }
        self.layers = layers
        self.heads = heads
        self.window = window
        projection = try Conv1d(model: model, node: "/enc_p/proj/Conv")
    }

    /// Returns the hidden states (`width × n`, the duration predictor's input) and the prior's
    /// mean and log-scale (each `width' × n`).
    func callAsFunction(_ ids: [Int], threads: Int) throws(EngineError) -> (hidden: [Float], mean: [Float], logScale: [Float]) {
        let n = ids.count, w = width
        if let bad = ids.first(where: { $0 < 0 || $0 >= vocabularySize }) {
            throw .invalidArgument("phoneme id \(bad) is outside the voice's \(vocabularySize) symbols")
        }
        var x = [Float](repeating: 0, count: w * n)
        let scale = Float(w).squareRoot()
        for (t, id) in ids.enumerated() {
            for c in 0..<w { x[c * n + t] = embeddings[id * w + c] * scale }
        }
        for layer in layers {
            let y = attention(layer, x, n: n, threads: threads)
            for i in 0..<x.count { x[i] += y[i] }
            layer.norm1(&x, length: n)
            var h = layer.feedForwardIn(x, length: n, threads: threads)
            for i in 0..<h.count { h[i] = max(0, h[i]) }
            let f = layer.feedForwardOut(h, length: n, threads: threads)
            for i in 0..<x.count { x[i] += f[i] }
            layer.norm2(&x, length: n)
        }
        let stats = projection(x, length: n, threads: threads)
        let half = projection.outputs / 2
        return (x, Array(stats[..<(half * n)]), Array(stats[(half * n)...]))
    }

    /// Multi-head self-attention with relative-position terms on keys and values.
    private func attention(_ layer: Layer, _ x: [Float], n: Int, threads: Int) -> [Float] {
        let w = width, d = w / heads
        // Channel-major q, k, v → time-major per head for the products.
        let q = layer.query(x, length: n, threads: threads)
        let k = layer.key(x, length: n, threads: threads)
        let v = layer.value(x, length: n, threads: threads)
        var out = [Float](repeating: 0, count: w * n)
        let scale = 1 / Float(d).squareRoot()
        var scores = [Float](repeating: 0, count: n * n)
        for h in 0..<heads {
            // scores[i][j] = Σ_c q[h·d + c][i] · k[h·d + c][j] / √d  (qᵀk over the head's rows)
            q.withUnsafeBufferPointer { qp in
                k.withUnsafeBufferPointer { kp in
                    BLAS.sgemm(.transposed, .normal, m: n, n: n, k: d, alpha: scale,
                               qp.baseAddress! + h * d * n, lda: n, kp.baseAddress! + h * d * n, ldb: n, &scores, ldc: n)
                }
            }
            // The head's queries time-major, so each relative-key term is one SIMD dot product.
            var queries = [Float](repeating: 0, count: n * d)
            for c in 0..<d { for i in 0..<n { queries[i * d + c] = q[(h * d + c) * n + i] } }
            queries.withUnsafeBufferPointer { qt in
                layer.relativeKeys.withUnsafeBufferPointer { rk in
                    scores.withUnsafeMutableBufferPointer { sp in
                        for i in 0..<n {
                            for r in -window...window where i + r >= 0 && i + r < n {
                                sp[i * n + i + r] += VectorMath.dot(qt.baseAddress! + i * d, rk.baseAddress! + (r + window) * d, count: d) * scale
                            }
                            FastMath.softmax(sp.baseAddress! + i * n, count: n)
                        }
                    }
                }
            }
            // out[h·d + c][i] = Σ_j v[h·d + c][j] · p[i][j]  (v · pᵀ)
            v.withUnsafeBufferPointer { vp in
                out.withUnsafeMutableBufferPointer { op in
                    BLAS.sgemm(.normal, .transposed, m: d, n: n, k: n,
                               vp.baseAddress! + h * d * n, lda: n, scores, ldb: n, op.baseAddress! + h * d * n, ldc: n)
                }
            }
            // Relative-value terms, accumulated time-major and added back.
            var extra = [Float](repeating: 0, count: n * d)
            extra.withUnsafeMutableBufferPointer { ep in
                layer.relativeValues.withUnsafeBufferPointer { rv in
                    for i in 0..<n {
                        for r in -window...window where i + r >= 0 && i + r < n {
                            VectorMath.addScaled(rv.baseAddress! + (r + window) * d, scores[i * n + i + r], into: ep.baseAddress! + i * d, count: d)
                        }
                    }
                }
            }
            for c in 0..<d { for i in 0..<n { out[(h * d + c) * n + i] += extra[i * d + c] } }
        }
        return layer.output(out, length: n, threads: threads)
    }
}

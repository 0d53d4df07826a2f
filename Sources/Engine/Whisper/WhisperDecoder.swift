/// What the decoder keeps between steps for one transcription: the self-attention keys and
/// values of the tokens so far, and the cross-attention keys and values of the encoder output
/// (computed once per window).
public final class WhisperDecoderState {
    public private(set) var length = 0
    let capacity: Int
    let width: Int
    var selfKeys: [[Float]]
    var selfValues: [[Float]]
    /// Per layer, `positions × 2·width`: keys then values.
    let crossKeyValues: [[Float]]
    let encoderPositions: Int

    init(layers: Int, capacity: Int, width: Int, crossKeyValues: [[Float]], encoderPositions: Int) {
        self.capacity = capacity
        self.width = width
        selfKeys = Array(repeating: [Float](repeating: 0, count: capacity * width), count: layers)
        selfValues = selfKeys
        self.crossKeyValues = crossKeyValues
        self.encoderPositions = encoderPositions
    }

    fileprivate func advance(by n: Int) { length += n }
}

/// Whisper's text decoder: token and learned position embeddings, pre-norm layers of causal
/// self-attention, cross-attention over the encoder output and a GELU feed-forward, then the
/// output projection tied to the embeddings. Decoding a token is memory-bound, so the weights it
/// streams are kept in float16 (`HalfDenseLayer`); the cross-attention keys and values are
/// computed for the whole window at once with sgemm.
public final class WhisperDecoder: @unchecked Sendable {
    struct Layer {
        let selfNorm: LayerNormWeights
        let selfQKV: HalfDenseLayer
        let selfOut: HalfDenseLayer
        let crossNorm: LayerNormWeights
        let crossQuery: HalfDenseLayer
        let crossKeyValue: DenseLayer
        let crossOut: HalfDenseLayer
        let feedForwardNorm: LayerNormWeights
        let feedForwardIn: HalfDenseLayer
        let feedForwardOut: HalfDenseLayer
    }

    public let configuration: WhisperConfiguration
    let embeddings: HalfDenseLayer
    let positions: [Float]
    let layers: [Layer]
    let finalNorm: LayerNormWeights
    let threads: Int

    init(model: CTranslate2Model, configuration c: WhisperConfiguration, threads: Int) throws(EngineError) {
        configuration = c
        self.threads = threads
        let w = c.width
        func half(_ name: String, _ outputs: Int, _ inputs: Int) throws(EngineError) -> HalfDenseLayer {
            HalfDenseLayer(weight: try model.floats(name + "/weight", shape: [outputs, inputs]),
                           bias: try model.floats(name + "/bias", shape: [outputs]), outputs: outputs, inputs: inputs, threads: threads)
        }
        func norm(_ scope: String) throws(EngineError) -> LayerNormWeights { try LayerNormWeights(model, scope, width: w) }
        embeddings = HalfDenseLayer(weight: try model.floats("decoder/embeddings/weight", shape: [c.vocabularySize, w]),
                                    bias: nil, outputs: c.vocabularySize, inputs: w, threads: threads)
        positions = try model.floats("decoder/position_encodings/encodings", shape: [c.textContext, w])
        var layers: [Layer] = []
        for i in 0..<c.decoderLayers {
            let p = "decoder/layer_\(i)"
            layers.append(Layer(
                selfNorm: try norm(p + "/self_attention/layer_norm"),
                selfQKV: try half(p + "/self_attention/linear_0", 3 * w, w),
                selfOut: try half(p + "/self_attention/linear_1", w, w),
                crossNorm: try norm(p + "/attention/layer_norm"),
                crossQuery: try half(p + "/attention/linear_0", w, w),
                crossKeyValue: DenseLayer(weight: try model.floats(p + "/attention/linear_1/weight", shape: [2 * w, w]),
                                          bias: try model.floats(p + "/attention/linear_1/bias", shape: [2 * w]),
                                          outputs: 2 * w, inputs: w),
                crossOut: try half(p + "/attention/linear_2", w, w),
                feedForwardNorm: try norm(p + "/ffn/layer_norm"),
                feedForwardIn: try half(p + "/ffn/linear_0", c.feedForwardWidth, w),
                feedForwardOut: try half(p + "/ffn/linear_1", w, c.feedForwardWidth)))
        }
        self.layers = layers
        finalNorm = try norm("decoder/layer_norm")
    }

    /// A fresh state for the encoder output `states` (`positions × width`).
    public func makeState(encoderStates states: [Float], positions: Int) -> WhisperDecoderState {
        let w = configuration.width
        let crossKeyValues = layers.map { layer -> [Float] in
            var kv = [Float](repeating: 0, count: positions * 2 * w)
            layer.crossKeyValue.apply(states, rows: positions, into: &kv, threads: threads)
            return kv
        }
        return WhisperDecoderState(layers: layers.count, capacity: configuration.textContext, width: w,
                                   crossKeyValues: crossKeyValues, encoderPositions: positions)
    }

    /// Runs `tokens` after what `state` holds and returns the logits after the last of them.
    public func callAsFunction(_ tokens: [Int], state: WhisperDecoderState) throws(EngineError) -> [Float] {
        let c = configuration, w = c.width, n = tokens.count
        let start = state.length
        guard n > 0 else { throw .invalidArgument("no tokens to decode") }
        guard start + n <= state.capacity else { throw .contextOverflow(tokens: start + n, context: state.capacity) }
        guard tokens.allSatisfy({ $0 >= 0 && $0 < c.vocabularySize }) else {
            throw .invalidArgument("token id out of range 0..<\(c.vocabularySize)")
        }
        var x = [Float](repeating: 0, count: n * w)
        x.withUnsafeMutableBufferPointer { p in
            for (i, token) in tokens.enumerated() {
                embeddings.row(token, into: p.baseAddress! + i * w)
                for j in 0..<w { p[i * w + j] += positions[(start + i) * w + j] }
            }
        }
        var normed = [Float](repeating: 0, count: n * w)
        var qkv = [Float](repeating: 0, count: n * 3 * w)
        var attended = [Float](repeating: 0, count: n * w)
        var delta = [Float](repeating: 0, count: n * w)
        var inner = [Float](repeating: 0, count: n * c.feedForwardWidth)
        var scores = [Float](repeating: 0, count: threads * n * max(start + n, state.encoderPositions))
        let heads = c.decoderHeads, headWidth = w / heads
        for (l, layer) in layers.enumerated() {
            layer.selfNorm(x, rows: n, into: &normed)
            layer.selfQKV.apply(normed, rows: n, into: &qkv)
            for i in 0..<n {
                for j in 0..<w {
                    state.selfKeys[l][(start + i) * w + j] = qkv[i * 3 * w + w + j]
                    state.selfValues[l][(start + i) * w + j] = qkv[i * 3 * w + 2 * w + j]
                }
            }
            qkv.withUnsafeBufferPointer { q in
                state.selfKeys[l].withUnsafeBufferPointer { k in
                    state.selfValues[l].withUnsafeBufferPointer { v in
                        ScaledDotAttention.run(queries: n, keys: start + n, heads: heads, headWidth: headWidth,
                                               q: .init(base: q.baseAddress!, stride: 3 * w), k: .init(base: k.baseAddress!, stride: w),
                                               v: .init(base: v.baseAddress!, stride: w), causalOffset: start,
                                               scores: &scores, output: &attended, outputStride: w, threads: threads)
                    }
                }
            }
            layer.selfOut.apply(attended, rows: n, into: &delta)
            FastMath.add(delta, into: &x, count: delta.count)

            layer.crossNorm(x, rows: n, into: &normed)
            layer.crossQuery.apply(normed, rows: n, into: &qkv)
            qkv.withUnsafeBufferPointer { q in
                state.crossKeyValues[l].withUnsafeBufferPointer { kv in
                    ScaledDotAttention.run(queries: n, keys: state.encoderPositions, heads: heads, headWidth: headWidth,
                                           q: .init(base: q.baseAddress!, stride: w), k: .init(base: kv.baseAddress!, stride: 2 * w),
                                           v: .init(base: kv.baseAddress! + w, stride: 2 * w), causalOffset: nil,
                                           scores: &scores, output: &attended, outputStride: w, threads: threads)
                }
            }
            layer.crossOut.apply(attended, rows: n, into: &delta)
            FastMath.add(delta, into: &x, count: delta.count)

            layer.feedForwardNorm(x, rows: n, into: &normed)
            layer.feedForwardIn.apply(normed, rows: n, into: &inner)
            FastMath.gelu(&inner, count: inner.count)
            layer.feedForwardOut.apply(inner, rows: n, into: &delta)
            FastMath.add(delta, into: &x, count: delta.count)
        }
        state.advance(by: n)
        var last = [Float](repeating: 0, count: w)
        x.withUnsafeMutableBufferPointer { p in
            finalNorm(p.baseAddress! + (n - 1) * w, rows: 1, into: &last)
        }
        var logits = [Float](repeating: 0, count: c.vocabularySize)
        embeddings.apply(last, rows: 1, into: &logits)
        return logits
    }
}

/// Whisper's audio encoder: two convolutions with GELU (the second halves the frame rate),
/// sinusoidal positions, pre-norm transformer layers and a final layer norm. Compute-bound, so
/// every product is an sgemm over all positions of the window.
public final class WhisperEncoder: @unchecked Sendable {
    struct Layer {
        let attentionNorm: LayerNormWeights
        let qkv: DenseLayer
        let attentionOut: DenseLayer
        let feedForwardNorm: LayerNormWeights
        let feedForwardIn: DenseLayer
        let feedForwardOut: DenseLayer
    }

    public let configuration: WhisperConfiguration
    let conv1: DenseLayer  // width × (mels·3)
    let conv2: DenseLayer  // width × (width·3)
    let positions: [Float]
    let layers: [Layer]
    let finalNorm: LayerNormWeights
    let threads: Int

    init(model: CTranslate2Model, configuration c: WhisperConfiguration, threads: Int) throws(EngineError) {
        configuration = c
        self.threads = threads
        let w = c.width
        func dense(_ name: String, _ outputs: Int, _ inputs: Int) throws(EngineError) -> DenseLayer {
            DenseLayer(weight: try model.floats(name + "/weight", shape: [outputs, inputs]),
                       bias: try model.floats(name + "/bias", shape: [outputs]), outputs: outputs, inputs: inputs)
        }
        func norm(_ scope: String) throws(EngineError) -> LayerNormWeights { try LayerNormWeights(model, scope, width: w) }
        conv1 = DenseLayer(weight: try model.floats("encoder/conv1/weight", shape: [w, c.melCount, 3]),
                           bias: try model.floats("encoder/conv1/bias", shape: [w]), outputs: w, inputs: c.melCount * 3)
        conv2 = DenseLayer(weight: try model.floats("encoder/conv2/weight", shape: [w, w, 3]),
                           bias: try model.floats("encoder/conv2/bias", shape: [w]), outputs: w, inputs: w * 3)
        positions = try model.floats("encoder/position_encodings/encodings", shape: [c.audioContext, w])
        var layers: [Layer] = []
        for i in 0..<c.encoderLayers {
            let p = "encoder/layer_\(i)"
            layers.append(Layer(
                attentionNorm: try norm(p + "/self_attention/layer_norm"),
                qkv: try dense(p + "/self_attention/linear_0", 3 * w, w),
                attentionOut: try dense(p + "/self_attention/linear_1", w, w),
                feedForwardNorm: try norm(p + "/ffn/layer_norm"),
                feedForwardIn: try dense(p + "/ffn/linear_0", c.feedForwardWidth, w),
                feedForwardOut: try dense(p + "/ffn/linear_1", w, c.feedForwardWidth)))
        }
        self.layers = layers
        finalNorm = try norm("encoder/layer_norm")
    }

    /// Encodes mel-major `features` (`melCount × frames`, frames ≤ 2·audioContext) into
    /// `positions × width` states, positions = ⌈frames / 2⌉.
    public func callAsFunction(_ features: [Float], frames: Int, cancellation: CancellationFlag? = nil) throws(EngineError) -> (states: [Float], positions: Int) {
        let c = configuration, w = c.width, mels = c.melCount
        guard frames > 0, features.count == mels * frames else {
            throw .invalidArgument("encoder input has \(features.count) values, expected \(mels) × \(frames)")
        }
        guard frames <= c.maxFrames else {
            throw .invalidArgument("encoder input has \(frames) frames; the model takes at most \(c.maxFrames) (30 s)")
        }
        // conv1 (kernel 3, padding 1) as an sgemm over unfolded windows.
        var unfolded = [Float](repeating: 0, count: frames * mels * 3)
        for t in 0..<frames {
            for m in 0..<mels {
                for k in 0..<3 {
                    let source = t + k - 1
                    if source >= 0 && source < frames { unfolded[(t * mels + m) * 3 + k] = features[m * frames + source] }
                }
            }
        }
        var hidden1 = [Float](repeating: 0, count: frames * w)
        conv1.apply(unfolded, rows: frames, into: &hidden1, threads: threads)
        FastMath.gelu(&hidden1, count: hidden1.count, threads: threads)
        // conv2 (kernel 3, stride 2, padding 1).
        let n = (frames - 1) / 2 + 1
        unfolded = [Float](repeating: 0, count: n * w * 3)
        for t in 0..<n {
            for k in 0..<3 {
                let source = 2 * t + k - 1
                guard source >= 0 && source < frames else { continue }
                for ch in 0..<w { unfolded[(t * w + ch) * 3 + k] = hidden1[source * w + ch] }
            }
        }
        var x = [Float](repeating: 0, count: n * w)
        conv2.apply(unfolded, rows: n, into: &x, threads: threads)
        FastMath.gelu(&x, count: x.count, threads: threads)
        for i in 0..<(n * w) { x[i] += positions[i] }

        var normed = [Float](repeating: 0, count: n * w)
        var qkv = [Float](repeating: 0, count: n * 3 * w)
        var attended = [Float](repeating: 0, count: n * w)
        var scores = [Float](repeating: 0, count: threads * n * n)
        var inner = [Float](repeating: 0, count: n * c.feedForwardWidth)
        var delta = [Float](repeating: 0, count: n * w)
        let headWidth = w / c.encoderHeads
        for layer in layers {
            if cancellation?.isCancelled == true { throw .cancelled }
            EngineScheduler.checkpoint()
            layer.attentionNorm(x, rows: n, into: &normed)
            layer.qkv.apply(normed, rows: n, into: &qkv, threads: threads)
            qkv.withUnsafeBufferPointer { p in
                let base = p.baseAddress!
                ScaledDotAttention.run(queries: n, keys: n, heads: c.encoderHeads, headWidth: headWidth,
                                       q: .init(base: base, stride: 3 * w), k: .init(base: base + w, stride: 3 * w),
                                       v: .init(base: base + 2 * w, stride: 3 * w), causalOffset: nil,
                                       scores: &scores, output: &attended, outputStride: w, threads: threads)
            }
            layer.attentionOut.apply(attended, rows: n, into: &delta, threads: threads)
            FastMath.add(delta, into: &x, count: delta.count)
            layer.feedForwardNorm(x, rows: n, into: &normed)
            layer.feedForwardIn.apply(normed, rows: n, into: &inner, threads: threads)
            FastMath.gelu(&inner, count: inner.count, threads: threads)
            layer.feedForwardOut.apply(inner, rows: n, into: &delta, threads: threads)
            FastMath.add(delta, into: &x, count: delta.count)
        }
        finalNorm(x, rows: n, into: &normed)
        return (normed, n)
    }
}

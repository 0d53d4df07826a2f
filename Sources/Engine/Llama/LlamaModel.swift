import Foundation

/// A Llama-family decoder (llama, qwen2) computing from a memory-mapped GGUF file.
///
/// `forward` runs any mix of rows: the tokens of one prompt (prefill: linear layers batched
/// into OpenBLAS sgemm over dequantized weights) or one new token for each of several
/// sequences (decode: quantized dot products straight from the file's blocks, the weights read
/// once for all sequences). Each row attends to its own sequence's KV cache.
public final class LlamaModel: @unchecked Sendable {
    public let configuration: LlamaConfiguration
    public let file: GGUFFile
    let weights: LlamaWeights
    /// Threads for our kernels. OpenBLAS runs single-threaded (as for Whisper and the voice):
    /// products are split over these threads, so its thread count, a process-wide setting, does
    /// not depend on which model was loaded last.
    public var threads: Int
    /// How quantized linear layers compute.
    public enum Numerics: Sendable {
        /// Activations quantized to 8 bits per block and integer dot products, as llama.cpp's CPU
        /// backend does: its numbers (and greedy tokens), and the fastest path.
        case llamaCpp
        /// Float activations: quantized dot products for few rows, dequantized weights and
        /// OpenBLAS sgemm for many (closest to a float reference).
        case float
    }

    public var numerics: Numerics = .llamaCpp
    /// Rows at or above which `.float` numerics use sgemm instead of dot products.
    public var sgemmThreshold = 4

    public init(path: String, threads: Int = 2) throws(EngineError) {
        file = try GGUFFile(path: path)
        configuration = try LlamaConfiguration(file)
        weights = try LlamaWeights(file, configuration)
        self.threads = max(1, threads)
        BLAS.useOneThreadPerCall()
    }

    /// One row of a forward pass: `token` at `position` of the sequence whose cache is `cache`.
    public struct Row {
        public var token: Int
        public var cache: KVCache
        public var wantsLogits: Bool

        public init(token: Int, cache: KVCache, wantsLogits: Bool) {
            self.token = token
            self.cache = cache
            self.wantsLogits = wantsLogits
        }
    }

    /// Observes the hidden state after each layer (parity tests); `nil` in normal use.
    public typealias LayerObserver = (_ layer: Int, _ rows: Int, _ hidden: UnsafePointer<Float>) -> Void

    /// Prefills `tokens` after what `cache` holds; returns the logits of the last token.
    public func prefill(_ tokens: [Int], cache: KVCache, observer: LayerObserver? = nil) throws(EngineError) -> [Float] {
        guard !tokens.isEmpty else { throw .invalidArgument("prefill of no tokens") }
        let rows = tokens.enumerated().map { Row(token: $1, cache: cache, wantsLogits: $0 == tokens.count - 1) }
        return try forward(rows, observer: observer)[0]
    }

    /// One decode step for several sequences at once; returns each sequence's logits.
    public func decode(_ steps: [(token: Int, cache: KVCache)]) throws(EngineError) -> [[Float]] {
        try forward(steps.map { Row(token: $0.token, cache: $0.cache, wantsLogits: true) })
    }

    /// Runs the rows through the network, appending their keys and values to their caches.
    /// Rows of the same sequence must be consecutive and in order. Returns logits for the rows
    /// that want them, in order.
    public func forward(_ rows: [Row], observer: LayerObserver? = nil) throws(EngineError) -> [[Float]] {
        let c = configuration
        let n = rows.count
        guard n > 0 else { return [] }
        // Positions: each row goes after what its cache holds plus earlier rows of the same sequence.
        var positions = [Int](repeating: 0, count: n)
        var pending = [ObjectIdentifier: Int]()
        for (i, row) in rows.enumerated() {
            guard (0..<c.vocabulary).contains(row.token) else {
                throw .invalidArgument("token id \(row.token) is outside the vocabulary of \(c.vocabulary)")
            }
            let id = ObjectIdentifier(row.cache)
            let p = row.cache.count + pending[id, default: 0]
            pending[id, default: 0] += 1
            guard p < row.cache.capacity else { throw .contextOverflow(tokens: p + 1, context: row.cache.capacity) }
            positions[i] = p
        }

        let e = c.embedding, kv = c.kvDimension
        let scratch = Scratch(rows: n, configuration: c)
        let x = scratch.hidden, h = scratch.normed
        for (i, row) in rows.enumerated() { weights.tokenEmbedding.dequantizeRow(row.token, into: x + i * e) }

        let angles = positions.map(rotaryAngles)  // the same for every layer
        for (l, layer) in weights.layers.enumerated() {
            // A long prompt lets more urgent work through between its layers.
            if n > 4, l % 4 == 0 { EngineScheduler.checkpoint() }
            VectorMath.rmsNorm(rows: n, x, weight: layer.attentionNorm, epsilon: c.normEpsilon, count: e, into: h)
            var shared = Activations(h, rows: n, columns: e)  // quantized once for Q, K and V
            linears([(layer.query, scratch.query, layer.queryBias), (layer.key, scratch.key, layer.keyBias),
                     (layer.value, scratch.value, layer.valueBias)], &shared)
            for i in 0..<n {
                applyRotary(scratch.query + i * e, heads: c.heads, angles: angles[i])
                applyRotary(scratch.key + i * kv, heads: c.kvHeads, angles: angles[i])
                let d = c.headDimension, cache = rows[i].cache
                for head in 0..<c.kvHeads {
                    let k = cache.ownKeys(layer: l, head: head) + positions[i] * d
                    let v = cache.ownValues(layer: l, head: head) + positions[i] * d
                    for j in 0..<d {
                        k[j] = Float16(scratch.key[i * kv + head * d + j])
                        v[j] = Float16(scratch.value[i * kv + head * d + j])
                    }
                }
            }
            var attended = attention(rows: rows, positions: positions, layer: l, scratch: scratch,
                                     quantizing: usesIntegerKernels(layer.attentionOutput))
            linear(layer.attentionOutput, &attended, into: h, bias: nil)
            for i in 0..<(n * e) { x[i] += h[i] }

            VectorMath.rmsNorm(rows: n, x, weight: layer.feedForwardNorm, epsilon: c.normEpsilon, count: e, into: h)
            var normed = Activations(h, rows: n, columns: e)  // quantized once for gate and up
            var gated = gatedLinear(layer.gate, layer.up, &normed, into: scratch.gate, up: scratch.up,
                                    quantizing: usesIntegerKernels(layer.down))
            linear(layer.down, &gated, into: h, bias: nil)
            for i in 0..<(n * e) { x[i] += h[i] }
            observer?(l, n, x)
        }
        for row in rows { row.cache.append(CollectionOfOne(row.token)) }

        // The output head for every row that wants logits, in one pass over its weights.
        let wanted = rows.indices.filter { rows[$0].wantsLogits }
        for (k, i) in wanted.enumerated() {
            VectorMath.rmsNorm(x + i * e, weight: weights.outputNorm, epsilon: c.normEpsilon, count: e, into: h + k * e)
        }
        let vocabulary = c.vocabulary
        let all = UnsafeMutablePointer<Float>.allocate(capacity: max(1, wanted.count * vocabulary))
        defer { all.deallocate() }
        linear(weights.output, h, rows: wanted.count, into: all, bias: nil)
        return wanted.indices.map { k in Array(UnsafeBufferPointer(start: all + k * vocabulary, count: vocabulary)) }
    }

    /// Buffers for one forward pass.
    final class Scratch {
        let hidden, normed, query, key, value, attended, gate, up: UnsafeMutablePointer<Float>
        private var all: [UnsafeMutablePointer<Float>] = []

        init(rows n: Int, configuration c: LlamaConfiguration) {
            func make(_ count: Int) -> UnsafeMutablePointer<Float> { .allocate(capacity: max(1, count)) }
            hidden = make(n * c.embedding); normed = make(n * c.embedding)
            query = make(n * c.embedding); key = make(n * c.kvDimension); value = make(n * c.kvDimension)
            attended = make(n * c.embedding); gate = make(n * c.feedForward); up = make(n * c.feedForward)
            all = [hidden, normed, query, key, value, attended, gate, up]
        }

        deinit { for p in all { p.deallocate() } }
    }

    /// The cosines and sines of the rotary embedding at one position, one pair per rotated pair
    /// of elements. The angles are computed as ggml does (float, θ multiplied by base^(-2/d)
    /// pair after pair), so the rotation is llama.cpp's to the last bit.
    func rotaryAngles(position: Int) -> [(cos: Float, sin: Float)] {
        let d = configuration.headDimension
        let thetaScale = powf(configuration.ropeBase, -2 / Float(d))
        var theta = Float(position)
        return (0..<d / 2).map { _ in
            defer { theta *= thetaScale }
            return (cosf(theta), sinf(theta))
        }
    }

    /// Rotary position embedding of every head of one row, in the architecture's layout.
    func applyRotary(_ v: UnsafeMutablePointer<Float>, heads: Int, angles: [(cos: Float, sin: Float)]) {
        let d = configuration.headDimension
        let half = d / 2
        let neox = configuration.architecture == .qwen2
        for i in 0..<half {
            let (cosA, sinA) = angles[i]
            for head in 0..<heads {
                let base = v + head * d
                let (a, b) = neox ? (i, i + half) : (2 * i, 2 * i + 1)
                let x0 = base[a], x1 = base[b]
                base[a] = x0 * cosA - x1 * sinA
                base[b] = x0 * sinA + x1 * cosA
            }
        }
    }

    /// Causal grouped-query attention into `scratch.attended`: each row attends to its
    /// sequence's cache up to and including its own position. The work is taken key/value head
    /// by key/value head, then row by row, then query head by query head: the query heads that
    /// read one key/value head of one row follow each other, and so do the rows whose caches
    /// share a prefix (`KVCache.sharePrefix`), so that the second and third reads of the same
    /// keys and values come from the core's cache. With `quantizing` (and heads of whole
    /// 32-element blocks), each head's output is also quantized by the thread that computed
    /// it, for the output projection: done afterwards, that is serial work per row.
    func attention(rows: [Row], positions: [Int], layer: Int, scratch: Scratch, quantizing: Bool) -> Activations {
        let c = configuration
        let d = c.headDimension, e = c.embedding, group = c.heads / c.kvHeads
        let scale = 1 / Float(d).squareRoot()
        let n = rows.count
        let maxPosition = positions.max() ?? 0
        let quantized = quantizing && d % 32 == 0 ? QuantizedActivations(rows: n, columns: e) : nil
        Parallel.chunks(n * c.heads, threads: threads) { range in
            let scores = UnsafeMutablePointer<Float>.allocate(capacity: maxPosition + 1)
            let q = UnsafeMutablePointer<Float>.allocate(capacity: d)
            defer { scores.deallocate(); q.deallocate() }
            for item in range {
                let kvHead = item / (group * n), i = item / group % n
                let head = kvHead * group + item % group
                // The query and the attention weights are rounded to float16, as llama.cpp's
                // products with its float16 cache convert them (flash attention off, its
                // default on CPU): the same numbers, which keeps greedy decoding on its tokens.
                let query = scratch.query + i * e + head * d
                for j in 0..<d { q[j] = Float(Float16(query[j])) }
                let out = scratch.attended + i * e + head * d
                let cache = rows[i].cache
                let span = positions[i] + 1
                let storage = cache.storage(layer: layer, head: kvHead)
                let lent = min(storage.split, span)
                VectorMath.dots(q, rows: storage.lentKeys, stride: d, count: lent, width: d, scale: scale, into: scores)
                VectorMath.dots(q, rows: storage.ownKeys + lent * d, stride: d, count: span - lent, width: d, scale: scale,
                                into: scores + lent)
                VectorMath.softmax(scores, count: span)
                for p in 0..<span { scores[p] = Float(Float16(scores[p])) }
                VectorMath.weightedSum(storage.lentValues, stride: d, weights: scores, count: lent, width: d, into: out)
                VectorMath.weightedSum(storage.ownValues + lent * d, stride: d, weights: scores + lent, count: span - lent,
                                       width: d, into: out, continuing: true)
                quantized?.quantize(row: i, blocks: (head * d / 32)..<((head + 1) * d / 32), from: scratch.attended + i * e)
            }
        }
        return Activations(scratch.attended, rows: n, columns: e, quantized: quantized)
    }

    /// The input of one or more linear layers: float rows, and their 8-bit quantization made on
    /// first use and kept for the next layer that reads the same input.
    struct Activations {
        let input: UnsafePointer<Float>
        let rows: Int
        let columns: Int
        private(set) var quantized: QuantizedActivations?

        /// `quantized`, when given, already holds the input's quantization.
        init(_ input: UnsafePointer<Float>, rows: Int, columns: Int, quantized: QuantizedActivations? = nil) {
            self.input = input
            self.rows = rows
            self.columns = columns
            self.quantized = quantized
        }

        mutating func quantize() -> QuantizedActivations {
            if let quantized { return quantized }
            let q = QuantizedActivations(rows: rows, columns: columns)
            for i in 0..<rows { q.quantize(row: i, from: input + i * columns) }
            quantized = q
            return q
        }
    }

    func linear(_ w: WeightMatrix, _ input: UnsafePointer<Float>, rows n: Int, into out: UnsafeMutablePointer<Float>, bias: [Float]?) {
        var activations = Activations(input, rows: n, columns: w.columns)
        linear(w, &activations, into: out, bias: bias)
    }

    /// Whether `w` is multiplied with quantized activations (llama.cpp's arithmetic).
    func usesIntegerKernels(_ w: WeightMatrix) -> Bool {
        numerics == .llamaCpp && (w.type == .q4_1 || w.type == .q4_0 || w.type == .q8_0)
    }

    /// Weight rows `range` times every activation row, into `out` (one row of `w.rows` per
    /// activation row), four or two activation rows at a time where a kernel takes them.
    func integerProducts(_ w: WeightMatrix, _ activations: QuantizedActivations, rows range: Range<Int>, into out: UnsafeMutablePointer<Float>) {
        let type = w.type, n = activations.rows
        for r in range {
            let row = w.row(r)
            var i = 0
            while i + 3 < n, let four = QuantizedKernels.dot4(type: type, row, activations, row: i) {
                for k in 0..<4 { out[(i + k) * w.rows + r] = four[k] }
                i += 4
            }
            while i + 1 < n, let (a, b) = QuantizedKernels.dot2(type: type, row, activations, row: i) {
                out[i * w.rows + r] = a
                out[(i + 1) * w.rows + r] = b
                i += 2
            }
            while i < n {
                out[i * w.rows + r] = QuantizedKernels.dot(type: type, row, activations, row: i) ?? 0
                i += 1
            }
        }
    }

    /// SwiGLU's input: out = silu(x·gateᵀ) ⊙ (x·upᵀ), `up` being scratch space; returned as the
    /// next layer's input. With the integer kernels both products and the gating run in one
    /// parallel section, each thread gating the columns it computed (and, with `quantizing`,
    /// quantizing them for the next layer): work that is serial per sequence otherwise is
    /// shared among the threads, and one hand-off to the workers is saved.
    func gatedLinear(_ gate: WeightMatrix, _ upWeights: WeightMatrix, _ x: inout Activations,
                     into out: UnsafeMutablePointer<Float>, up: UnsafeMutablePointer<Float>, quantizing: Bool) -> Activations {
        let n = x.rows, width = gate.rows
        @inline(__always)
        func gateColumns(_ range: Range<Int>) {
            for i in 0..<n {
                VectorMath.gatedSiLU(out + i * width + range.lowerBound, up: up + i * width + range.lowerBound, count: range.count)
            }
        }
        if usesIntegerKernels(gate), usesIntegerKernels(upWeights), upWeights.rows == width {
            let activations = x.quantize()
            let quantized = quantizing && width % 32 == 0 ? QuantizedActivations(rows: n, columns: width) : nil
            Parallel.chunks(width, threads: threads, granularity: quantized == nil ? 16 : 32) { range in
                integerProducts(gate, activations, rows: range, into: out)
                integerProducts(upWeights, activations, rows: range, into: up)
                gateColumns(range)
                for i in 0..<n {
                    quantized?.quantize(row: i, blocks: (range.lowerBound / 32)..<(range.upperBound / 32), from: out + i * width)
                }
            }
            return Activations(out, rows: n, columns: width, quantized: quantized)
        }
        linear(gate, &x, into: out, bias: nil)
        linear(upWeights, &x, into: up, bias: nil)
        gateColumns(0..<width)
        return Activations(out, rows: n, columns: width)
    }

    /// Several products of the same input (a layer's query, key and value) in one parallel
    /// section: the threads split the matrices' rows together, and hand off once instead of once
    /// per matrix (a decode step has a few hundred sections of tens of microseconds; each hand-off
    /// costs a few). Each row is computed exactly as `linear` computes it.
    func linears(_ parts: [(w: WeightMatrix, out: UnsafeMutablePointer<Float>, bias: [Float]?)], _ x: inout Activations) {
        guard parts.allSatisfy({ usesIntegerKernels($0.w) }) else {
            for part in parts { linear(part.w, &x, into: part.out, bias: part.bias) }
            return
        }
        let activations = x.quantize(), n = x.rows
        let total = parts.reduce(0) { $0 + $1.w.rows }
        Parallel.chunks(total, threads: threads, granularity: 16) { range in
            var offset = 0
            for part in parts {
                let lower = max(range.lowerBound, offset), upper = min(range.upperBound, offset + part.w.rows)
                if lower < upper { integerProducts(part.w, activations, rows: (lower - offset)..<(upper - offset), into: part.out) }
                offset += part.w.rows
            }
        }
        for part in parts {
            guard let bias = part.bias else { continue }
            for i in 0..<n { for j in 0..<part.w.rows { part.out[i * part.w.rows + j] += bias[j] } }
        }
    }

    /// out[rows × w.rows] = input[rows × w.columns] · wᵀ (+ bias).
    func linear(_ w: WeightMatrix, _ x: inout Activations, into out: UnsafeMutablePointer<Float>, bias: [Float]?) {
        let input = x.input, n = x.rows
        if usesIntegerKernels(w) {
            let activations = x.quantize()
            Parallel.chunks(w.rows, threads: threads, granularity: 16) { range in
                integerProducts(w, activations, rows: range, into: out)
            }
        } else if n >= sgemmThreshold {
            let dense = UnsafeMutablePointer<Float>.allocate(capacity: w.rows * w.columns)
            defer { dense.deallocate() }
            // Each thread expands its share of the weight rows and multiplies by them.
            Parallel.chunks(w.rows, threads: threads, granularity: 16) { range in
                let part = dense + range.lowerBound * w.columns
                w.dequantizeRows(range, into: part)
                BLAS.sgemm(.normal, .transposed, m: n, n: range.count, k: w.columns,
                           input, lda: w.columns, part, ldb: w.columns, out + range.lowerBound, ldc: w.rows)
            }
        } else {
            let blocks = w.columns / 32
            let sums = UnsafeMutablePointer<Float>.allocate(capacity: max(1, n * blocks))
            defer { sums.deallocate() }
            for i in 0..<n { QuantizedKernels.blockSums(input + i * w.columns, count: w.columns, into: sums + i * blocks) }
            let type = w.type, columns = w.columns
            Parallel.chunks(w.rows, threads: threads, granularity: 16) { range in
                for r in range {
                    let row = w.row(r)
                    for i in 0..<n {
                        out[i * w.rows + r] = QuantizedKernels.dot(type: type, row, input + i * columns, sums: sums + i * blocks, count: columns)
                    }
                }
            }
        }
        if let bias {
            for i in 0..<n { for j in 0..<w.rows { out[i * w.rows + j] += bias[j] } }
        }
    }
}

import Engine

/// A 1-D convolution over channel-major signals (`channels × time`, row-major), read from an
/// ONNX `Conv` node: weights `[out, in / groups, kernel]`, with its dilation, padding and stride.
/// Dense convolutions are one sgemm of the weights against the unfolded input (im2col), split
/// by time over the compute threads; depthwise ones are direct loops.
struct Conv1d: @unchecked Sendable {
    let weight: [Float]
    /// The weights per tap, `kernel × outputs × inputs`, for the shifted-product path.
    let tapWeights: [Float]
    /// The register-blocked direct path for narrow layers, when it applies.
    private(set) var direct: DirectConvolution?
    let bias: [Float]?
    let inputs: Int
    let outputs: Int
    let kernel: Int
    let dilation: Int
    let padding: Int
    let stride: Int
    let groups: Int

    /// - Parameter padding: overrides the node's own padding, for convolutions whose padding the
    ///   exporter turned into a separate `Pad` node.
    init(model: ONNXModel, node name: String, padding paddingOverride: Int? = nil) throws(EngineError) {
        let node = try model.node(name)
        guard node.opType == "Conv", node.inputs.count >= 2 else {
            throw .malformedModel(path: model.path, message: "\(name) is a \(node.opType), expected a Conv")
        }
        guard let shape = model.initializers[node.inputs[1]]?.shape, shape.count == 3 else {
            throw .malformedModel(path: model.path, message: "\(name) has no 1-D weight initializer")
        }
        weight = try model.floats(node.inputs[1])
        bias = node.inputs.count > 2 && !node.inputs[2].isEmpty ? try model.floats(node.inputs[2], shape: [shape[0]]) : nil
        groups = node.ints("group")?.first ?? 1
        outputs = shape[0]
        inputs = shape[1] * groups
        kernel = shape[2]
        dilation = node.ints("dilations")?.first ?? 1
        stride = node.ints("strides")?.first ?? 1
        let pads = node.ints("pads") ?? [0, 0]
        guard pads.count == 2, pads[0] == pads[1] else {
            throw .unsupportedModel(path: model.path, message: "\(name) has asymmetric padding \(pads)")
        }
        padding = paddingOverride ?? pads[0]
        guard groups >= 1, outputs >= 1, shape[1] >= 1, kernel >= 1, dilation >= 1, stride >= 1, padding >= 0,
              (1...4096).contains(kernel * dilation) else {
            throw .malformedModel(path: model.path, message: "\(name): impossible convolution (weights \(shape), group \(groups), dilation \(dilation), stride \(stride), padding \(padding))")
        }
        var taps = [Float](repeating: 0, count: weight.count)
        if groups == 1 {
            for o in 0..<outputs { for c in 0..<inputs { for k in 0..<kernel {
                taps[(k * outputs + o) * inputs + c] = weight[(o * inputs + c) * kernel + k]
            } } }
        }
        tapWeights = taps
        direct = nil
        guard groups == 1 || (groups == inputs && groups == outputs) else {
            throw .unsupportedModel(path: model.path, message: "\(name): only dense and depthwise convolutions are supported (group \(groups))")
        }
        direct = DirectConvolution(self)
    }

    func outputLength(_ length: Int) -> Int { (length + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1 }

    /// `x` is `inputs × length`; returns `outputs × outputLength(length)`.
    func callAsFunction(_ x: [Float], length: Int, threads: Int) -> [Float] {
        let n = outputLength(length)
        guard n > 0 else { return [] }
        if groups > 1 {
            var y = [Float](repeating: 0, count: outputs * n)
            if let bias { for o in 0..<outputs { for t in 0..<n { y[o * n + t] = bias[o] } } }
            depthwise(x, length: length, into: &y, n: n)
            return y
        }
        return [Float](unsafeUninitializedCapacity: outputs * n) { buffer, count in
            count = outputs * n
            compute(x, length: length, into: buffer.baseAddress!, accumulate: false, threads: threads)
        }
    }

    /// y += conv(x) (with bias), in place: for "same"-length convolutions whose result is added
    /// to a residual path. Saves allocating the output and a separate pass to add it.
    func accumulate(_ x: [Float], length: Int, into y: inout [Float], threads: Int) {
        precondition(groups == 1 && outputLength(length) == length && y.count == outputs * length)
        y.withUnsafeMutableBufferPointer { compute(x, length: length, into: $0.baseAddress!, accumulate: true, threads: threads) }
    }

    /// A dense convolution into `y` (`outputs × outputLength(length)`), written whole (bias
    /// included) or added to, split over the threads.
    private func compute(_ x: [Float], length: Int, into y: UnsafeMutablePointer<Float>, accumulate: Bool, threads: Int) {
        let n = outputLength(length)
        if let direct, n >= Self.columnSplitMinimum {
            runDirect(direct, x, length: n, into: y, accumulate: accumulate, threads: threads)
            return
        }
        let rows = inputs * kernel
        let pointwise = kernel == 1 && stride == 1 && padding == 0
        let shifted = !pointwise && stride == 1 && inputs >= Self.shiftedMinimumInputs
        x.withUnsafeBufferPointer { xp in
            weight.withUnsafeBufferPointer { wp in
                tapWeights.withUnsafeBufferPointer { tp in
                    let x = xp.baseAddress!, w = wp.baseAddress!, taps = tp.baseAddress!
                    let product = { (channels: Range<Int>, columns: Range<Int>) in
                        self.product(x, length: length, n: n, w: w, taps: taps, rows: rows, pointwise: pointwise, shifted: shifted,
                                     channels: channels, columns: columns, into: y, accumulate: accumulate)
                    }
                    if n >= Self.columnSplitMinimum {
                        // Long signals (the decoder): split time between the threads.
                        Parallel.chunks(n, threads: threads, granularity: 32) { product(0..<outputs, $0) }
                    } else {
                        // Short ones (text, latent frames): split the output channels, so each
                        // product keeps all the columns.
                        Parallel.chunks(outputs, threads: outputs >= 32 && n >= 16 ? threads : 1, granularity: 16) { product($0, 0..<n) }
                    }
                }
            }
        }
    }

    /// The direct kernel reads the input as "same"-padded rows (output length = input length).
    private func runDirect(_ direct: DirectConvolution, _ x: [Float], length n: Int, into target: UnsafeMutablePointer<Float>,
                           accumulate: Bool, threads: Int) {
        // Zero-padded copy (plus slack for the last vector), so the kernel has no edge cases.
        let reach = dilation * (kernel - 1)
        let paddedLength = n + reach + 32
        var padded = [Float](repeating: 0, count: inputs * paddedLength)
        x.withUnsafeBufferPointer { xp in
            padded.withUnsafeMutableBufferPointer { pp in
                for c in 0..<inputs {
                    (pp.baseAddress! + c * paddedLength + padding).update(from: xp.baseAddress! + c * n, count: n)
                }
            }
        }
        let bias = self.bias
        padded.withUnsafeBufferPointer { pp in
            let source = pp.baseAddress!
            Parallel.chunks(n, threads: threads, granularity: 32) { range in
                direct.run(source, paddedLength: paddedLength, length: n, bias: bias, range: range, into: target, accumulate: accumulate)
            }
        }
    }

    /// Signals at least this long are split by time between the threads, shorter ones by output
    /// channel.
    static let columnSplitMinimum = 512

    /// y[channels][columns] = bias + W[channels] ⊛ x (or += with `accumulate`), in tiles of columns.
    private func product(_ x: UnsafePointer<Float>, length: Int, n: Int, w: UnsafePointer<Float>, taps: UnsafePointer<Float>,
                         rows: Int, pointwise: Bool, shifted: Bool, channels: Range<Int>, columns range: Range<Int>,
                         into y: UnsafeMutablePointer<Float>, accumulate: Bool) {
        // Tiles whose unfolded input (rows × tile) stays in cache between the copy and the product.
        let tile = pointwise || shifted ? range.count : Self.tileColumns
        let unfolded = pointwise || shifted ? nil : UnsafeMutablePointer<Float>.allocate(capacity: rows * min(tile, range.count))
        defer { unfolded?.deallocate() }
        let m = channels.count, o0 = channels.lowerBound
        for start in Swift.stride(from: range.lowerBound, to: range.upperBound, by: max(1, tile)) {
            let part = start..<min(range.upperBound, start + tile)
            for o in channels {
                let row = y + o * n + part.lowerBound, b = bias?[o] ?? 0
                if accumulate {
                    if b != 0 { for i in 0..<part.count { row[i] += b } }
                } else {
                    row.update(repeating: b, count: part.count)
                }
            }
            if shifted {
                // One product per tap against the shifted input, no unfolding; at the edges a
                // tap covers only the columns inside the signal.
                for k in 0..<kernel {
                    let offset = k * dilation - padding
                    let first = max(part.lowerBound, -offset), end = min(part.upperBound, length - offset)
                    guard first < end else { continue }
                    BLAS.sgemm(.normal, .normal, m: m, n: end - first, k: inputs,
                               taps + (k * outputs + o0) * inputs, lda: inputs, x + first + offset, ldb: length, beta: 1, y + o0 * n + first, ldc: n)
                }
            } else if let unfolded {
                Self.unfold(x, length: length, inputs: inputs, kernel: kernel, dilation: dilation, padding: padding,
                            stride: stride, range: part, into: unfolded)
                BLAS.sgemm(.normal, .normal, m: m, n: part.count, k: rows,
                           w + o0 * rows, lda: rows, unfolded, ldb: part.count, beta: 1, y + o0 * n + part.lowerBound, ldc: n)
            } else {
                BLAS.sgemm(.normal, .normal, m: m, n: part.count, k: inputs,
                           w + o0 * inputs, lda: inputs, x + part.lowerBound, ldb: length, beta: 1, y + o0 * n + part.lowerBound, ldc: n)
            }
        }
    }

    /// Output columns per tile. Measured on the voice (2 cores): 64 was as fast as or faster
    /// than 32, 128, 256 and 1024.
    static let tileColumns = 64
    /// Dense convolutions with at least this many input channels skip the unfolding: one
    /// product per tap against the shifted input (4% faster on the voice at 64 channels and
    /// up; slower below, where a tap's product is too thin).
    static let shiftedMinimumInputs = 64

    /// im2col for output columns `range`: row (c, k) holds x[c][t·stride + k·dilation − padding],
    /// zero outside the signal. With stride 1 each row is one contiguous copy.
    static func unfold(_ x: UnsafePointer<Float>, length: Int, inputs: Int, kernel: Int, dilation: Int, padding: Int,
                       stride: Int, range: Range<Int>, into columns: UnsafeMutablePointer<Float>) {
        let width = range.count
        for c in 0..<inputs {
            let source = x + c * length
            for k in 0..<kernel {
                let row = columns + (c * kernel + k) * width
                let offset = k * dilation - padding
                if stride == 1 {
                    // Output columns whose source index lies inside the signal.
                    let first = max(range.lowerBound, -offset), end = min(range.upperBound, length - offset)
                    if first >= end {
                        row.update(repeating: 0, count: width)
                        continue
                    }
                    let lead = first - range.lowerBound, tail = range.upperBound - end
                    if lead > 0 { row.update(repeating: 0, count: lead) }
                    (row + lead).update(from: source + first + offset, count: end - first)
                    if tail > 0 { (row + width - tail).update(repeating: 0, count: tail) }
                } else {
                    for (i, t) in range.enumerated() {
                        let s = t * stride + offset
                        row[i] = s >= 0 && s < length ? source[s] : 0
                    }
                }
            }
        }
    }

    private func depthwise(_ x: [Float], length: Int, into y: inout [Float], n: Int) {
        for c in 0..<outputs {
            for k in 0..<kernel {
                let w = weight[c * kernel + k]
                let offset = k * dilation - padding
                for t in 0..<n {
                    let s = t * stride + offset
                    if s >= 0 && s < length { y[c * n + t] += w * x[c * length + s] }
                }
            }
        }
    }
}

/// A 1-D transposed convolution (HiFi-GAN's upsampling), read from an ONNX `ConvTranspose`
/// node: weights `[in, out, kernel]`. Computed tile by tile of output: one sgemm (every input
/// step that reaches the tile times every tap) followed by overlap-add of the taps.
struct ConvTranspose1d: @unchecked Sendable {
    /// `(out·kernel) × in`, so that the sgemm yields every tap of every output channel.
    let weight: [Float]
    let bias: [Float]
    let inputs: Int
    let outputs: Int
    let kernel: Int
    let stride: Int
    let padding: Int

    init(model: ONNXModel, node name: String) throws(EngineError) {
        let node = try model.node(name)
        guard node.opType == "ConvTranspose", node.inputs.count >= 3,
              let shape = model.initializers[node.inputs[1]]?.shape, shape.count == 3 else {
            throw .malformedModel(path: model.path, message: "\(name) is not a 1-D ConvTranspose with weights and bias")
        }
        guard (node.ints("group")?.first ?? 1) == 1, (node.ints("dilations")?.first ?? 1) == 1 else {
            throw .unsupportedModel(path: model.path, message: "\(name): grouped or dilated transposed convolutions are not supported")
        }
        inputs = shape[0]
        outputs = shape[1]
        kernel = shape[2]
        stride = node.ints("strides")?.first ?? 1
        let pads = node.ints("pads") ?? [0, 0]
        guard pads.count == 2, pads[0] == pads[1] else {
            throw .unsupportedModel(path: model.path, message: "\(name) has asymmetric padding \(pads)")
        }
        padding = pads[0]
        guard inputs >= 1, outputs >= 1, kernel >= 1, (1...1024).contains(stride), padding >= 0, padding < kernel else {
            throw .malformedModel(path: model.path, message: "\(name): impossible transposed convolution (weights \(shape), stride \(stride), padding \(padding))")
        }
        let w = try model.floats(node.inputs[1])
        var transposed = [Float](repeating: 0, count: w.count)
        for i in 0..<inputs {
            for o in 0..<outputs {
                for k in 0..<kernel { transposed[(o * kernel + k) * inputs + i] = w[(i * outputs + o) * kernel + k] }
            }
        }
        weight = transposed
        bias = try model.floats(node.inputs[2], shape: [outputs])
    }

    func outputLength(_ length: Int) -> Int { (length - 1) * stride - 2 * padding + kernel }

    func callAsFunction(_ x: [Float], length: Int, threads: Int) -> [Float] {
        let n = outputLength(length)
        guard n > 0 else { return [] }
        return [Float](unsafeUninitializedCapacity: outputs * n) { buffer, count in
            count = outputs * n
            x.withUnsafeBufferPointer { xp in
                weight.withUnsafeBufferPointer { wp in
                    let x = xp.baseAddress!, w = wp.baseAddress!, y = buffer.baseAddress!
                    // Each thread writes its own span of the output, tile by tile.
                    Parallel.chunks(n, threads: length >= 64 ? threads : 1, granularity: 16 * stride) { span in
                        let tile = tileOutputs
                        let columns = UnsafeMutablePointer<Float>.allocate(capacity: (tile / stride + 2) * outputs * kernel)
                        defer { columns.deallocate() }
                        for start in Swift.stride(from: span.lowerBound, to: span.upperBound, by: tile) {
                            compute(x, length: length, w: w, outputs: start..<min(span.upperBound, start + tile), n: n, columns: columns, into: y)
                        }
                    }
                }
            }
        }
    }

    /// Output columns per tile: as many as keep a tile's products (every tap of every output
    /// channel for the input steps that reach the tile) near 64 K floats, in the cache.
    var tileOutputs: Int { max(16, 65_536 / (outputs * kernel)) * stride }

    /// y[·][range] = bias + the taps of the input steps that reach `range`: one sgemm for all
    /// their taps (time-major, `steps × outputs·kernel`), then overlap-add, step after step.
    private func compute(_ x: UnsafePointer<Float>, length: Int, w: UnsafePointer<Float>, outputs range: Range<Int>, n: Int,
                         columns: UnsafeMutablePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        let taps = outputs * kernel
        for o in 0..<outputs { (y + o * n + range.lowerBound).update(repeating: bias[o], count: range.count) }
        // Input step t adds its taps at t·stride − padding + j, j < kernel.
        let first = max(0, Self.ceilingDivision(range.lowerBound + padding - kernel + 1, stride))
        let last = min(length - 1, (range.upperBound - 1 + padding) / stride)
        guard first <= last else { return }
        let steps = last - first + 1
        BLAS.sgemm(.transposed, .transposed, m: steps, n: taps, k: inputs,
                   x + first, lda: length, w, ldb: inputs, columns, ldc: taps)
        for o in 0..<outputs {
            let row = y + o * n
            for t in first...last {
                let tap = columns + (t - first) * taps + o * kernel
                let base = t * stride - padding
                if base >= range.lowerBound && base + kernel <= range.upperBound {
                    let target = row + base
                    for j in 0..<kernel { target[j] += tap[j] }
                } else {
                    for j in 0..<kernel where range.contains(base + j) { row[base + j] += tap[j] }
                }
            }
        }
    }

    /// ⌈a / b⌉ for b > 0 and any a.
    static func ceilingDivision(_ a: Int, _ b: Int) -> Int { a >= 0 ? (a + b - 1) / b : -((-a) / b) }
}

/// Layer normalisation over the channels of each time step of a `channels × time` signal
/// (VITS's `modules.LayerNorm`), ε = 1e-5.
struct ChannelLayerNorm: Sendable {
    let gamma: [Float]
    let beta: [Float]

    init(model: ONNXModel, prefix: String) throws(EngineError) {
        gamma = try model.floats(prefix + ".gamma")
        beta = try model.floats(prefix + ".beta", shape: [gamma.count])
    }

    func callAsFunction(_ x: inout [Float], length: Int) {
        let channels = gamma.count
        for t in 0..<length {
            var mean: Float = 0
            for c in 0..<channels { mean += x[c * length + t] }
            mean /= Float(channels)
            var variance: Float = 0
            for c in 0..<channels { let d = x[c * length + t] - mean; variance += d * d }
            let scale = 1 / (variance / Float(channels) + 1e-5).squareRoot()
            for c in 0..<channels { x[c * length + t] = (x[c * length + t] - mean) * scale * gamma[c] + beta[c] }
        }
    }
}

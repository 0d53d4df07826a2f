/// y = x·Wᵀ + b with float32 weights (`outputs × inputs`, row-major), applied to many rows at
/// once through OpenBLAS sgemm: the compute-bound path (encoders, prompts).
public struct DenseLayer: Sendable {
    public let weight: [Float]
    public let bias: [Float]?
    public let outputs: Int
    public let inputs: Int

    public init(weight: [Float], bias: [Float]?, outputs: Int, inputs: Int) {
        precondition(weight.count == outputs * inputs && (bias?.count ?? outputs) == outputs)
        self.weight = weight
        self.bias = bias
        self.outputs = outputs
        self.inputs = inputs
    }

    /// `y[rows × outputs] = x[rows × inputs]·Wᵀ + b`; `ldy` is y's row stride. With `threads`
    /// above one the rows are split over a `ComputePool`, each part a single-threaded sgemm
    /// (OpenBLAS must then be set to one thread).
    public func apply(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>, ldy: Int? = nil, threads: Int = 1) {
        let ldy = ldy ?? outputs
        if let bias {
            bias.withUnsafeBufferPointer { b in
                for r in 0..<rows { (y + r * ldy).update(from: b.baseAddress!, count: outputs) }
            }
        }
        weight.withUnsafeBufferPointer { w in
            let w = w.baseAddress!
            let beta: Float = bias == nil ? 0 : 1
            Parallel.chunks(rows, threads: rows >= 32 ? threads : 1, granularity: 8) { range in
                BLAS.sgemm(.normal, .transposed, m: range.count, n: outputs, k: inputs,
                           x + range.lowerBound * inputs, lda: inputs, w, ldb: inputs, beta: beta, y + range.lowerBound * ldy, ldc: ldy)
            }
        }
    }
}

/// y = x·Wᵀ + b with float16 weights, for a few rows at a time: the memory-bound path
/// (single-token decoding), where streaming half as many bytes is what sets the speed. Models
/// stored in float16 lose nothing; the arithmetic is float32.
public final class HalfDenseLayer: @unchecked Sendable {
    public let weight: UnsafeMutablePointer<Float16>
    public let bias: [Float]?
    public let outputs: Int
    public let inputs: Int
    public let threads: Int

    public init(weight floats: [Float], bias: [Float]?, outputs: Int, inputs: Int, threads: Int) {
        precondition(floats.count == outputs * inputs && (bias?.count ?? outputs) == outputs)
        weight = .allocate(capacity: floats.count)
        for i in 0..<floats.count { weight[i] = Float16(floats[i]) }
        self.bias = bias
        self.outputs = outputs
        self.inputs = inputs
        self.threads = threads
    }

    deinit { weight.deallocate() }

    /// `y[rows × outputs] = x[rows × inputs]·Wᵀ + b`, split by output rows over `threads`.
    public func apply(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>) {
        let weight = self.weight, inputs = self.inputs, outputs = self.outputs
        let bias = self.bias
        Parallel.chunks(outputs, threads: threads, granularity: 16) { range in
            for o in range {
                let w = UnsafePointer(weight + o * inputs)
                let b = bias?[o] ?? 0
                for r in 0..<rows {
                    y[r * outputs + o] = VectorMath.dot(x + r * inputs, w, count: inputs) + b
                }
            }
        }
    }

    /// One row of the weights as float (embedding look-up).
    public func row(_ r: Int, into out: UnsafeMutablePointer<Float>) {
        for i in 0..<inputs { out[i] = Float(weight[r * inputs + i]) }
    }
}

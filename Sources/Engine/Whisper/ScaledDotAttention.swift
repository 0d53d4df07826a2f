/// Multi-head scaled dot-product attention over row-major matrices with strides: per head,
/// scores = q·kᵀ/√d, softmax, then scores·v. Used by the encoder (hundreds of queries) and the
/// decoder (one query, or a prompt's few).
///
/// Heads are independent, so they are spread over `threads` with single-threaded sgemm calls
/// (OpenBLAS set to one thread; see `WhisperModel`).
enum ScaledDotAttention {
    struct Operand: @unchecked Sendable {
        let base: UnsafePointer<Float>
        let stride: Int
    }

    /// - Parameters:
    ///   - causalOffset: when set, query i sees keys 0...(causalOffset + i) only.
    ///   - scores: scratch of at least `threads × queries × keys` floats.
    static func run(queries: Int, keys: Int, heads: Int, headWidth: Int,
                    q: Operand, k: Operand, v: Operand,
                    causalOffset: Int?, scores: UnsafeMutablePointer<Float>,
                    output: UnsafeMutablePointer<Float>, outputStride: Int, threads: Int) {
        let scale = 1 / Float(headWidth).squareRoot()
        let parallel = threads > 1 && queries * keys >= 4096
        let parts = parallel ? min(threads, heads) : 1
        let attendHeads = { (part: Int) in
            let scores = scores + part * queries * keys
            for h in stride(from: part, to: heads, by: parts) {
                let column = h * headWidth
                BLAS.sgemm(.normal, .transposed, m: queries, n: keys, k: headWidth, alpha: scale,
                           q.base + column, lda: q.stride, k.base + column, ldb: k.stride, scores, ldc: keys)
                for i in 0..<queries {
                    let row = scores + i * keys
                    let visible = causalOffset.map { min(keys, $0 + i + 1) } ?? keys
                    for j in visible..<keys { row[j] = 0 }
                    FastMath.softmax(row, count: visible)
                }
                BLAS.sgemm(.normal, .normal, m: queries, n: headWidth, k: keys,
                           scores, lda: keys, v.base + column, ldb: v.stride, output + column, ldc: outputStride)
            }
        }
        if parts > 1 {
            ComputePool.shared(threads: parts).run(attendHeads)
        } else {
            attendHeads(0)
        }
    }
}

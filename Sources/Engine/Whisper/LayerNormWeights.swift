/// A layer norm's γ and β, read from a CTranslate2 scope (`…/layer_norm`), applied with ε = 1e-5
/// (CTranslate2's value for norms with a β).
struct LayerNormWeights: Sendable {
    let gamma: [Float]
    let beta: [Float]

    init(_ model: CTranslate2Model, _ scope: String, width: Int) throws(EngineError) {
        gamma = try model.floats(scope + "/gamma", shape: [width])
        beta = try model.floats(scope + "/beta", shape: [width])
    }

    /// Normalises `rows` rows of the norm's width from `x` into `out`.
    func callAsFunction(_ x: UnsafePointer<Float>, rows: Int, into out: UnsafeMutablePointer<Float>) {
        FastMath.layerNorm(x, rows: rows, width: gamma.count, gamma: gamma, beta: beta, into: out)
    }
}

import Engine
import Foundation

/// Dilated depth-separable convolutions (VITS's `DDSConv`): per layer a depthwise dilated
/// convolution, channel layer norm, GELU, a 1×1 convolution, layer norm, GELU, added back.
struct DilatedDepthSeparableConvs: @unchecked Sendable {
    struct Layer { let separable: Conv1d; let norm1: ChannelLayerNorm; let pointwise: Conv1d; let norm2: ChannelLayerNorm }
    let layers: [Layer]

    init(model: ONNXModel, node prefix: String, weights: String) throws(EngineError) {
        var layers: [Layer] = []
        while model.nodesByName["\(prefix)/convs_sep.\(layers.count)/Conv"] != nil {
            let i = layers.count
            layers.append(Layer(separable: try Conv1d(model: model, node: "\(prefix)/convs_sep.\(i)/Conv"),
                                norm1: try ChannelLayerNorm(model: model, prefix: "\(weights).norms_1.\(i)"),
                                pointwise: try Conv1d(model: model, node: "\(prefix)/convs_1x1.\(i)/Conv"),
                                norm2: try ChannelLayerNorm(model: model, prefix: "\(weights).norms_2.\(i)")))
        }
        guard !layers.isEmpty else { throw .malformedModel(path: model.path, message: "\(prefix) has no layers") }
        self.layers = layers
    }

    func callAsFunction(_ input: [Float], conditioning: [Float]? = nil, length n: Int, threads: Int) -> [Float] {
        var x = input
        if let conditioning { for i in 0..<x.count { x[i] += conditioning[i] } }
        for layer in layers {
            var y = layer.separable(x, length: n, threads: threads)
            layer.norm1(&y, length: n)
            FastMath.gelu(&y, count: y.count)
            y = layer.pointwise(y, length: n, threads: threads)
            layer.norm2(&y, length: n)
            FastMath.gelu(&y, count: y.count)
            for i in 0..<x.count { x[i] += y[i] }
        }
        return x
    }
}

/// VITS's stochastic duration predictor, run in reverse: noise (zero when noise_w is 0) goes
/// back through the flows, conditioned on the text encoder's hidden states, and comes out as
/// log-durations. The flows are, in reverse order: flip, spline coupling, flip, coupling, flip,
/// coupling, flip, elementwise affine (the first coupling layer is unused in reverse, as in VITS).
struct StochasticDurationPredictor: @unchecked Sendable {
    struct SplineCoupling {
        let pre: Conv1d
        let convs: DilatedDepthSeparableConvs
        let projection: Conv1d
        let bins: Int
        let filterChannels: Int
    }

    let pre: Conv1d
    let convs: DilatedDepthSeparableConvs
    let projection: Conv1d
    let couplings: [SplineCoupling]   // in reverse order of application
    let affineMean: [Float]           // 2
    let affineInverseScale: [Float]   // exp(−logs), 2

    init(model: ONNXModel) throws(EngineError) {
        pre = try Conv1d(model: model, node: "/dp/pre/Conv")
        convs = try DilatedDepthSeparableConvs(model: model, node: "/dp/convs", weights: "dp.convs")
        projection = try Conv1d(model: model, node: "/dp/proj/Conv")
        var couplings: [SplineCoupling] = []
        for index in stride(from: 15, through: 1, by: -1) where model.nodesByName["/dp/flows.\(index)/pre/Conv"] != nil {
            let projection = try Conv1d(model: model, node: "/dp/flows.\(index)/proj/Conv")
            guard projection.outputs % 3 == 2 else {
                throw .malformedModel(path: model.path, message: "dp.flows.\(index).proj has \(projection.outputs) outputs, expected 3·bins − 1")
            }
            let pre = try Conv1d(model: model, node: "/dp/flows.\(index)/pre/Conv")
            couplings.append(SplineCoupling(
                pre: pre,
                convs: try DilatedDepthSeparableConvs(model: model, node: "/dp/flows.\(index)/convs", weights: "dp.flows.\(index).convs"),
                projection: projection, bins: (projection.outputs + 1) / 3, filterChannels: pre.outputs))
        }
        guard !couplings.isEmpty else { throw .malformedModel(path: model.path, message: "the duration predictor has no flows") }
        self.couplings = couplings
        affineMean = try model.floats("dp.flows.0.m", shape: [2, 1])
        // The exporter folded the reverse affine flow's exp(−logs) into a constant.
        affineInverseScale = try model.floats("/dp/flows.0/Exp_output_0", shape: [2, 1])
    }

    /// Log-durations (one per phoneme) from the text encoder's `hidden` (`channels × n`).
    func callAsFunction(_ hidden: [Float], length n: Int, noise: [Float], threads: Int) -> [Float] {
        var h = pre(hidden, length: n, threads: threads)
        h = convs(h, length: n, threads: threads)
        let conditioning = projection(h, length: n, threads: threads)
        // z: 2 × n
        var z = noise
        for coupling in couplings {
            flip(&z, n: n)
            let x0 = Array(z[..<n])
            var g = coupling.pre(x0, length: n, threads: threads)
            g = coupling.convs(g, conditioning: conditioning, length: n, threads: threads)
            let parameters = coupling.projection(g, length: n, threads: threads)
            let bins = coupling.bins
            let norm = 1 / Float(coupling.filterChannels).squareRoot()
            for t in 0..<n {
                var widths = [Float](repeating: 0, count: bins), heights = widths
                var derivatives = [Float](repeating: 0, count: bins - 1)
                for b in 0..<bins {
                    widths[b] = parameters[b * n + t] * norm
                    heights[b] = parameters[(bins + b) * n + t] * norm
                }
                for b in 0..<(bins - 1) { derivatives[b] = parameters[(2 * bins + b) * n + t] }
                z[n + t] = RationalQuadraticSpline.inverse(z[n + t], widths: widths, heights: heights, derivatives: derivatives)
            }
        }
        flip(&z, n: n)
        // Elementwise affine, reversed: (z − m) · exp(−logs).
        for c in 0..<2 {
            for t in 0..<n { z[c * n + t] = (z[c * n + t] - affineMean[c]) * affineInverseScale[c] }
        }
        return Array(z[..<n])
    }

    private func flip(_ z: inout [Float], n: Int) {
        for t in 0..<n { z.swapAt(t, n + t) }
    }
}

/// The inverse of the monotonic rational-quadratic spline with linear tails (Durkan et al.,
/// "Neural Spline Flows"), as VITS's duration flows use it: bins on [−5, 5], widths, heights
/// and inner knot derivatives from unnormalised parameters, identity outside the interval.
enum RationalQuadraticSpline {
    static let tailBound: Float = 5
    static let minimumBinWidth: Float = 1e-3
    static let minimumBinHeight: Float = 1e-3
    static let minimumDerivative: Float = 1e-3

    static func inverse(_ y: Float, widths unnormalizedWidths: [Float], heights unnormalizedHeights: [Float], derivatives unnormalizedDerivatives: [Float]) -> Float {
        guard y >= -tailBound && y <= tailBound else { return y }
        let bins = unnormalizedWidths.count
        let cumulativeWidths = knots(unnormalizedWidths, minimum: minimumBinWidth)
        let cumulativeHeights = knots(unnormalizedHeights, minimum: minimumBinHeight)
        // Inner derivatives through softplus; the end knots get derivative 1 (linear tails).
        var derivatives = [Float](repeating: 1, count: bins + 1)
        for (i, d) in unnormalizedDerivatives.enumerated() {
            derivatives[i + 1] = minimumDerivative + Float(log1p(exp(Double(d))))
        }
        // The bin holding y (searchsorted with the last knot nudged up, as in the reference).
        var bin = 0
        for i in 0...bins {
            let edge = i == bins ? cumulativeHeights[i] + 1e-6 : cumulativeHeights[i]
            if y >= edge { bin = i }
        }
        bin = min(max(bin, 0), bins - 1)
        let x0 = cumulativeWidths[bin], width = cumulativeWidths[bin + 1] - x0
        let y0 = cumulativeHeights[bin], height = cumulativeHeights[bin + 1] - y0
        let delta = height / width
        let d0 = derivatives[bin], d1 = derivatives[bin + 1]
        let offset = y - y0
        let a = offset * (d0 + d1 - 2 * delta) + height * (delta - d0)
        let b = height * d0 - offset * (d0 + d1 - 2 * delta)
        let c = -delta * offset
        let discriminant = b * b - 4 * a * c
        let root = (2 * c) / (-b - discriminant.squareRoot())
        return root * width + x0
    }

    /// Knot positions on [−B, B] from unnormalised bin sizes: softmax, a floor per bin,
    /// cumulative sum.
    private static func knots(_ unnormalized: [Float], minimum: Float) -> [Float] {
        let bins = unnormalized.count
        let maximum = unnormalized.max() ?? 0
        let exps = unnormalized.map { exp($0 - maximum) }
        let sum = exps.reduce(0, +)
        var knots = [Float](repeating: 0, count: bins + 1)
        var cumulative: Float = 0
        for i in 0..<bins {
            cumulative += minimum + (1 - minimum * Float(bins)) * exps[i] / sum
            knots[i + 1] = cumulative
        }
        for i in 0...bins { knots[i] = 2 * tailBound * knots[i] - tailBound }
        knots[0] = -tailBound
        knots[bins] = tailBound
        return knots
    }
}

import Engine
import Foundation

/// VITS's normalising flow from the prior to the decoder's latent, run in reverse: four
/// mean-only affine coupling layers (each a WaveNet-style stack on one half of the channels
/// shifting the other half), with the channel order flipped between them.
struct ResidualCouplingFlow: @unchecked Sendable {
    struct WaveNetLayer { let input: Conv1d; let residualSkip: Conv1d }
    struct Coupling { let pre: Conv1d; let layers: [WaveNetLayer]; let post: Conv1d }

    let couplings: [Coupling]  // in the order the forward pass applies them
    let channels: Int

    init(model: ONNXModel) throws(EngineError) {
        var couplings: [Coupling] = []
        var index = 0
        while model.nodesByName["/flow/flows.\(index)/pre/Conv"] != nil {
            let p = "/flow/flows.\(index)"
            var layers: [WaveNetLayer] = []
            while model.nodesByName["\(p)/enc/in_layers.\(layers.count)/Conv"] != nil {
                let i = layers.count
                layers.append(WaveNetLayer(input: try Conv1d(model: model, node: "\(p)/enc/in_layers.\(i)/Conv"),
                                           residualSkip: try Conv1d(model: model, node: "\(p)/enc/res_skip_layers.\(i)/Conv")))
            }
            couplings.append(Coupling(pre: try Conv1d(model: model, node: "\(p)/pre/Conv"), layers: layers,
                                      post: try Conv1d(model: model, node: "\(p)/post/Conv")))
            index += 2  // odd indices are the parameter-free flips
        }
        guard let first = couplings.first else { throw .malformedModel(path: model.path, message: "the flow has no coupling layers") }
        self.couplings = couplings
        channels = 2 * first.pre.inputs
    }

    /// z (`channels × n`) from the prior sample, reversing flip∘coupling for each layer.
    func reverse(_ input: [Float], length n: Int, threads: Int) -> [Float] {
        var x = input
        let half = channels / 2
        for coupling in couplings.reversed() {
            flipChannels(&x, n: n)
            let x0 = Array(x[..<(half * n)])
            let h = waveNet(coupling, coupling.pre(x0, length: n, threads: threads), n: n, threads: threads)
            let shift = coupling.post(h, length: n, threads: threads)
            for i in 0..<(half * n) { x[half * n + i] -= shift[i] }
        }
        return x
    }

    private func flipChannels(_ x: inout [Float], n: Int) {
        for c in 0..<(channels / 2) {
            for t in 0..<n { x.swapAt(c * n + t, (channels - 1 - c) * n + t) }
        }
    }

    /// The gated WaveNet stack: tanh·sigmoid activations, residual and skip paths.
    private func waveNet(_ coupling: Coupling, _ input: [Float], n: Int, threads: Int) -> [Float] {
        var x = input
        let hidden = input.count / n
        var output = [Float](repeating: 0, count: hidden * n)
        for (i, layer) in coupling.layers.enumerated() {
            let inner = layer.input(x, length: n, threads: threads)
            var acts = [Float](repeating: 0, count: hidden * n)
            inner.withUnsafeBufferPointer { ip in
                acts.withUnsafeMutableBufferPointer { FastMath.gatedTanh(ip.baseAddress!, ip.baseAddress! + hidden * n, into: $0.baseAddress!, count: hidden * n) }
            }
            let residualSkip = layer.residualSkip(acts, length: n, threads: threads)
            if i < coupling.layers.count - 1 {
                for j in 0..<(hidden * n) {
                    x[j] += residualSkip[j]
                    output[j] += residualSkip[hidden * n + j]
                }
            } else {
                for j in 0..<(hidden * n) { output[j] += residualSkip[j] }
            }
        }
        return output
    }
}

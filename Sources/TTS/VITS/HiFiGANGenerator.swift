import Engine
import Foundation

/// HiFi-GAN's generator (VITS's decoder): a convolution in, then per stage a leaky ReLU, a
/// transposed convolution that upsamples, and the mean of multi-receptive-field residual blocks;
/// a final leaky ReLU, convolution and tanh. Kernel sizes, dilations and strides come from the
/// graph, so any Piper voice quality (x_low to high) loads.
struct HiFiGANGenerator: @unchecked Sendable {
    /// A residual block: one or two convolutions per step, each after a leaky ReLU (VITS's
    /// ResBlock2 has one per dilation, ResBlock1 a dilated one followed by a plain one).
    struct ResidualBlock { let steps: [[Conv1d]] }
    struct Stage {
        let upsample: ConvTranspose1d
        let blocks: [ResidualBlock]
        /// The blocks tile by tile, where every convolution has a direct kernel (the narrow stages).
        let tiled: TiledResidualStage?
    }

    let pre: Conv1d
    let stages: [Stage]
    let post: Conv1d
    let finalSlope: Float
    let slope: Float

    init(model: ONNXModel) throws(EngineError) {
        pre = try Conv1d(model: model, node: "/dec/conv_pre/Conv")
        post = try Conv1d(model: model, node: "/dec/conv_post/Conv")
        let slope = model.nodesByName["/dec/LeakyRelu"]?.float("alpha") ?? 0.1
        var stages: [Stage] = []
        var blockIndex = 0
        while model.nodesByName["/dec/ups.\(stages.count)/ConvTranspose"] != nil {
            let upsample = try ConvTranspose1d(model: model, node: "/dec/ups.\(stages.count)/ConvTranspose")
            var blocks: [ResidualBlock] = []
            while true {
                let b = "/dec/resblocks.\(blockIndex)"
                var steps: [[Conv1d]] = []
                if model.nodesByName["\(b)/convs.0/Conv"] != nil {
                    while model.nodesByName["\(b)/convs.\(steps.count)/Conv"] != nil {
                        steps.append([try Conv1d(model: model, node: "\(b)/convs.\(steps.count)/Conv")])
                    }
                } else if model.nodesByName["\(b)/convs1.0/Conv"] != nil {
                    while model.nodesByName["\(b)/convs1.\(steps.count)/Conv"] != nil {
                        let i = steps.count
                        steps.append([try Conv1d(model: model, node: "\(b)/convs1.\(i)/Conv"), try Conv1d(model: model, node: "\(b)/convs2.\(i)/Conv")])
                    }
                }
                guard let first = steps.first?.first, first.inputs == upsample.outputs else { break }
                blocks.append(ResidualBlock(steps: steps))
                blockIndex += 1
            }
            guard !blocks.isEmpty else { throw .malformedModel(path: model.path, message: "decoder stage \(stages.count) has no residual blocks") }
            stages.append(Stage(upsample: upsample, blocks: blocks, tiled: TiledResidualStage(blocks: blocks, slope: slope)))
        }
        guard !stages.isEmpty else { throw .malformedModel(path: model.path, message: "the decoder has no upsampling stages") }
        self.stages = stages
        self.slope = slope
        finalSlope = model.nodesByName["/dec/LeakyRelu_\(stages.count)"]?.float("alpha") ?? 0.01
    }

    /// Samples per latent frame (the product of the upsampling strides).
    var hopLength: Int { stages.reduce(1) { $0 * $1.upsample.stride } }

    func callAsFunction(_ z: [Float], length frames: Int, threads: Int, cancellation: CancellationFlag? = nil) throws(EngineError) -> [Float] {
        var x = pre(z, length: frames, threads: threads)
        var n = frames
        for stage in stages {
            if cancellation?.isCancelled == true { throw .cancelled }
            EngineScheduler.checkpoint()
            Self.leakyReLU(&x, slope: slope)
            x = stage.upsample(x, length: n, threads: threads)
            n = stage.upsample.outputLength(n)
            if let tiled = stage.tiled {
                x = try tiled(x, length: n, threads: threads, cancellation: cancellation)
            } else {
                x = try residualMean(stage, x, length: n, threads: threads, cancellation: cancellation)
            }
        }
        Self.leakyReLU(&x, slope: finalSlope)
        var audio = post(x, length: n, threads: threads)
        for i in 0..<audio.count { audio[i] = tanh(audio[i]) }
        return audio
    }

    /// The mean of a stage's residual blocks over the whole signal, one convolution at a time,
    /// each convolution and elementwise pass split over the threads. (Running whole blocks on
    /// separate threads instead measured 8% slower: two single-threaded products compete for
    /// the memory bandwidth.) `TiledResidualStage` computes the same where it applies.
    func residualMean(_ stage: Stage, _ x: [Float], length n: Int, threads: Int,
                      cancellation: CancellationFlag? = nil) throws(EngineError) -> [Float] {
        let count = x.count
        var sum = [Float](repeating: 0, count: count)
        var y = [Float](repeating: 0, count: count)
        var t = [Float](repeating: 0, count: count)
        for (b, block) in stage.blocks.enumerated() {
            if cancellation?.isCancelled == true { throw .cancelled }
            EngineScheduler.checkpoint()
            y = x
            for step in block.steps {
                // y += conv(leaky(y)), the last convolution of the step adding in place.
                y.withUnsafeBufferPointer { yp in
                    t.withUnsafeMutableBufferPointer { FastMath.leakyReLU(yp.baseAddress!, into: $0.baseAddress!, count: count, slope: slope, threads: threads) }
                }
                for conv in step.dropLast() {
                    t = conv(t, length: n, threads: threads)
                    t.withUnsafeMutableBufferPointer { FastMath.leakyReLU(UnsafePointer($0.baseAddress!), into: $0.baseAddress!, count: count, slope: slope, threads: threads) }
                }
                step.last!.accumulate(t, length: n, into: &y, threads: threads)
            }
            let scale: Float = b == stage.blocks.count - 1 ? 1 / Float(stage.blocks.count) : 1
            Self.add(y, into: &sum, scale: scale, threads: threads)
        }
        return sum
    }

    static func add(_ x: [Float], into y: inout [Float], scale: Float = 1, threads: Int) {
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                FastMath.addScaled(xp.baseAddress!, into: yp.baseAddress!, count: min(xp.count, yp.count), scale: scale, threads: threads)
            }
        }
    }

    static func leakyReLU(_ x: inout [Float], slope: Float) {
        x.withUnsafeMutableBufferPointer { FastMath.leakyReLU($0.baseAddress!, count: $0.count, slope: slope) }
    }
}

import Engine

/// One HiFi-GAN stage's residual blocks (the mean of their outputs), computed tile by tile of
/// time instead of convolution by convolution over the whole signal.
///
/// At 32 and 64 channels a clause's signal is several megabytes per buffer, and the untiled
/// blocks pass over it about seven times per convolution (activation, padding, copy, the
/// product, the residual add): the decoder's last stages were waiting on memory as much as
/// multiplying. Here each thread takes a run of tiles and carries every block through a tile in
/// buffers that stay in its cache, reading the stage's input and writing its output once.
///
/// A tile extends its input by the blocks' receptive halo, and each convolution reads a
/// zero-padded copy of its input that is zero outside the signal, as the whole-signal
/// convolution's padding is; the products are the same kernel's in the same order, so the
/// result equals the untiled computation exactly.
struct TiledResidualStage: @unchecked Sendable {
    /// The blocks, each a list of steps: y += last(leaky(… leaky(first(leaky(y))))), as in
    /// `HiFiGANGenerator.ResidualBlock`. Every convolution has a direct kernel.
    let blocks: [[[Conv1d]]]
    /// Each block's halo: its convolutions' paddings added up.
    let halos: [Int]
    let channels: Int
    let slope: Float
    /// Output columns per tile: buffers of about 128 KB per channel set, which keeps a thread's
    /// three buffers in its L2 cache.
    let tileWidth: Int

    /// nil unless every convolution is a "same" one with a direct kernel, all of one width.
    init?(blocks: [HiFiGANGenerator.ResidualBlock], slope: Float) {
        let convolutions = blocks.flatMap { $0.steps.joined() }
        guard let channels = convolutions.first?.inputs,
              convolutions.allSatisfy({ $0.direct != nil && $0.inputs == channels && $0.outputs == channels }) else { return nil }
        self.blocks = blocks.map(\.steps)
        halos = blocks.map { $0.steps.joined().reduce(0) { $0 + $1.padding } }
        self.channels = channels
        self.slope = slope
        tileWidth = max(256, (32_768 / channels) / 32 * 32)
    }

    /// `x` is `channels × n`; returns the mean of the blocks' outputs, `channels × n`. A
    /// cancellation is seen between tiles (a few hundred microseconds apart), and more urgent
    /// work may run between groups of tiles (`EngineScheduler.checkpoint`, every few ms).
    func callAsFunction(_ x: [Float], length n: Int, threads: Int, cancellation: CancellationFlag? = nil) throws(EngineError) -> [Float] {
        let tiles = (n + tileWidth - 1) / tileWidth
        let group = 16 * max(1, threads)
        let result = [Float](unsafeUninitializedCapacity: channels * n) { out, count in
            count = channels * n
            x.withUnsafeBufferPointer { xp in
                let input = xp.baseAddress!, output = out.baseAddress!
                for first in stride(from: 0, to: tiles, by: group) {
                    if first > 0 { EngineScheduler.checkpoint() }
                    let groupTiles = min(group, tiles - first)
                    Parallel.chunks(groupTiles, threads: threads) { range in
                        let scratch = Scratch(self)
                        for tile in range {
                            if cancellation?.isCancelled == true { return }
                            let start = (first + tile) * tileWidth
                            run(input, length: n, columns: start..<min(n, start + tileWidth), scratch: scratch, into: output)
                        }
                    }
                }
            }
        }
        if cancellation?.isCancelled == true { throw .cancelled }
        return result
    }

    /// A thread's buffers: the block's running signal, a convolution's padded input, and an
    /// intermediate result (blocks whose steps have two convolutions).
    final class Scratch {
        let stride: Int
        let signal, padded, intermediate: UnsafeMutablePointer<Float>

        init(_ stage: TiledResidualStage) {
            let reach = stage.blocks.joined().joined().map { 2 * $0.padding }.max() ?? 0, halo = stage.halos.max() ?? 0
            stride = roundedUp(stage.tileWidth + 2 * halo) + halo + reach + 64
            signal = .allocate(capacity: stage.channels * stride)
            padded = .allocate(capacity: stage.channels * stride)
            intermediate = .allocate(capacity: stage.channels * stride)
        }

        deinit {
            signal.deallocate()
            padded.deallocate()
            intermediate.deallocate()
        }
    }

    /// A buffer holding signal positions from `origin` on, in rows of `stride`.
    struct Region {
        let base: UnsafeMutablePointer<Float>
        let origin: Int
        let stride: Int
        /// Where the values are meaningful.
        var valid: Range<Int>
    }

    /// The stage's output over `columns` (positions of the signal).
    private func run(_ x: UnsafePointer<Float>, length n: Int, columns: Range<Int>, scratch: Scratch, into output: UnsafeMutablePointer<Float>) {
        let stride = scratch.stride
        for (b, steps) in blocks.enumerated() {
            let halo = halos[b]
            // The block's signal starts as the stage input over the tile and its halo.
            var signal = Region(base: scratch.signal, origin: columns.lowerBound - halo, stride: stride,
                                valid: (columns.lowerBound - halo)..<(columns.upperBound + halo))
            let inside = signal.valid.clamped(to: 0..<n)
            for c in 0..<channels {
                (signal.base + c * stride + (inside.lowerBound - signal.origin)).update(from: x + c * n + inside.lowerBound, count: inside.count)
            }
            for step in steps {
                var source = signal
                for layer in step.dropLast() {
                    source = convolve(layer, source, length: n, scratch: scratch,
                                      into: Region(base: scratch.intermediate, origin: source.valid.lowerBound + layer.padding, stride: stride,
                                                   valid: (source.valid.lowerBound + layer.padding)..<(source.valid.upperBound - layer.padding)),
                                      accumulate: false)
                }
                let last = step.last!
                signal.valid = (source.valid.lowerBound + last.padding)..<(source.valid.upperBound - last.padding)
                _ = convolve(last, source, length: n, scratch: scratch, into: signal, accumulate: true)
            }
            // The mean of the blocks: added up, the last addition scaled (as the untiled path).
            let scale: Float = b == blocks.count - 1 ? 1 / Float(blocks.count) : 1
            for c in 0..<channels {
                let from = signal.base + c * stride + (columns.lowerBound - signal.origin), to = output + c * n + columns.lowerBound
                if b == 0 {
                    to.update(from: from, count: columns.count)
                } else {
                    FastMath.addScaled(from, into: to, count: columns.count, scale: scale, threads: 1)
                }
            }
        }
    }

    /// target[target.valid] (+)= layer(leaky(source)) with bias, the input zero outside both
    /// the signal and `source.valid`. The product runs over whole vectors, so it also writes up
    /// to 31 columns past `target.valid`, which the buffers leave room for.
    @discardableResult
    private func convolve(_ layer: Conv1d, _ source: Region, length n: Int, scratch: Scratch, into target: Region,
                          accumulate: Bool) -> Region {
        let outputs = roundedUp(target.valid.count)
        let first = target.valid.lowerBound - layer.padding  // position of padded column 0
        let width = outputs + 2 * layer.padding
        let usable = source.valid.clamped(to: 0..<n).clamped(to: first..<(first + width))
        let stride = scratch.stride
        for c in 0..<channels {
            let row = scratch.padded + c * stride
            guard !usable.isEmpty else {
                row.update(repeating: 0, count: width + 32)
                continue
            }
            let lead = usable.lowerBound - first
            row.update(repeating: 0, count: lead)
            let from = source.base + c * source.stride + (usable.lowerBound - source.origin)
            FastMath.leakyReLU(from, into: row + lead, count: usable.count, slope: slope, threads: 1)
            let end = lead + usable.count
            (row + end).update(repeating: 0, count: width + 32 - end)
        }
        layer.direct!.run(scratch.padded, paddedLength: stride, length: target.stride, bias: layer.bias, range: 0..<outputs,
                         into: target.base + (target.valid.lowerBound - target.origin), accumulate: accumulate)
        return target
    }
}

/// `count` rounded up to whole 32-column blocks of the direct kernel.
private func roundedUp(_ count: Int) -> Int { (count + 31) / 32 * 32 }

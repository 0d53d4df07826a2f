/// A direct 1-D convolution for narrow layers (HiFi-GAN's last stages: 32 or 64 channels at
/// 5–22 kHz), where an sgemm over unfolded input spends more time packing than multiplying.
/// Eight output channels × a block of time steps are accumulated in registers while the input
/// is read once per (channel, tap): 32 steps with AVX-512 (16 zmm accumulators), 8 with AVX2
/// (8 ymm; 32 steps there needed 32 registers of 16 and spilled, 1.6× slower than onnxruntime on
/// a Zen 3). The input is copied once into a zero-padded buffer so the inner loop has no edge
/// cases.
struct DirectConvolution: @unchecked Sendable {
    /// Weights regrouped as [outputs / 8][inputs][kernel][8].
    let packed: [Float]
    let inputs: Int
    let outputs: Int
    let kernel: Int
    let dilation: Int
    let padding: Int

    init?(_ conv: Conv1d) {
        guard conv.groups == 1, conv.stride == 1, conv.outputs % 8 == 0, conv.inputs <= 64,
              conv.outputLength(1000) == 1000 else { return nil }
        inputs = conv.inputs
        outputs = conv.outputs
        kernel = conv.kernel
        dilation = conv.dilation
        padding = conv.padding
        var packed = [Float](repeating: 0, count: conv.weight.count)
        for o in 0..<outputs {
            for c in 0..<inputs {
                for k in 0..<kernel {
                    packed[(((o / 8) * inputs + c) * kernel + k) * 8 + o % 8] = conv.weight[(o * inputs + c) * kernel + k]
                }
            }
        }
        self.packed = packed
    }

    /// y[o][t] (+)= bias[o] + Σ W ⊛ x over `range` of t; `x` is the zero-padded input with row
    /// stride `paddedLength` (sample t of the signal at column t + padding).
    func run(_ x: UnsafePointer<Float>, paddedLength: Int, length n: Int, bias: [Float]?, range: Range<Int>,
             into y: UnsafeMutablePointer<Float>, accumulate: Bool) {
        packed.withUnsafeBufferPointer { wp in
            let w = wp.baseAddress!
            var t = range.lowerBound
            while t < range.upperBound {
                let width = min(Self.blockWidth, range.upperBound - t)
                if width == Self.blockWidth {
                    #if RTD_AVX512
                    block32(x, paddedLength: paddedLength, n: n, bias: bias, t: t, w: w, into: y, accumulate: accumulate)
                    #else
                    block8(x, paddedLength: paddedLength, n: n, bias: bias, t: t, w: w, into: y, accumulate: accumulate)
                    #endif
                } else {
                    tail(x, paddedLength: paddedLength, n: n, bias: bias, t: t, width: width, into: y, accumulate: accumulate)
                }
                t += width
            }
        }
    }

    #if RTD_AVX512
    static let blockWidth = 32
    #else
    static let blockWidth = 8
    #endif

    /// Eight outputs × eight time steps in eight 256-bit accumulators.
    @inline(__always)
    private func block8(_ x: UnsafePointer<Float>, paddedLength: Int, n: Int, bias: [Float]?, t: Int, w: UnsafePointer<Float>,
                        into y: UnsafeMutablePointer<Float>, accumulate: Bool) {
        for ob in 0..<(outputs / 8) {
            var a = (SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>(), SIMD8<Float>())
            var wk = w + ob * inputs * kernel * 8
            for c in 0..<inputs {
                let row = x + c * paddedLength + t
                for k in 0..<kernel {
                    let x0 = UnsafeRawPointer(row + k * dilation).loadUnaligned(as: SIMD8<Float>.self)
                    a.0.addProduct(x0, SIMD8(repeating: wk[0]))
                    a.1.addProduct(x0, SIMD8(repeating: wk[1]))
                    a.2.addProduct(x0, SIMD8(repeating: wk[2]))
                    a.3.addProduct(x0, SIMD8(repeating: wk[3]))
                    a.4.addProduct(x0, SIMD8(repeating: wk[4]))
                    a.5.addProduct(x0, SIMD8(repeating: wk[5]))
                    a.6.addProduct(x0, SIMD8(repeating: wk[6]))
                    a.7.addProduct(x0, SIMD8(repeating: wk[7]))
                    wk += 8
                }
            }
            let o = ob * 8
            for (i, v) in [a.0, a.1, a.2, a.3, a.4, a.5, a.6, a.7].enumerated() {
                let p = y + (o + i) * n + t
                var r = v + SIMD8<Float>(repeating: bias?[o + i] ?? 0)
                if accumulate { r += UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self) }
                UnsafeMutableRawPointer(p).storeBytes(of: r, as: SIMD8<Float>.self)
            }
        }
    }

    @inline(__always)
    private func block32(_ x: UnsafePointer<Float>, paddedLength: Int, n: Int, bias: [Float]?, t: Int, w: UnsafePointer<Float>,
                         into y: UnsafeMutablePointer<Float>, accumulate: Bool) {
        for ob in 0..<(outputs / 8) {
            var a = (SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(),
                     SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>(), SIMD16<Float>())
            var b = a
            var wk = w + ob * inputs * kernel * 8
            for c in 0..<inputs {
                let row = x + c * paddedLength + t
                for k in 0..<kernel {
                    let p = row + k * dilation
                    let x0 = UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
                    let x1 = UnsafeRawPointer(p + 16).loadUnaligned(as: SIMD16<Float>.self)
                    var v = SIMD16<Float>(repeating: wk[0]); a.0.addProduct(x0, v); b.0.addProduct(x1, v)
                    v = SIMD16<Float>(repeating: wk[1]); a.1.addProduct(x0, v); b.1.addProduct(x1, v)
                    v = SIMD16<Float>(repeating: wk[2]); a.2.addProduct(x0, v); b.2.addProduct(x1, v)
                    v = SIMD16<Float>(repeating: wk[3]); a.3.addProduct(x0, v); b.3.addProduct(x1, v)
                    v = SIMD16<Float>(repeating: wk[4]); a.4.addProduct(x0, v); b.4.addProduct(x1, v)
                    v = SIMD16<Float>(repeating: wk[5]); a.5.addProduct(x0, v); b.5.addProduct(x1, v)
                    v = SIMD16<Float>(repeating: wk[6]); a.6.addProduct(x0, v); b.6.addProduct(x1, v)
                    v = SIMD16<Float>(repeating: wk[7]); a.7.addProduct(x0, v); b.7.addProduct(x1, v)
                    wk += 8
                }
            }
            let o = ob * 8
            store(a.0, b.0, channel: o, t: t, n: n, bias: bias, into: y, accumulate: accumulate)
            store(a.1, b.1, channel: o + 1, t: t, n: n, bias: bias, into: y, accumulate: accumulate)
            store(a.2, b.2, channel: o + 2, t: t, n: n, bias: bias, into: y, accumulate: accumulate)
            store(a.3, b.3, channel: o + 3, t: t, n: n, bias: bias, into: y, accumulate: accumulate)
            store(a.4, b.4, channel: o + 4, t: t, n: n, bias: bias, into: y, accumulate: accumulate)
            store(a.5, b.5, channel: o + 5, t: t, n: n, bias: bias, into: y, accumulate: accumulate)
            store(a.6, b.6, channel: o + 6, t: t, n: n, bias: bias, into: y, accumulate: accumulate)
            store(a.7, b.7, channel: o + 7, t: t, n: n, bias: bias, into: y, accumulate: accumulate)
        }
    }

    @inline(__always)
    private func store(_ v0: SIMD16<Float>, _ v1: SIMD16<Float>, channel o: Int, t: Int, n: Int, bias: [Float]?,
                       into y: UnsafeMutablePointer<Float>, accumulate: Bool) {
        let p = y + o * n + t
        let b = SIMD16<Float>(repeating: bias?[o] ?? 0)
        var r0 = v0 + b, r1 = v1 + b
        if accumulate {
            r0 += UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
            r1 += UnsafeRawPointer(p + 16).loadUnaligned(as: SIMD16<Float>.self)
        }
        UnsafeMutableRawPointer(p).storeBytes(of: r0, as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(p + 16).storeBytes(of: r1, as: SIMD16<Float>.self)
    }

    private func tail(_ x: UnsafePointer<Float>, paddedLength: Int, n: Int, bias: [Float]?, t: Int, width: Int,
                      into y: UnsafeMutablePointer<Float>, accumulate: Bool) {
        for o in 0..<outputs {
            for i in t..<(t + width) {
                var sum = bias?[o] ?? 0
                for c in 0..<inputs {
                    for k in 0..<kernel {
                        sum += packed[(((o / 8) * inputs + c) * kernel + k) * 8 + o % 8] * x[c * paddedLength + i + k * dilation]
                    }
                }
                y[o * n + i] = accumulate ? y[o * n + i] + sum : sum
            }
        }
    }
}

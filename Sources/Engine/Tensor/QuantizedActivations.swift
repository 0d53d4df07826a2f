/// Input vectors quantized to 8 bits per 32-element block, as llama.cpp quantizes activations
/// before its quantized matrix products (Q8_0 / Q8_1: d = max|x| / 127, q = round(x / d), with
/// d and s = d·Σq rounded through float16 as llama.cpp stores them). Computing with the same
/// integers gives llama.cpp's numbers, and integer dot products are also the cheaper way
/// through 4-bit weights. The values are kept in element order, 32 bytes per block, as
/// `BlockLanes` multiplies them with the weights' bytes.
public final class QuantizedActivations {
    public let rows: Int
    public let columns: Int
    public let blocks: Int
    let q: UnsafeMutablePointer<Int8>
    /// Per block: scale d, rounded through float16 and stored eight times over. The kernels
    /// multiply a weight block's broadcast d by these as a vector from memory: one instruction
    /// per block and activation row, where a scalar product and its broadcast are two (and the
    /// optimiser turns a product of two broadcasts back into those two).
    let dLanes: UnsafeMutablePointer<Float>
    /// Per block: d·Σq, rounded through float16.
    let s: UnsafeMutablePointer<Float>
    /// `dLanes` again, rows taken in pairs (0 and 1, 2 and 3, …): per pair and block, the first
    /// row's eight lanes, then the second's. The kernels that multiply a weight block with two
    /// rows then scale and add both rows' lanes with one 16-lane instruction each.
    let dPairLanes: UnsafeMutablePointer<Float>

    public init(rows: Int, columns: Int) {
        self.rows = rows
        self.columns = columns
        blocks = columns / 32
        q = .allocate(capacity: max(1, rows * columns))
        s = .allocate(capacity: max(1, rows * blocks))
        dLanes = .allocate(capacity: max(1, rows * blocks * 8))
        let pairs = (rows + 1) / 2
        dPairLanes = .allocate(capacity: max(1, pairs * blocks * 16))
    }

    deinit {
        q.deallocate()
        s.deallocate()
        dLanes.deallocate()
        dPairLanes.deallocate()
    }

    /// max |v| over both vectors. The magnitudes' bit patterns order as the floats do, so the
    /// maximum is taken on integers, halving with bit casts (`SIMD.max()` and `pointwiseMax` on
    /// floats are scalar loops here).
    @inline(__always)
    static func largestMagnitude(_ a: SIMD16<Float>, _ b: SIMD16<Float>) -> Float {
        @inline(__always)
        func larger<V: SIMD>(_ x: V, _ y: V) -> V where V.Scalar: Comparable { x.replacing(with: y, where: x .< y) }
        let m16 = larger(unsafeBitCast(a, to: SIMD16<UInt32>.self) & 0x7FFF_FFFF, unsafeBitCast(b, to: SIMD16<UInt32>.self) & 0x7FFF_FFFF)
        let h8 = unsafeBitCast(m16, to: (SIMD8<UInt32>, SIMD8<UInt32>).self)
        let h4 = unsafeBitCast(larger(h8.0, h8.1), to: (SIMD4<UInt32>, SIMD4<UInt32>).self)
        let m4 = larger(h4.0, h4.1)
        return Float(bitPattern: max(max(m4[0], m4[1]), max(m4[2], m4[3])))
    }

    /// Quantizes row `r` from `x` (`columns` floats).
    public func quantize(row r: Int, from x: UnsafePointer<Float>) {
        quantize(row: r, blocks: 0..<blocks, from: x)
    }

    /// Quantizes blocks `range` of row `r` from `x` (the whole row's floats), so that the
    /// threads that compute parts of a row can quantize those parts.
    public func quantize(row r: Int, blocks range: Range<Int>, from x: UnsafePointer<Float>) {
        let out = q + r * columns
        for b in range {
            let v0 = UnsafeRawPointer(x + 32 * b).loadUnaligned(as: SIMD16<Float>.self)
            let v1 = UnsafeRawPointer(x + 32 * b + 16).loadUnaligned(as: SIMD16<Float>.self)
            let amax = Self.largestMagnitude(v0, v1)
            let scale = amax / 127
            let inverse: Float = amax != 0 ? 127 / amax : 0
            // Round to nearest, ties to even (as llama.cpp's SIMD quantizer), through the
            // float unit: adding 1.5·2^23 leaves the rounded integer in the mantissa.
            let r0 = unsafeBitCast(v0 * inverse + 12_582_912, to: SIMD16<Int32>.self) &- 0x4B40_0000
            let r1 = unsafeBitCast(v1 * inverse + 12_582_912, to: SIMD16<Int32>.self) &- 0x4B40_0000
            let sum = (r0 &+ r1).wrappedSum()
            UnsafeMutableRawPointer(out + 32 * b).storeBytes(of: VectorConversions.narrow(r0, r1), as: SIMD32<Int8>.self)
            let lanes = SIMD8(repeating: Float(Float16(scale))), blockSum = Float(Float16(scale * Float(sum)))
            UnsafeMutableRawPointer(dLanes + (r * blocks + b) * 8).storeBytes(of: lanes, as: SIMD8<Float>.self)
            s[r * blocks + b] = blockSum
            let paired = (r / 2 * blocks + b) * 2 + r % 2
            UnsafeMutableRawPointer(dPairLanes + paired * 8).storeBytes(of: lanes, as: SIMD8<Float>.self)
        }
    }
}

extension QuantizedKernels {
    /// Dot product of one stored row with row `r` of quantized activations, with llama.cpp's
    /// integer arithmetic per block. Returns nil for weight types without an integer kernel.
    public static func dot(type: GGMLType, _ row: UnsafeRawPointer, _ a: QuantizedActivations, row r: Int) -> Float? {
        let blocks = a.blocks
        let xq = UnsafePointer(a.q + r * a.columns), xd = UnsafePointer(a.dLanes + r * blocks * 8), xs = UnsafePointer(a.s + r * blocks)
        switch type {
        case .q4_1: return dotQ4_1(row, xq, xd, xs, blocks)
        case .q4_0: return dotQ4_0(row, xq, xd, blocks)
        case .q8_0: return dotQ8_0(row, xq, xd, blocks)
        default: return nil
        }
    }

    // Each kernel walks the blocks two at a time: `BlockLanes` gives a pair's sixteen integer
    // lanes in one step, and each block's eight are then scaled and added in block order, as
    // llama.cpp does. An odd last block is padded with zeros to a pair.

    // Vectors are built and split with bit casts, and byte-wise work is done on 64-bit lanes:
    // the standard library's generic SIMD64 initialisers, halves and scalar broadcasts are
    // element-by-element loops that the optimiser does not turn back into vector code.

    /// A pair of 4-bit blocks' 16 bytes each as 64 values in element order: byte j of a block
    /// holds element j in its low nibble and element j + 16 in its high one.
    @inline(__always)
    static func nibblePair(_ first: UnsafeRawPointer, _ second: UnsafeRawPointer) -> SIMD64<UInt8> {
        let a = first.loadUnaligned(as: SIMD2<UInt64>.self), b = second.loadUnaligned(as: SIMD2<UInt64>.self)
        let v = unsafeBitCast((a, a, b, b), to: SIMD8<UInt64>.self) &>> SIMD8(0, 0, 4, 4, 0, 0, 4, 4)
        return unsafeBitCast(v & 0x0F0F_0F0F_0F0F_0F0F, to: SIMD64<UInt8>.self)
    }

    @inline(__always)
    static func nibbleBlock(_ first: UnsafeRawPointer) -> SIMD64<UInt8> {
        let a = first.loadUnaligned(as: SIMD2<UInt64>.self)
        let v = unsafeBitCast((a, a, SIMD2<UInt64>(), SIMD2<UInt64>()), to: SIMD8<UInt64>.self) &>> SIMD8(0, 0, 4, 4, 0, 0, 0, 0)
        return unsafeBitCast(v & 0x0F0F_0F0F_0F0F_0F0F, to: SIMD64<UInt8>.self)
    }

    /// 4-bit values less 8, as signed bytes: each byte is raised by 0x80 so that subtracting 8
    /// borrows from no neighbour, then lowered again.
    @inline(__always)
    static func centred(_ nibbles: SIMD64<UInt8>) -> SIMD64<Int8> {
        let v = unsafeBitCast(nibbles, to: SIMD8<UInt64>.self)
        return unsafeBitCast(((v | 0x8080_8080_8080_8080) &- 0x0808_0808_0808_0808) ^ 0x8080_8080_8080_8080, to: SIMD64<Int8>.self)
    }

    /// A pair of activation blocks (64 bytes in element order).
    @inline(__always)
    static func bytePair(_ x: UnsafeRawPointer) -> SIMD64<Int8> { x.loadUnaligned(as: SIMD64<Int8>.self) }

    /// A lone block's 32 bytes, then zeros.
    @inline(__always)
    static func byteBlock(_ x: UnsafeRawPointer) -> SIMD64<Int8> {
        unsafeBitCast((x.loadUnaligned(as: SIMD32<Int8>.self), SIMD32<Int8>()), to: SIMD64<Int8>.self)
    }

    /// The lanes of a block pair as floats, one vector per block.
    @inline(__always)
    static func toFloat(_ v: SIMD16<Int32>) -> (SIMD8<Float>, SIMD8<Float>) {
        unsafeBitCast(VectorConversions.float(v), to: (SIMD8<Float>, SIMD8<Float>).self)
    }

    /// llama.cpp's `hsum_float_8`.
    @inline(__always)
    static func reduce(_ v: SIMD8<Float>) -> Float {
        let h = unsafeBitCast(v, to: (SIMD4<Float>, SIMD4<Float>).self)
        let r = h.0 + h.1
        return (r[0] + r[2]) + (r[1] + r[3])
    }

    /// d_w·d_x in eight lanes, d_x from the activations' `dLanes`.
    @inline(__always)
    static func scaleProduct(_ weightScale: Float, _ dLanes: UnsafePointer<Float>) -> SIMD8<Float> {
        SIMD8(repeating: weightScale) * UnsafeRawPointer(dLanes).loadUnaligned(as: SIMD8<Float>.self)
    }

    /// One Q4_1 block pair against one activation row: the lanes scaled by d_w·d_x into `acc`
    /// with one fused multiply-add per block, and m_w·s_x into `minimums`. `xd` is the first
    /// block's `dLanes`. `pair` says whether the second block exists.
    @inline(__always)
    static func addQ4_1(_ w: SIMD64<UInt8>, _ w0: UnsafeRawPointer, _ x: SIMD64<Int8>, _ xd: UnsafePointer<Float>, _ xs: UnsafePointer<Float>,
                        pair: Bool, _ acc: inout SIMD8<Float>, _ minimums: inout Float) {
        let (p0, p1) = toFloat(BlockLanes.unsigned(w, x))
        minimums.addProduct(half(w0, 2), xs[0])
        acc.addProduct(scaleProduct(half(w0), xd), p0)
        guard pair else { return }
        minimums.addProduct(half(w0, 22), xs[1])
        acc.addProduct(scaleProduct(half(w0, 20), xd + 8), p1)
    }

    /// One signed block pair (Q8_0, Q4_0) against one activation row; `scale0`/`scale1` are
    /// the weight blocks' d, `xd` the first block's `dLanes`.
    @inline(__always)
    static func addSigned(_ w: SIMD64<Int8>, _ scale0: Float, _ scale1: Float, _ x: SIMD64<Int8>, _ xd: UnsafePointer<Float>,
                          pair: Bool, _ acc: inout SIMD8<Float>) {
        let (p0, p1) = toFloat(BlockLanes.signed(w, x))
        acc.addProduct(scaleProduct(scale0, xd), p0)
        guard pair else { return }
        acc.addProduct(scaleProduct(scale1, xd + 8), p1)
    }

    /// Σ_b d_w·d_x·Σ(q_w·q_x) + m_w·s_x over Q4_1 weight blocks (d, m, 16 bytes of nibbles),
    /// in llama.cpp's order (`ggml_vec_dot_q4_1_q8_1` on x86): per block, its eight integer
    /// lanes are scaled and added into eight float lanes with one fused multiply-add, and m·s
    /// into a scalar with another; the lanes are summed as its `hsum_float_8` does, then the
    /// scalar added. Summing in the same order gives its numbers to the bit, which is what keeps
    /// greedy decoding on llama.cpp's tokens at near-ties.
    static func dotQ4_1(_ row: UnsafeRawPointer, _ xq: UnsafePointer<Int8>, _ xd: UnsafePointer<Float>,
                        _ xs: UnsafePointer<Float>, _ blocks: Int) -> Float {
        var acc = SIMD8<Float>()
        var minimums: Float = 0
        var b = 0
        while b + 1 < blocks {
            let w0 = row + b * 20
            addQ4_1(nibblePair(w0 + 4, w0 + 24), w0, bytePair(xq + 32 * b), xd + 8 * b, xs + b, pair: true, &acc, &minimums)
            b += 2
        }
        if b < blocks {
            let w0 = row + b * 20
            addQ4_1(nibbleBlock(w0 + 4), w0, byteBlock(xq + 32 * b), xd + 8 * b, xs + b, pair: false, &acc, &minimums)
        }
        return reduce(acc) + minimums
    }

    /// Σ_b d_w·d_x·Σ((q_w − 8)·q_x) over Q4_0 weight blocks (d, 16 bytes of nibbles), in
    /// llama.cpp's order (`ggml_vec_dot_q4_0_q8_0`).
    static func dotQ4_0(_ row: UnsafeRawPointer, _ xq: UnsafePointer<Int8>, _ xd: UnsafePointer<Float>, _ blocks: Int) -> Float {
        var acc = SIMD8<Float>()
        var b = 0
        while b < blocks {
            let w0 = row + b * 18, pair = b + 1 < blocks
            let w = centred(pair ? nibblePair(w0 + 2, w0 + 20) : nibbleBlock(w0 + 2))
            let x = pair ? bytePair(xq + 32 * b) : byteBlock(xq + 32 * b)
            addSigned(w, half(w0), pair ? half(w0, 18) : 0, x, xd + 8 * b, pair: pair, &acc)
            b += 2
        }
        return reduce(acc)
    }

    /// Σ_b d_w·d_x·Σ(q_w·q_x) over Q8_0 weight blocks (d, 32 signed bytes), in llama.cpp's order
    /// (`ggml_vec_dot_q8_0_q8_0`: one fused multiply-add of a block's eight lanes, then
    /// `hsum_float_8`).
    static func dotQ8_0(_ row: UnsafeRawPointer, _ xq: UnsafePointer<Int8>, _ xd: UnsafePointer<Float>, _ blocks: Int) -> Float {
        var acc = SIMD8<Float>()
        var b = 0
        while b + 1 < blocks {
            let w0 = row + b * 34
            addSigned(q8_0Pair(w0), half(w0), half(w0, 34), bytePair(xq + 32 * b), xd + 8 * b, pair: true, &acc)
            b += 2
        }
        if b < blocks {
            let w0 = row + b * 34
            addSigned(byteBlock(w0 + 2), half(w0), 0, byteBlock(xq + 32 * b), xd + 8 * b, pair: false, &acc)
        }
        return reduce(acc)
    }

    /// The 64 signed bytes of a Q8_0 block pair (each block: d, then 32 bytes).
    @inline(__always)
    static func q8_0Pair(_ w0: UnsafeRawPointer) -> SIMD64<Int8> {
        unsafeBitCast((w0.loadUnaligned(fromByteOffset: 2, as: SIMD32<Int8>.self),
                       w0.loadUnaligned(fromByteOffset: 36, as: SIMD32<Int8>.self)), to: SIMD64<Int8>.self)
    }
}

import CSoxr

/// Streaming sample-rate conversion through libsoxr (high quality, linear phase).
///
/// Feed audio chunk by chunk with `process`; the output is exactly what one call on the whole
/// signal would give (soxr keeps its filter state between calls), so chunk boundaries leave no
/// seams. `flush` returns the filter's tail at the end of a stream. Not thread-safe: one owner.
public final class Resampler {
    public let inputRate: Int
    public let outputRate: Int
    private let handle: soxr_t?
    private var scratch: [Float] = []

    public init(from inputRate: Int, to outputRate: Int) throws(AudioError) {
        guard inputRate > 0, outputRate > 0, inputRate <= 384_000, outputRate <= 384_000 else {
            throw .unsupportedSampleRate(inputRate <= 0 || inputRate > 384_000 ? inputRate : outputRate,
                                         supported: [1, 384_000])
        }
        self.inputRate = inputRate
        self.outputRate = outputRate
        if inputRate == outputRate {
            handle = nil
            return
        }
        var io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I)
        var quality = soxr_quality_spec(rt_soxr_hq(), 0)
        var error: soxr_error_t?
        let h = soxr_create(Double(inputRate), Double(outputRate), 1, &error, &io, &quality, nil)
        if let error { throw .resampler(String(cString: error)) }
        guard let h else { throw .resampler("soxr_create returned no handle") }
        handle = h
    }

    deinit { if let handle { soxr_delete(handle) } }

    /// Resamples the next chunk of a stream.
    public func process(_ input: [Float]) throws(AudioError) -> [Float] {
        try input.withUnsafeBufferPointer { (buffer) throws(AudioError) in try run(buffer) }
    }

    /// Returns the samples still held in the filter; call once at the end of a stream.
    public func flush() throws(AudioError) -> [Float] {
        try run(nil)
    }

    /// Resamples a whole signal in one go.
    public static func resample(_ samples: [Float], from inputRate: Int, to outputRate: Int) throws(AudioError) -> [Float] {
        if inputRate == outputRate { return samples }
        let r = try Resampler(from: inputRate, to: outputRate)
        return try r.process(samples) + r.flush()
    }

    private func run(_ input: UnsafeBufferPointer<Float>?) throws(AudioError) -> [Float] {
        guard let handle else { return input.map(Array.init) ?? [] }
        var output = [Float]()
        var offset = 0
        let total = input?.count ?? 0
        let ratio = Double(outputRate) / Double(inputRate)
        let chunk = Int((Double(max(total, 1024)) * ratio).rounded(.up)) + 64
        if scratch.count < chunk { scratch = [Float](repeating: 0, count: chunk) }
        while true {
            var consumed = 0
            var produced = 0
            let error: soxr_error_t? = scratch.withUnsafeMutableBufferPointer { out in
                if let input, let base = input.baseAddress {
                    return soxr_process(handle, base + offset, total - offset, &consumed, out.baseAddress, out.count, &produced)
                }
                // A null input pointer tells soxr the stream has ended (flush).
                return soxr_process(handle, nil, 0, nil, out.baseAddress, out.count, &produced)
            }
            if let error { throw .resampler(String(cString: error)) }
            offset += consumed
            output.append(contentsOf: scratch[0..<produced])
            if input != nil {
                if offset >= total && produced == 0 { break }
                if consumed == 0 && produced == 0 { break }
            } else if produced == 0 {
                break
            }
        }
        return output
    }
}

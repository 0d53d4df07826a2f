import Foundation

/// Conversions between the sample formats met at the edges: signed 16-bit little-endian PCM
/// (ALSA, the protocol's base64 audio, WAV), float, and interleaved multi-channel audio.
public enum SampleConversion {
    /// Int16 → Float in [-1, 1). Writes into `output`, which must hold `input.count` samples.
    @inlinable
    public static func int16ToFloat(_ input: UnsafeBufferPointer<Int16>, into output: UnsafeMutableBufferPointer<Float>) {
        precondition(output.count >= input.count)
        for i in 0..<input.count { output[i] = Float(input[i]) * (1.0 / 32768.0) }
    }

    /// Float → Int16 with rounding and clipping (values outside [-1, 1] saturate, NaN becomes 0).
    @inlinable
    public static func floatToInt16(_ input: UnsafeBufferPointer<Float>, into output: UnsafeMutableBufferPointer<Int16>) {
        precondition(output.count >= input.count)
        for i in 0..<input.count { output[i] = clippedInt16(input[i]) }
    }

    @inlinable
    public static func clippedInt16(_ x: Float) -> Int16 { PCM16.sample(x) }

    public static func int16ToFloat(_ input: [Int16]) -> [Float] {
        var out = [Float](repeating: 0, count: input.count)
        input.withUnsafeBufferPointer { i in out.withUnsafeMutableBufferPointer { o in int16ToFloat(i, into: o) } }
        return out
    }

    public static func floatToInt16(_ input: [Float]) -> [Int16] {
        var out = [Int16](repeating: 0, count: input.count)
        input.withUnsafeBufferPointer { i in out.withUnsafeMutableBufferPointer { o in floatToInt16(i, into: o) } }
        return out
    }

    /// Averages interleaved channels into mono.
    public static func downmix(interleaved: [Float], channels: Int) -> [Float] {
        guard channels > 1 else { return interleaved }
        let frames = interleaved.count / channels
        var out = [Float](repeating: 0, count: frames)
        let scale = 1 / Float(channels)
        for f in 0..<frames {
            var sum: Float = 0
            for c in 0..<channels { sum += interleaved[f * channels + c] }
            out[f] = sum * scale
        }
        return out
    }

    /// Little-endian signed 16-bit bytes → float samples. An odd byte count is malformed.
    public static func pcm16LEToFloat(_ bytes: some Collection<UInt8>) throws(AudioError) -> [Float] {
        guard bytes.count % 2 == 0 else {
            throw .malformedPCM("\(bytes.count) bytes is not a whole number of 16-bit samples")
        }
        var out = [Float]()
        out.reserveCapacity(bytes.count / 2)
        var iterator = bytes.makeIterator()
        while let lo = iterator.next(), let hi = iterator.next() {
            out.append(Float(Int16(bitPattern: UInt16(lo) | UInt16(hi) << 8)) * (1.0 / 32768.0))
        }
        return out
    }

    /// Float samples → little-endian signed 16-bit bytes.
    public static func floatToPCM16LE(_ samples: [Float]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: samples.count * 2)
        for (i, s) in samples.enumerated() {
            let v = UInt16(bitPattern: clippedInt16(s))
            out[2 * i] = UInt8(v & 0xff)
            out[2 * i + 1] = UInt8(v >> 8)
        }
        return out
    }

    /// The protocol's `audio` field: base64 of little-endian Int16 PCM.
    public static func base64PCM16ToFloat(_ text: String) throws(AudioError) -> [Float] {
        guard let data = Data(base64Encoded: text) else { throw .malformedPCM("audio is not valid base64") }
        return try pcm16LEToFloat(data)
    }

    public static func floatToBase64PCM16(_ samples: [Float]) -> String {
        Data(floatToPCM16LE(samples)).base64EncodedString()
    }
}

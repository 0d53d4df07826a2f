/// The one rule for turning a float sample into signed 16-bit PCM, shared by the audio edges
/// (`SampleConversion` in Streaming) and the WAV files the remote engine sends.
public enum PCM16 {
    /// Rounded and clipped: values outside [-1, 1] saturate, NaN becomes 0.
    @inlinable
    public static func sample(_ x: Float) -> Int16 {
        guard x == x else { return 0 }  // NaN
        let scaled = (x * 32768.0).rounded()
        return Int16(max(-32768.0, min(32767.0, scaled)))
    }
}

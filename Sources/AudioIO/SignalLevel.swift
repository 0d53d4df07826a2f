import Foundation

/// The level of a stretch of audio, in dB full scale: the one measure the VAD, the acoustic
/// evidence, the session's end-of-turn check and the local loop's echo gate compare.
public enum SignalLevel {
    /// Mean power of `samples` in dBFS; −120 for digital silence or no samples.
    public static func decibels(_ samples: some Collection<Float>) -> Double {
        guard !samples.isEmpty else { return -120 }
        var energy: Double = 0
        for s in samples { energy += Double(s) * Double(s) }
        return 10 * log10(max(energy / Double(samples.count), 1e-12))
    }
}

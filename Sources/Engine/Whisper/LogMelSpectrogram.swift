import Foundation

/// Whisper's log-mel front end, computed as faster-whisper's `FeatureExtractor` does: a periodic
/// Hann window of 400 samples every 160 (16 kHz), centred frames with reflected edges, the power
/// spectrum (the last frame dropped), Slaney-normalised mel filters, log10 clamped at 1e-10 and to
/// 8 below the maximum, then (x + 4) / 4.
///
/// n_fft 400 is not a power of two; the DFT is one sgemm of the frames against a windowed
/// cos/sin basis, which for a few hundred frames is faster than any FFT bookkeeping.
public struct LogMelSpectrogram: Sendable {
    public static let sampleRate = 16_000
    public static let hopLength = 160
    public static let fftLength = 400
    /// Frequency bins kept (n_fft / 2 + 1).
    static let bins = fftLength / 2 + 1

    public let melCount: Int
    /// Window-weighted DFT basis, `fftLength × 2·bins` (cos, −sin interleaved).
    private let basis: [Float]
    /// Mel filters, `melCount × bins`.
    let filters: [Float]

    public init(melCount: Int = 80) {
        self.melCount = melCount
        let n = Self.fftLength, bins = Self.bins
        var basis = [Float](repeating: 0, count: n * 2 * bins)
        for t in 0..<n {
            let window = 0.5 - 0.5 * cos(2 * Double.pi * Double(t) / Double(n))
            for k in 0..<bins {
                // Reduce the phase exactly in integers before the trigonometry.
                let angle = 2 * Double.pi * Double((t * k) % n) / Double(n)
                basis[t * 2 * bins + 2 * k] = Float(window * cos(angle))
                basis[t * 2 * bins + 2 * k + 1] = Float(-window * sin(angle))
            }
        }
        self.basis = basis
        filters = Self.melFilters(melCount: melCount)
    }

    /// Slaney-style mel filters over the rfft bins of n_fft 400 at 16 kHz (librosa's defaults,
    /// as faster-whisper computes them).
    static func melFilters(melCount: Int) -> [Float] {
        let bins = Self.bins
        let fftFrequencies = (0..<bins).map { Double($0) * Double(sampleRate) / Double(fftLength) }
        let maxMel = 45.245640471924965
        let fSp = 200.0 / 3
        let minLogHz = 1000.0, minLogMel = minLogHz / fSp, logStep = log(6.4) / 27
        let frequencies: [Double] = (0..<(melCount + 2)).map { i in
            let mel = maxMel * Double(i) / Double(melCount + 1)
            return mel >= minLogMel ? minLogHz * exp(logStep * (mel - minLogMel)) : fSp * mel
        }
        var weights = [Float](repeating: 0, count: melCount * bins)
        for m in 0..<melCount {
            let lowerWidth = frequencies[m + 1] - frequencies[m]
            let upperWidth = frequencies[m + 2] - frequencies[m + 1]
            let norm = 2 / (frequencies[m + 2] - frequencies[m])
            for k in 0..<bins {
                let lower = (fftFrequencies[k] - frequencies[m]) / lowerWidth
                let upper = (frequencies[m + 2] - fftFrequencies[k]) / upperWidth
                weights[m * bins + k] = Float(max(0, min(lower, upper)) * norm)
            }
        }
        return weights
    }

    /// Number of frames for `sampleCount` samples plus `padding` zeros.
    public static func frameCount(samples: Int, padding: Int) -> Int { (samples + padding) / hopLength }

    /// The features of 16 kHz `samples` followed by `padding` zero samples, mel-major
    /// (`melCount × frames`).
    public func callAsFunction(_ samples: [Float], padding: Int = 160) -> (features: [Float], frames: Int) {
        let n = Self.fftLength, hop = Self.hopLength, bins = Self.bins, half = n / 2
        var signal = samples
        signal.append(contentsOf: repeatElement(0, count: padding))
        let frames = signal.count / hop
        guard frames > 0 else { return ([], 0) }
        // Reflect-pad by half a window on each side (numpy's "reflect": the edge is not repeated);
        // very short signals are first zero-extended so the reflection exists.
        if signal.count <= half { signal.append(contentsOf: repeatElement(0, count: half + 1 - signal.count)) }
        var padded = [Float](repeating: 0, count: signal.count + 2 * half)
        for i in 0..<half {
            padded[i] = signal[half - i]
            padded[half + signal.count + i] = signal[signal.count - 2 - i]
        }
        for i in 0..<signal.count { padded[half + i] = signal[i] }

        var frameMatrix = [Float](repeating: 0, count: frames * n)
        padded.withUnsafeBufferPointer { p in
            frameMatrix.withUnsafeMutableBufferPointer { f in
                for t in 0..<frames {
                    (f.baseAddress! + t * n).update(from: p.baseAddress! + t * hop, count: n)
                }
            }
        }
        var spectrum = [Float](repeating: 0, count: frames * 2 * bins)
        BLAS.sgemm(.normal, .normal, m: frames, n: 2 * bins, k: n,
                   frameMatrix, lda: n, basis, ldb: 2 * bins, &spectrum, ldc: 2 * bins)
        var power = [Float](repeating: 0, count: frames * bins)
        for i in 0..<(frames * bins) {
            let re = spectrum[2 * i], im = spectrum[2 * i + 1]
            power[i] = re * re + im * im
        }
        // mel (melCount × frames) = filters (melCount × bins) · powerᵀ (bins × frames)
        var mel = [Float](repeating: 0, count: melCount * frames)
        BLAS.sgemm(.normal, .transposed, m: melCount, n: frames, k: bins,
                   filters, lda: bins, power, ldb: bins, &mel, ldc: frames)
        var maximum = -Float.infinity
        for i in 0..<mel.count {
            mel[i] = log10f(max(mel[i], 1e-10))
            maximum = max(maximum, mel[i])
        }
        let floor = maximum - 8
        for i in 0..<mel.count { mel[i] = (max(mel[i], floor) + 4) / 4 }
        return (mel, frames)
    }
}

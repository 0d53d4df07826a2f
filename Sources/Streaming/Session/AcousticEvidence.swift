import AudioIO
import Foundation

/// What a turn sounded like, beyond its words: pitch (median, range, contour slope and the
/// slope of its last half second, which tells a rising question from a falling statement),
/// loudness, speaking rate, background noise and signal-to-noise ratio, and how much of the
/// audio was not speech. Handed to the reasoner as a short structured block it can cite.
public struct AcousticEvidence: Sendable, Equatable {
    public var durationSeconds: Double
    /// Median F0 of voiced hops, Hz (nil when nothing was voiced).
    public var pitchMedianHz: Double?
    /// 10th and 90th percentiles of F0, Hz.
    public var pitchRangeHz: (low: Double, high: Double)?
    /// Least-squares slope of F0 over the turn, Hz per second.
    public var pitchSlopeHzPerSecond: Double?
    /// The same over the last 0.6 s of voiced speech (intonation at the end).
    public var finalPitchSlopeHzPerSecond: Double?
    /// Level of the active (speech) hops, dB full scale.
    public var speechLevelDB: Double
    /// Level of the quietest hops, dB full scale (the background).
    public var backgroundLevelDB: Double
    /// Syllable-like energy peaks per second of active speech.
    public var syllablesPerSecond: Double
    /// Share of hops that are voiced (speech is typically 0.3–0.7; sustained tones and music
    /// higher; noise lower).
    public var voicedFraction: Double
    /// Loud hops with no pitch, as a share of the active hops (noise bursts, clatter).
    public var unvoicedLoudFraction: Double

    public static func == (a: Self, b: Self) -> Bool { a.summary == b.summary }

    public var signalToNoiseDB: Double { speechLevelDB - backgroundLevelDB }

    /// Measures 16 kHz mono `samples` of one turn (all at once; `AcousticMeter` as they arrive).
    public static func measure(_ samples: [Float], sampleRate: Int = 16_000) -> AcousticEvidence {
        var meter = AcousticMeter(sampleRate: sampleRate)
        meter.append(samples)
        return meter.evidence
    }

    /// The statistics of a turn's level (dBFS per 10 ms hop) and F0 (per 10 ms hop) contours.
    static func from(levels: [Double], f0: [Double?], durationSeconds: Double) -> AcousticEvidence {
        let sorted = levels.sorted()
        let background = sorted.isEmpty ? -120 : sorted[min(sorted.count - 1, sorted.count / 10)]
        let active = levels.filter { $0 > background + 10 && $0 > -60 }
        let speechLevel = active.isEmpty ? (sorted.last ?? -120) : 10 * log10(active.map { pow(10, $0 / 10) }.reduce(0, +) / Double(active.count))

        let voiced = f0.enumerated().compactMap { i, hz in hz.map { (time: Double(i) * 0.01, hz: $0) } }
        var evidence = AcousticEvidence(
            durationSeconds: durationSeconds, pitchMedianHz: nil, pitchRangeHz: nil,
            pitchSlopeHzPerSecond: nil, finalPitchSlopeHzPerSecond: nil, speechLevelDB: speechLevel,
            backgroundLevelDB: background, syllablesPerSecond: 0,
            voicedFraction: f0.isEmpty ? 0 : Double(voiced.count) / Double(f0.count), unvoicedLoudFraction: 0)
        if voiced.count >= 5 {
            let hz = voiced.map(\.hz).sorted()
            evidence.pitchMedianHz = hz[hz.count / 2]
            evidence.pitchRangeHz = (hz[hz.count / 10], hz[min(hz.count - 1, hz.count * 9 / 10)])
            evidence.pitchSlopeHzPerSecond = slope(voiced)
            if let last = voiced.last {
                let tail = voiced.filter { $0.time >= last.time - 0.6 }
                if tail.count >= 5 { evidence.finalPitchSlopeHzPerSecond = slope(tail) }
            }
        }
        // Loud hops without pitch, among the active ones.
        let loudThreshold = background + 10
        var loudUnvoiced = 0, loud = 0
        for (i, level) in levels.enumerated() where level > loudThreshold && level > -60 {
            loud += 1
            if i >= f0.count || f0[i] == nil { loudUnvoiced += 1 }
        }
        evidence.unvoicedLoudFraction = loud == 0 ? 0 : Double(loudUnvoiced) / Double(loud)
        evidence.syllablesPerSecond = syllableRate(levels, threshold: loudThreshold, activeHops: active.count)
        return evidence
    }

    /// Least-squares slope of (time, value) points.
    static func slope(_ points: [(time: Double, hz: Double)]) -> Double {
        let n = Double(points.count)
        let mt = points.map(\.time).reduce(0, +) / n, mh = points.map(\.hz).reduce(0, +) / n
        var num = 0.0, den = 0.0
        for p in points { num += (p.time - mt) * (p.hz - mh); den += (p.time - mt) * (p.time - mt) }
        return den > 0 ? num / den : 0
    }

    /// Peaks of the smoothed level contour that rise at least 3 dB above the dips around them.
    static func syllableRate(_ levels: [Double], threshold: Double, activeHops: Int) -> Double {
        guard levels.count > 4, activeHops > 0 else { return 0 }
        var smooth = levels
        for i in 2..<(levels.count - 2) { smooth[i] = levels[(i - 2)...(i + 2)].reduce(0, +) / 5 }
        var peaks = 0
        var lastDip = smooth[0]
        var rising = false
        for i in 1..<smooth.count {
            if smooth[i] > smooth[i - 1] {
                rising = true
            } else if rising && smooth[i] < smooth[i - 1] {
                if smooth[i - 1] > threshold && smooth[i - 1] - lastDip >= 3 { peaks += 1; lastDip = smooth[i - 1] }
                rising = false
            }
            lastDip = min(lastDip, smooth[i])
        }
        return Double(peaks) / (Double(activeHops) * 0.01)
    }

    /// The block given to the reasoner: one short line of plain-word readings. Every token of
    /// it is read after the user stops speaking (in `think_first`, before the first word of the
    /// answer: ~3 ms each on two cores), so what is ordinary (a normal voice and pace, no
    /// non-speech sounds) is left unsaid: a typical line is 18 tokens, not 31.
    public var summary: String {
        var parts: [String] = []
        if let median = pitchMedianHz {
            var pitch = String(format: "pitch %.0f Hz", median)
            if let end = finalPitchSlopeHzPerSecond {
                pitch += end > 40 ? ", rising at the end (a question?)" : end < -40 ? ", falling at the end" : ", level at the end"
            }
            parts.append(pitch)
        } else {
            parts.append("no voiced speech")
        }
        if speechLevelDB > -15 || speechLevelDB < -35 { parts.append(speechLevelDB > -15 ? "loud voice" : "quiet voice") }
        if syllablesPerSecond > 6 || syllablesPerSecond < 3 { parts.append(syllablesPerSecond > 6 ? "fast pace" : "slow pace") }
        let snr = signalToNoiseDB
        parts.append(snr > 30 ? "quiet room" : snr > 15 ? "some background noise" : "noisy room")
        var nonSpeech: [String] = []
        if voicedFraction > 0.85 && durationSeconds > 1 { nonSpeech.append("sustained tones (singing or music?)") }
        // Speech keeps some voiced hops; sound with almost none is noise, clatter or whisper.
        if voicedFraction < 0.05 && unvoicedLoudFraction > 0.8 && durationSeconds > 0.5 {
            nonSpeech.append("no voiced sound (noise, clatter or whispering)")
        }
        if !nonSpeech.isEmpty { parts.append("non-speech: " + nonSpeech.joined(separator: ", ")) }
        return "[voice: " + parts.joined(separator: "; ") + "]"
    }
}

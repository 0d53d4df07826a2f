import Foundation
import AudioIO
import Streaming
import Testing

@Suite struct AcousticEvidenceTests {
    static func clip(_ name: String) throws -> [Float] { try VoiceActivityDetectorTests.clip(name) }

    /// A harmonic tone whose F0 moves linearly from `from` to `to` Hz.
    static func tone(from: Double, to: Double, seconds: Double, amplitude: Float = 0.2) -> [Float] {
        var phase = 0.0
        return (0..<Int(seconds * 16_000)).map { i in
            let t = Double(i) / 16_000
            phase += 2 * Double.pi * (from + (to - from) * t / seconds) / 16_000
            return amplitude * Float(sin(phase) + 0.5 * sin(2 * phase) + 0.25 * sin(3 * phase)) / 1.75
        }
    }

    @Test func pitchOfASteadyToneAndOfAGlide() {
        let steady = AcousticEvidence.measure(Self.tone(from: 200, to: 200, seconds: 1.5))
        let steadyPitch: Double = steady.pitchMedianHz ?? 0
        #expect(abs(steadyPitch - 200) < 2)
        #expect(steady.voicedFraction > 0.85)
        #expect(steady.summary.contains("sustained tones"))
        let glide = AcousticEvidence.measure(Self.tone(from: 150, to: 250, seconds: 1))
        let glideSlope: Double = glide.pitchSlopeHzPerSecond ?? 0
        #expect(abs(glideSlope - 100) < 20)
        #expect(glide.summary.contains("rising at the end"))
        let fall = AcousticEvidence.measure(Self.tone(from: 250, to: 150, seconds: 1))
        #expect(fall.summary.contains("falling at the end"))
    }

    @Test func realVoicesLoudnessNoiseAndRate() throws {
        let joe = AcousticEvidence.measure(try Self.clip("piper-02.flac"))
        let female = AcousticEvidence.measure(try Self.clip("espeak-03.flac"))  // espeak en+f3
        print("joe: \(joe.summary)\nespeak f3: \(female.summary)")
        #expect(!joe.summary.contains("non-speech"))
        // Every Piper sentence of the test set is speech with voiced sounds, not "noise".
        for n in 1...8 {
            let e = AcousticEvidence.measure(try Self.clip(String(format: "piper-%02d.flac", n)))
            #expect(e.voicedFraction > 0.2, "piper-\(n): voiced \(e.voicedFraction) \(e.summary)")
            #expect(!e.summary.contains("non-speech"), "piper-\(n): \(e.summary)")
        }
        #expect(joe.summary.contains("rising at the end"))  // "Could you explain how a rainbow forms?"
        let joePitch: Double = joe.pitchMedianHz ?? 0, femalePitch: Double = female.pitchMedianHz ?? 0
        #expect(joePitch > 70 && joePitch < 180)
        #expect(femalePitch > joePitch + 40)
        // Ten times quieter is 20 dB lower.
        let quiet = AcousticEvidence.measure(try Self.clip("piper-02.flac").map { $0 * 0.1 })
        let drop: Double = joe.speechLevelDB - quiet.speechLevelDB
        #expect(abs(drop - 20) < 1)
        // What is unusual is said; a normal voice is not.
        #expect(quiet.summary.contains("quiet voice") && !joe.summary.contains("voice;"), "\(quiet.summary) / \(joe.summary)")
        // Noise added at −40 dBFS sets the background and the SNR.
        let speech = try Self.clip("piper-02.flac")
        let noisy = zip(speech, VoiceActivityDetectorTests.noise(seconds: Double(speech.count) / 16_000, dB: -40)).map { $0 + $1 }
        let measured = AcousticEvidence.measure(noisy)
        let background: Double = measured.backgroundLevelDB
        #expect(abs(background + 40) < 4)
        #expect(measured.signalToNoiseDB < joe.signalToNoiseDB)
        // The Piper clips at length scale 0.8 are spoken faster than those at 1.3.
        let fast = try (4...7).map { AcousticEvidence.measure(try Self.clip(String(format: "piper-%02d.flac", $0))).syllablesPerSecond }
        let slow = try (8...11).map { AcousticEvidence.measure(try Self.clip(String(format: "piper-%02d.flac", $0))).syllablesPerSecond }
        print("syllables/s at length scale 0.8: \(fast), at 1.3: \(slow)")
        let fastMean: Double = fast.reduce(0, +) / 4, slowMean: Double = slow.reduce(0, +) / 4
        #expect(fastMean > slowMean * 1.2)
    }

    /// The session measures a turn as it arrives, 20 ms at a time; that must be the same
    /// measurement as the whole turn's at once.
    @Test func measuringAsTheAudioArrivesEqualsMeasuringItWhole() throws {
        let clip = try Self.clip("piper-02.flac")
        var meter = AcousticMeter()
        var pitch = PitchTracker.Stream(PitchTracker())
        var start = 0
        for size in [1, 159, 320, 641, 7, 320, 1_000] + [Int](repeating: 320, count: clip.count / 320) where start < clip.count {
            let piece = Array(clip[start..<min(clip.count, start + size)])
            meter.append(piece)
            pitch.append(piece)
            start += piece.count
        }
        let whole = PitchTracker().track(clip)
        #expect(whole.count > 100 && whole.compactMap { $0 }.count > 20)
        #expect(pitch.pitches == whole)
        let measured = AcousticEvidence.measure(clip)
        #expect(meter.evidence.summary == measured.summary)
        #expect(meter.evidence.durationSeconds == measured.durationSeconds && meter.evidence.speechLevelDB == measured.speechLevelDB)
        #expect(meter.evidence.syllablesPerSecond == measured.syllablesPerSecond && meter.evidence.voicedFraction == measured.voicedFraction)
    }

    @Test func noiseHasNoPitchAndIsCalledOut() {
        let evidence = AcousticEvidence.measure(VoiceActivityDetectorTests.noise(seconds: 1, dB: -20))
        #expect(evidence.pitchMedianHz == nil || evidence.voicedFraction < 0.1)
        #expect(evidence.summary.contains("no voiced sound") || evidence.signalToNoiseDB < 10)
        #expect(AcousticEvidence.measure([]).summary.contains("no voiced speech"))
    }
}

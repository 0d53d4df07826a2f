import Foundation
import AudioIO
import Streaming
import Testing

@Suite struct VoiceActivityDetectorTests {
    static let audio = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../EngineTests/Fixtures/whisper/audio").standardized

    static func clip(_ name: String) throws -> [Float] {
        try AudioFile.read(path: audio.appendingPathComponent(name).path, sampleRate: 16_000).samples
    }

    /// Deterministic noise at `dB` full scale (uniform, so RMS = amplitude / √3).
    static func noise(seconds: Double, dB: Double, seed: UInt64 = 1) -> [Float] {
        var state = seed
        let amplitude = Float(pow(10, dB / 20) * 3.0.squareRoot())
        return (0..<Int(seconds * 16_000)).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return (Float(state >> 40) / Float(1 << 24) * 2 - 1) * amplitude
        }
    }

    /// The turn events (start and stop), or with `pauses` also the tentative ones.
    static func run(_ samples: [Float], _ vad: inout VoiceActivityDetector, chunk: Int = 480, pauses: Bool = false)
        -> [(VoiceActivityDetector.Event, emittedAt: Int)] {
        var events: [(VoiceActivityDetector.Event, Int)] = []
        var i = 0
        while i < samples.count {
            let end = min(samples.count, i + chunk)
            for e in vad.process(Array(samples[i..<end])) {
                switch e {
                case .paused, .resumed: if pauses { events.append((e, vad.processedSamples)) }
                default: events.append((e, vad.processedSamples))
                }
            }
            i = end
        }
        return events
    }

    @Test func oneUtteranceInQuietNoiseIsOneTurnWithPaddingAndHangover() throws {
        let speech = try Self.clip("espeak-00.flac")
        let lead = Self.noise(seconds: 1, dB: -55), tail = Self.noise(seconds: 1.2, dB: -55, seed: 2)
        var vad = VoiceActivityDetector()
        let events = Self.run(lead + speech + tail, &vad)
        #expect(events.count == 2, "\(events)")
        guard events.count == 2, case let .speechStarted(start) = events[0].0, case let .speechStopped(stop) = events[1].0 else { return }
        // espeak's clip starts with a little silence; the reported start includes 300 ms of padding.
        #expect(start >= 16_000 - 4_800 - 1_600 && start <= 16_000 + 4_800, "start \(start)")
        #expect(stop >= 16_000 + speech.count - 8_000 && stop <= 16_000 + speech.count + 1_600, "stop \(stop)")
        // The end is declared only after 450 ms without speech.
        #expect(events[1].emittedAt - stop >= 7_200)
    }

    @Test func aShortBurstIsNotATurn() {
        var vad = VoiceActivityDetector()
        let burst = Self.noise(seconds: 0.06, dB: -10, seed: 3)
        let events = Self.run(Self.noise(seconds: 1, dB: -60) + burst + Self.noise(seconds: 1, dB: -60, seed: 4), &vad)
        #expect(events.isEmpty, "\(events)")
    }

    @Test func steadyBackgroundNoiseIsLearntAndSpeechAboveItIsFound() throws {
        var vad = VoiceActivityDetector()
        let hum = Self.noise(seconds: 3, dB: -35, seed: 5)
        #expect(Self.run(hum, &vad).isEmpty)
        #expect(vad.noiseFloorDB > -38 && vad.noiseFloorDB < -32)
        let speech = try Self.clip("piper-05.flac").map { $0 * 2 }
        let mixed = zip(speech, Self.noise(seconds: Double(speech.count) / 16_000, dB: -35, seed: 6)).map { $0 + $1 }
        let events = Self.run(mixed + Self.noise(seconds: 1, dB: -35, seed: 7), &vad)
        #expect(events.count == 2, "\(events)")
    }

    @Test func pausesShorterThanTheSilenceDurationStayInTheTurn() throws {
        let a = try Self.clip("alsa-front_left.flac"), b = try Self.clip("alsa-rear_right.flac")
        var parameters = VoiceActivityDetector.Parameters()
        parameters.silenceDurationMs = 800
        var vad = VoiceActivityDetector(parameters: parameters)
        let quiet = { (s: Double, seed: UInt64) in Self.noise(seconds: s, dB: -60, seed: seed) }
        let events = Self.run(quiet(0.5, 8) + a + quiet(0.3, 9) + b + quiet(1.5, 10), &vad)
        #expect(events.count == 2, "\(events)")
        var short = VoiceActivityDetector.Parameters()
        short.silenceDurationMs = 200
        var eager = VoiceActivityDetector(parameters: short)
        // With a 200 ms silence duration the alsa clips' own pauses and the gap split the turn.
        #expect(Self.run(quiet(0.5, 8) + a + quiet(0.6, 9) + b + quiet(1.5, 10), &eager).count >= 4)
    }

    @Test func aPauseIsReportedBeforeTheTurnEndsAndSpeechResumesIt() throws {
        var vad = VoiceActivityDetector()
        let quiet = { (s: Double, seed: UInt64) in Self.noise(seconds: s, dB: -60, seed: seed) }
        let loud = { (s: Double, seed: UInt64) in Self.noise(seconds: s, dB: -20, seed: seed) }
        // A 400 ms gap: paused after `pauseMs`, resumed by the second phrase, one turn; then the end.
        let events = Self.run(quiet(0.5, 1) + loud(1, 2) + quiet(0.4, 3) + loud(1, 4) + quiet(1.0, 5), &vad, pauses: true)
        let kinds = events.map { event -> String in
            switch event.0 {
            case .speechStarted: "start"
            case .speechStopped: "stop"
            case .paused: "pause"
            case .resumed: "resume"
            }
        }
        #expect(kinds.first == "start" && kinds.last == "stop", "\(kinds)")
        #expect(kinds.filter { $0 == "start" }.count == 1, "\(kinds)")
        #expect(kinds.contains("resume"), "\(kinds)")
        // The last pause comes `silenceDurationMs − pauseMs` before the stop and names the same speech end.
        guard let pause = events.last(where: { if case .paused = $0.0 { true } else { false } }),
              case let .paused(pausedAt) = pause.0, case let .speechStopped(stoppedAt) = events.last!.0 else { return }
        #expect(pausedAt == stoppedAt)
        // (events are stamped at the end of the 30 ms chunk that completes them)
        let defaults = VoiceActivityDetector.Parameters()
        #expect(abs(events.last!.emittedAt - pause.emittedAt - (defaults.silenceDurationMs - defaults.pauseMs) * 16) <= 480)
    }

    @Test func flushEndsATurnAndDigitalSilenceIsNeverSpeech() throws {
        var vad = VoiceActivityDetector()
        let speech = try Self.clip("piper-11.flac")
        let events = Self.run(Self.noise(seconds: 0.5, dB: -60) + speech, &vad)
        #expect(events.count == 1)
        #expect(vad.inSpeech)
        #expect(vad.flush() != nil)
        #expect(!vad.inSpeech)
        var zero = VoiceActivityDetector()
        #expect(Self.run([Float](repeating: 0, count: 48_000), &zero).isEmpty)
    }
}

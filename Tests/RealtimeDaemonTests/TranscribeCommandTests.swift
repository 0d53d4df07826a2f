import Foundation
import Testing

/// `realtime-daemon transcribe` end to end with the installed recogniser.
@Suite struct TranscribeCommandTests {
    static let audio = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../EngineTests/Fixtures/whisper/audio").standardized

    @Test func jsonLinePerFileAndABadFileDoesNotStopTheOthers() throws {
        let temporary = FileManager.default.temporaryDirectory
        // A WAV cut off inside its header, between two good files.
        let bad = temporary.appendingPathComponent("transcribe-bad-\(getpid()).wav")
        try Data("RIFF\u{0}\u{0}\u{0}\u{0}WAVEfmt ".utf8).write(to: bad)
        let good = Self.audio.appendingPathComponent("piper-05.flac").path
        let r = try GenerateCommandTests.run(["transcribe", "--json", good, bad.path, Self.audio.appendingPathComponent("alsa-front_left.flac").path])
        #expect(r.status != 0)
        #expect(r.err.contains(bad.path))
        let lines = r.out.split(separator: "\n")
        #expect(lines.count == 2)
        let first = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(Set(first.keys) == ["file", "text", "audio_s", "seconds"])
        #expect((first["text"] as? String)?.contains("capital city of Australia") == true)
        #expect(abs((first["audio_s"] as? Double ?? 0) - 2.02) < 0.01)
    }

    @Test func streamPrintsTimedPartialsAndTheFinalLatency() throws {
        let r = try GenerateCommandTests.run(["transcribe", "--stream", Self.audio.appendingPathComponent("piper-11.flac").path])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out.contains("] final ("))
        #expect(r.out.contains("ms after the last sample"))
        #expect(r.out.split(separator: "\n").count >= 3)
        #expect(r.out.lowercased().contains("solar system"))
    }

    @Test func languageDetectionOnRequest() throws {
        let r = try GenerateCommandTests.run(["transcribe", "--language", "auto", "--log-level", "debug", Self.audio.appendingPathComponent("espeak-04.flac").path])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out.lowercased().contains("moon"))
        #expect(r.err.contains("language=en"))
        let unknown = try GenerateCommandTests.run(["transcribe", "--language", "xx", Self.audio.appendingPathComponent("espeak-04.flac").path])
        #expect(unknown.status != 0)
        #expect(unknown.err.contains("unknown language xx"))
    }
}

import Foundation
import AudioIO
import Streaming
import Testing

/// `realtime-daemon converse`: one spoken turn through the whole pipeline.
@Suite struct ConverseCommandTests {
    static let question = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../EngineTests/Fixtures/whisper/audio/piper-02.flac").standardized.path  // "Could you explain how a rainbow forms?"

    @Test func aSpokenQuestionGetsASpokenReplyWithTimings() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("converse-\(getpid()).wav").path
        let r = try GenerateCommandTests.run(["converse", "--in", Self.question, "--out", out, "--mode", "think_first", "--pace", "2", "--json"])
        #expect(r.status == 0, "\(r.err)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        #expect((object["transcript"] as? String ?? "").lowercased().contains("rainbow"), "\(object)")
        #expect(!(object["answer"] as? String ?? "").isEmpty)
        #expect(!(object["reasoning"] as? String ?? "").isEmpty, "think_first thinks before it speaks")
        #expect(object["status"] as? String == "completed")
        #expect(object["mode"] as? String == "think_first")
        let timings = object["timings_ms"] as? [String: Any] ?? [:]
        for key in ["first_reasoning_token", "first_answer_token", "first_audio", "done"] { #expect(timings[key] != nil, "\(key): \(timings)") }
        let info = try AudioFile.info(path: out)
        #expect(info.sampleRate == 24_000 && info.duration > 0.5)
    }

    @Test func badArgumentsAreRefusedClearly() throws {
        let missing = try GenerateCommandTests.run(["converse", "--in", "/nonexistent.wav", "--out", "/tmp/x.wav"])
        #expect(missing.status != 0)
        #expect(missing.err.contains("nonexistent.wav"), "\(missing.err)")
        let mode = try GenerateCommandTests.run(["converse", "--in", Self.question, "--out", "/tmp/x.wav", "--mode", "ponder"])
        #expect(mode.status != 0)
        #expect(mode.err.contains("--mode"))
    }
}

import Foundation
import AudioIO
import Streaming
import Testing

/// `realtime-daemon speak` end to end with the installed voice.
@Suite struct SpeakCommandTests {
    @Test func writesAFileAtTheAskedRateAndReportsTimings() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("speak-\(getpid()).wav").path
        let r = try GenerateCommandTests.run(["speak", "--json", "--rate", "48000", "--out", out, "Hello there. How can I help?"])
        #expect(r.status == 0, "\(r.err)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        for key in ["samples", "seconds", "real_time_factor", "first_chunk_ms", "chunks", "voice", "sample_rate"] {
            #expect(object[key] != nil, "\(key) missing")
        }
        #expect(object["sample_rate"] as? Int == 48_000)
        #expect((object["voice"] as? String)?.hasPrefix("piper:") == true)
        let info = try AudioFile.info(path: out)
        #expect(info.sampleRate == 48_000)
        #expect(info.frames == object["samples"] as? Int)
        #expect(info.duration > 1)
    }

    @Test func espeakVoiceAndBadArguments() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("speak-espeak-\(getpid()).wav").path
        let r = try GenerateCommandTests.run(["speak", "--voice", "espeak:en-us", "--out", out, "Testing one two three."])
        #expect(r.status == 0, "\(r.err)")
        #expect(try AudioFile.info(path: out).duration > 0.5)
        #expect(try GenerateCommandTests.run(["speak", "--rate", "44100", "--out", out, "x"]).status != 0)
        let missing = try GenerateCommandTests.run(["speak", "--voice", "/nonexistent/voice.onnx", "--out", out, "x"])
        #expect(missing.status != 0)
        #expect(missing.err.contains("/nonexistent/voice.onnx"))
    }
}

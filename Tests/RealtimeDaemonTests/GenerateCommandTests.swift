import Foundation
import Testing

/// `realtime-daemon generate` end to end with the installed reasoner.
@Suite struct GenerateCommandTests {
    static func run(_ arguments: [String]) throws -> (status: Int32, out: String, err: String) {
        let (process, errors) = try ServeTests.run(arguments)
        let output = process.standardOutput as? Pipe
        let out = String(decoding: output?.fileHandleForReading.readDataToEndOfFile() ?? Data(), as: UTF8.self)
        let err = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, out, err)
    }

    @Test func jsonCarriesIdsTextChannelsAndSpeeds() throws {
        let r = try Self.run(["generate", "--prompt", "The capital of France is", "--max-tokens", "8", "--json"])
        #expect(r.status == 0, "\(r.err)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r.out.utf8)) as? [String: Any])
        for key in ["prompt_ids", "generated_ids", "text", "reasoning", "answer", "prefill_tokens_per_s", "decode_tokens_per_s"] {
            #expect(object[key] != nil, "\(key) missing")
        }
        #expect(object["prompt_ids"] as? [Int] == [504, 3575, 282, 4649, 314])  // no BOS: the model does not ask for one
        #expect((object["text"] as? String)?.hasPrefix(" Paris") == true)
        #expect((object["generated_ids"] as? [Int])?.count == 8)
    }

    @Test func chatModeStreamsTheAnswer() throws {
        let r = try Self.run(["generate", "--chat", "--prompt", "What is 2+2? Answer briefly.", "--max-tokens", "24"])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out.contains("4"))
        #expect(r.err.contains("prompt tokens"))
    }

    @Test func badArgumentsAreRefused() throws {
        #expect(try Self.run(["generate", "--prompt", "x", "--greedy", "--temperature", "0.7"]).status != 0)
        let missing = try Self.run(["generate", "--prompt", "x", "--model", "/nonexistent.gguf"])
        #expect(missing.status != 0)
        #expect(missing.err.contains("/nonexistent.gguf"))
    }
}

import AudioIO
import Foundation
import Testing
import TestSupport

/// Sessions validated event by event with the `openai` package's own Realtime types
/// (Clients/validate_events.py), and a tool-calling turn with the OpenAI Agents SDK
/// (Clients/agents_sdk_tool_turn.py): clients we did not write, against the live daemon.
@Suite(.serialized) struct OpenAIConformanceTests {
    /// A client script's exit status, its JSON result and everything it wrote.
    static func runClient(_ name: String, _ arguments: [String]) async throws -> (status: Int32, result: [String: Any], output: String) {
        #expect(FileManager.default.isExecutableFile(atPath: TestPython.path), "run scripts/test.sh (it installs the clients) or set RTD_TEST_PYTHON")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Clients/\(name)").path
        let run = try await runToEnd(URL(fileURLWithPath: TestPython.path), [script] + arguments)
        let text = String(decoding: run.out, as: UTF8.self)
        let result = (try? JSONSerialization.jsonObject(with: Data((text.split(separator: "\n").last ?? "").utf8))) as? [String: Any] ?? [:]
        return (run.status, result, text + String(run.err.suffix(3_000)))
    }

    static func questionWAV(_ text: String) async throws -> String {
        let wav = FileManager.default.temporaryDirectory.appendingPathComponent("question-\(UUID().uuidString).wav").path
        try AudioFile.write(try await LiveModels.question(text), sampleRate: 24_000, to: wav)
        return wav
    }

    static func plainURL(_ server: LiveServer) -> String { "ws://127.0.0.1:\(server.port)/v1/realtime" }

    @Test func everyEventOfAConversationValidatesWithTheOpenAIPackagesTypes() async throws {
        let server = try await LiveServer.start()
        let wav = try await Self.questionWAV(RealtimeServerTests.question)
        let run = try await Self.runClient("validate_events.py", [Self.plainURL(server), "conversation", wav])
        await server.stop()
        #expect(run.status == 0, "\(run.output)")
        #expect((run.result["invalid"] as? [Any])?.isEmpty == true, "events failing the openai types: \(run.result["invalid"] ?? "?")")
        let seen = run.result["seen"] as? [String: Any] ?? [:]
        #expect(seen["spoken"] as? String == "completed", "\(seen)")
        #expect((seen["retrieved"] as? String ?? "").lowercased().contains("capital"), "\(seen)")
        let text = seen["text"] as? [Any] ?? []
        #expect(text.first as? String == "completed" && !(text.last as? String ?? "").isEmpty, "\(seen)")
        #expect(seen["out_of_band"] as? [String: String] == ["purpose": "title"], "\(seen)")
        #expect(seen["barge_in"] as? [String] == ["cancelled", "turn_detected"], "\(seen)")
        #expect(seen["truncated"] as? Int == 300 && seen["deleted"] as? Bool == true, "\(seen)")
        #expect(seen["error_event_id"] as? String == "item_not_found", "\(seen)")
        let counts = run.result["counts"] as? [String: Int] ?? [:]
        for type in ["rate_limits.updated", "response.output_text.delta", "response.output_audio.delta", "conversation.item.retrieved"] {
            #expect((counts[type] ?? 0) > 0, "\(type) not sent: \(counts)")
        }
        #expect(counts.keys.allSatisfy { !$0.hasPrefix("rtd.") }, "extensions sent without being asked for: \(counts.keys.sorted())")
    }

    @Test func aTranscriptionSessionTranscribesAndNeverAnswers() async throws {
        let server = try await LiveServer.start()
        let wav = try await Self.questionWAV(RealtimeServerTests.question)
        let run = try await Self.runClient("validate_events.py", [Self.plainURL(server), "transcription", wav])
        await server.stop()
        #expect(run.status == 0, "\(run.output)")
        let seen = run.result["seen"] as? [String: Any] ?? [:]
        #expect((seen["transcript"] as? String ?? "").lowercased().contains("capital"), "\(seen)")
        #expect(seen["responses"] as? Int == 0, "\(seen)")
    }

    /// Function calling through the remote engine on llama.cpp's server, which streams tool calls
    /// (the call is forced by `tool_choice`, so that the turn is the same every time).
    @Test func functionCallsValidateAndTheAgentsSDKCompletesASpokenToolTurn() async throws {
        let llama = try await ModelServerProcess.llama(chatFormat: nil)
        defer { llama.stop() }
        let server = try await LiveServer.start(settings: RemoteEngineTests.remoteSettings(llama, ["remote.temperature=0"]))
        let call = try await Self.runClient("validate_events.py", [Self.plainURL(server), "function"])
        #expect(call.status == 0, "\(call.output)")
        let seen = call.result["seen"] as? [String: Any] ?? [:]
        let made = seen["call"] as? [Any] ?? []
        #expect(made.first as? String == "get_weather" && made.last as? String == "completed", "\(seen)")
        #expect((seen["argument_deltas"] as? Int ?? 0) > 0, "\(seen)")
        #expect((seen["answer"] as? [Any])?.first as? String == "completed", "\(seen)")

        let wav = try await Self.questionWAV("What is the weather in Paris?")
        let agents = try await Self.runClient("agents_sdk_tool_turn.py", [Self.plainURL(server), wav])
        await server.stop()
        #expect(agents.status == 0, "\(agents.output)")
        #expect(!(agents.result["calls"] as? [String] ?? []).isEmpty, "the tool was not called: \(agents.result)")
        #expect((agents.result["validation_failures"] as? [Any])?.isEmpty == true, "\(agents.result)")
        print("agents SDK tool turn: \(agents.result["calls"] ?? []) → \"\(agents.result["answer"] ?? "")\"")
    }
}

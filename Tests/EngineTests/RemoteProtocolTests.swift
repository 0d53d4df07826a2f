import Foundation
import AudioIO
import Streaming
import Testing
@testable import Engine
@testable import RemoteEngine

/// The remote engine's side of the wire: request bodies (both input modes) and the
/// server-sent-event stream of a chat completion.
@Suite struct RemoteProtocolTests {
    /// Step-Audio-R1's audio mode, for a 40 s turn: two input_audio parts, each a WAV file of at
    /// most 25 s that libsndfile reads back, the assistant turn prefilled and continued, and the
    /// model's stop token.
    @Test func audioModeBodyForA40SecondTurn() throws {
        let audio = (0..<(40 * 16_000)).map { Float(sin(Double($0) * 0.05) * 0.3) }
        let history = [ChatMessage(role: .user, content: "Hello"), ChatMessage(role: .assistant, content: "Hi there."),
                       ChatMessage(role: .user, content: "(the transcript, which audio mode does not send)")]
        let request = ChatCompletionRequest.audio(model: "step-audio-r1", system: "You are a voice assistant.", turns: history,
                                                  audio16k: audio, maxTokens: 512, temperature: 0.3)
        let body = try #require(try JSONSerialization.jsonObject(with: request.body()) as? [String: Any])
        #expect(body["model"] as? String == "step-audio-r1")
        #expect(body["stream"] as? Bool == true)
        #expect(body["continue_final_message"] as? Bool == true)
        #expect(body["add_generation_prompt"] as? Bool == false)
        #expect(body["skip_special_tokens"] as? Bool == false)
        #expect(body["stop_token_ids"] as? [Int] == [151_665])
        #expect(body["stop"] as? [String] == ["<|EOT|>"])
        let messages = try #require(body["messages"] as? [[String: Any]])
        #expect(messages.map { $0["role"] as? String } == ["system", "user", "assistant", "user", "assistant"])
        #expect(messages[1]["content"] as? String == "Hello")
        #expect(messages.last?["content"] as? String == "<think>\n")
        let parts = try #require(messages[3]["content"] as? [[String: Any]])
        #expect(parts.count == 2)
        var seconds: [Double] = []
        var offset = 0
        for part in parts {
            #expect(part["type"] as? String == "input_audio")
            let input = try #require(part["input_audio"] as? [String: Any])
            #expect(input["format"] as? String == "wav")
            let wav = try #require(Data(base64Encoded: input["data"] as? String ?? ""))
            #expect(wav.prefix(4) == Data("RIFF".utf8))
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("part-\(UUID().uuidString).wav")
            try wav.write(to: file)
            let info = try AudioFile.info(path: file.path)
            #expect(info.sampleRate == 16_000 && info.channels == 1)
            #expect(info.duration <= 25)
            seconds.append(info.duration)
            let back = try AudioFile.read(path: file.path).samples
            #expect(abs(back[1_000] - audio[offset + 1_000]) < 1e-3)
            offset += back.count
        }
        #expect(seconds == [25, 15])
    }

    @Test func textModeSendsTheTranscriptWithTheEvidence() throws {
        let history = [ChatMessage(role: .user, content: "What is the capital of France?")]
        let request = ChatCompletionRequest.text(model: "m", system: "Be brief.", turns: history, evidence: "[voice: calm]",
                                                 maxTokens: 96, temperature: nil)
        let body = try #require(try JSONSerialization.jsonObject(with: request.body()) as? [String: Any])
        let messages = try #require(body["messages"] as? [[String: Any]])
        #expect(messages.last?["content"] as? String == "What is the capital of France?\n[voice: calm]")
        #expect(body["temperature"] == nil && body["continue_final_message"] == nil)
    }

    @Test func serverSentEventsAcrossChunkBoundaries() throws {
        var parser = ServerSentEvents()
        var events: [String] = []
        let stream = ": keep-alive\r\ndata: {\"a\":1}\r\n\r\nevent: x\ndata: line one\ndata: line two\n\ndata: [DONE]\n\n"
        let bytes = Array(stream.utf8)
        // Byte by byte: events may be split anywhere by the network.
        for b in bytes { events += parser.feed([b]) }
        events += parser.finish()
        #expect(events == ["{\"a\":1}", "line one\nline two", "[DONE]"])
    }

    @Test func deltasCarryContentReasoningAndStepAudioText() throws {
        let content = try CompletionDelta.parse(#"{"choices":[{"delta":{"content":"Paris"},"finish_reason":null}]}"#)
        #expect(content?.content == "Paris")
        let reasoning = try CompletionDelta.parse(#"{"choices":[{"delta":{"reasoning_content":"hmm"}}]}"#)
        #expect(reasoning?.reasoning == "hmm")
        let tts = try CompletionDelta.parse(#"{"choices":[{"delta":{"content":"<x>","tts_content":{"tts_text":"Hello"}}}]}"#)
        #expect(tts?.content == "Hello")
        #expect(try CompletionDelta.parse("[DONE]") == nil)
        #expect(throws: RemoteError.server("model overloaded")) { try CompletionDelta.parse(#"{"error":{"message":"model overloaded"}}"#) }
        #expect(throws: RemoteError.self) { try CompletionDelta.parse("<html>502 Bad Gateway</html>") }
        #expect(throws: RemoteError.self) { try CompletionDelta.parse(#"{"object":"list"}"#) }
    }

    @Test func functionCallsAndTheirResultsAreChatCompletionToolMessages() throws {
        let call = FunctionCall(callID: "call_1", name: "get_weather", arguments: #"{"city":"Paris"}"#)
        let turns = [ChatMessage(role: .user, content: "Weather in Paris?"),
                     ChatMessage(role: .assistant, content: "Let me look.", itemID: "i1"),
                     ChatMessage(role: .assistant, content: "", itemID: "i2", functionCall: call),
                     ChatMessage(role: .tool, content: "sunny, 21 C", itemID: "i3", callID: "call_1")]
        let tool = ToolDefinition(name: "get_weather", description: "Weather now.", parameters: #"{"type":"object","properties":{"city":{"type":"string"}}}"#)
        let request = ChatCompletionRequest.text(model: "m", system: nil, turns: turns, evidence: nil, maxTokens: 64, temperature: 0,
                                                 tools: [tool], toolChoice: .function("get_weather"))
        let body = try #require(try JSONSerialization.jsonObject(with: request.body()) as? [String: Any])
        let messages = try #require(body["messages"] as? [[String: Any]])
        #expect(messages.map { $0["role"] as? String } == ["user", "assistant", "tool"], "the call joins the message that said something before it")
        let calls = try #require(messages[1]["tool_calls"] as? [[String: Any]])
        #expect(messages[1]["content"] as? String == "Let me look.")
        #expect(calls.first?["id"] as? String == "call_1" && (calls.first?["function"] as? [String: Any])?["name"] as? String == "get_weather")
        #expect(messages[2]["tool_call_id"] as? String == "call_1")
        let tools = try #require(body["tools"] as? [[String: Any]])
        #expect(((tools.first?["function"] as? [String: Any])?["parameters"] as? [String: Any])?["type"] as? String == "object")
        #expect(((body["tool_choice"] as? [String: Any])?["function"] as? [String: Any])?["name"] as? String == "get_weather")
        // A tool result whose call was dropped from the history's start is dropped with it.
        #expect(RemoteReplyContext.fitting(Array(turns.dropFirst(2)), characters: 1_000).isEmpty == false)
        #expect(RemoteReplyContext.fitting([turns[3], ChatMessage(role: .user, content: "And?")], characters: 1_000).map(\.role) == [.user])
    }

    @Test func streamedToolCallsAreParsed() throws {
        let first = try CompletionDelta.parse(#"{"choices":[{"delta":{"tool_calls":[{"index":0,"id":"call_7","type":"function","function":{"name":"get_weather","arguments":""}}]}}]}"#)
        #expect(first?.toolCalls == [.init(index: 0, id: "call_7", name: "get_weather", arguments: "")])
        let next = try CompletionDelta.parse(#"{"choices":[{"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\""}}]},"finish_reason":null}]}"#)
        #expect(next?.toolCalls == [.init(index: 0, id: nil, name: nil, arguments: #"{"city""#)])
    }
}

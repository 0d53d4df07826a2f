@testable import Engine
import Foundation
import Testing
@testable import Streaming

/// The API's conversation and response features on the session machine, without models:
/// function calls, written replies, out-of-band responses, items retrieved and deleted, and
/// transcription sessions.
@Suite struct SessionMachineAPITests {
    typealias Harness = SessionMachineTests.Harness

    static func update(_ h: inout Harness, _ session: [String: Any], eventID: String? = nil) {
        h.handle(.client(.sessionUpdate(.init(object: session)), eventID: eventID))
    }

    static var weatherTool: [String: Any] { [
        "type": "function", "name": "get_weather", "description": "The weather in a city now.",
        "parameters": ["type": "object", "properties": ["city": ["type": "string"]], "required": ["city"]],
    ] }

    @Test func aFunctionCallIsAnOutputItemOfItsOwnAndItsResultContinuesTheAnswer() throws {
        var h = Harness(supportsTools: true)
        Self.update(&h, ["tools": [Self.weatherTool], "tool_choice": ["type": "function", "name": "get_weather"]])
        #expect(h.machine.configuration.tools.map(\.name) == ["get_weather"])
        let id = SessionMachineTests.typedReply(&h, "What is the weather in Paris?")
        let request = try #require(h.replyRequests.last)
        #expect(request.settings.tools.map(\.name) == ["get_weather"] && request.settings.toolChoice == .function("get_weather"))
        h.handle(.reply(id, .functionCall(FunctionCallDelta(callID: "call_1", name: "get_weather", arguments: "{\"city\":"))))
        h.handle(.reply(id, .functionCall(FunctionCallDelta(callID: "call_1", name: "get_weather", arguments: "\"Paris\"}"))))
        h.handle(.replyEnded(id, ReplyOutcome(status: .completed), failure: nil))
        let reply = Array(h.sent.drop { $0 != "response.created" })
        #expect(reply == ["response.created", "rate_limits.updated", "response.output_item.added", "conversation.item.added",
                          "response.content_part.added", "response.output_item.added", "conversation.item.added",
                          "response.function_call_arguments.delta", "response.function_call_arguments.delta",
                          "rtd.response.reasoning.done", "response.output_audio_transcript.done", "response.output_audio.done",
                          "response.content_part.done", "response.output_item.done", "conversation.item.done",
                          "response.function_call_arguments.done", "response.output_item.done", "conversation.item.done",
                          "rtd.response.timings", "response.done"], "\(reply)")
        let done = try #require(h.lastResponse)
        #expect(done.calls.map(\.call) == [FunctionCall(callID: "call_1", name: "get_weather", arguments: #"{"city":"Paris"}"#)])
        let output = (ServerEvent.responseDone(done).json(extensions: [])?["response"] as? [String: Any])?["output"] as? [[String: Any]]
        #expect(output?.map { $0["type"] as? String } == ["message", "function_call"])
        #expect(output?.last?["output_index"] == nil && output?.last?["call_id"] as? String == "call_1")
        if case .functionCallArgumentsDone(let part, let call)? = h.events("response.function_call_arguments.done").first {
            #expect(part.outputIndex == 1 && call.arguments == #"{"city":"Paris"}"#)
        } else { Issue.record("no arguments done") }
        // The client runs the function and asks for the answer.
        h.handle(.client(.createItem(ConversationItem(id: "", kind: .functionCallOutput(callID: "call_1", output: #"{"sky":"sunny","celsius":21}"#)),
                                     previousItemID: nil), eventID: nil))
        h.handle(.client(.createResponse(ResponseOptions()), eventID: nil))
        let next = try #require(h.replyRequests.last)
        #expect(next.conversation.turns.map(\.role) == [.user, .assistant, .tool])
        #expect(next.conversation.turns[1].functionCall?.name == "get_weather")
        #expect(next.settings.toolChoice == .auto, "a forced call is not forced again right after its result")
    }

    @Test func bargeInDuringACallLeavesNoHalfCallInTheConversation() {
        var h = Harness(supportsTools: true)
        Self.update(&h, ["tools": [Self.weatherTool]])
        let id = SessionMachineTests.typedReply(&h, "Weather?")
        h.handle(.reply(id, .functionCall(FunctionCallDelta(callID: "call_9", name: "get_weather", arguments: "{\"ci"))))
        h.handle(.client(.cancelResponse, eventID: nil))
        #expect(h.lastResponse?.status == .cancelled)
        #expect(!h.machine.history.turns.contains { $0.functionCall != nil })
        #expect(h.stoppedReplies == [id])
    }

    @Test func aCallCutShortIsIncompleteAndNotMade() {
        var h = Harness(supportsTools: true)
        Self.update(&h, ["tools": [Self.weatherTool]])
        let id = SessionMachineTests.typedReply(&h, "Weather?")
        h.handle(.reply(id, .functionCall(FunctionCallDelta(callID: "call_2", name: "get_weather", arguments: "{\"city\": \"Par"))))
        h.handle(.replyEnded(id, ReplyOutcome(status: .completed), failure: nil))
        #expect(h.lastResponse?.output.last?.status == .incomplete)
        #expect(!h.machine.history.turns.contains { $0.functionCall != nil })
    }

    @Test func anEngineWithoutToolsSaysSoInsteadOfMakingAWrongCall() {
        var h = Harness(supportsTools: false)
        Self.update(&h, ["tools": [Self.weatherTool], "tool_choice": "required"], eventID: "u1")
        if case .error(let e)? = h.events("error").last { #expect(e.code == "tools_unsupported" && e.eventID == "u1") } else { Issue.record("no error") }
        #expect(h.machine.configuration.tools.isEmpty, "session.updated does not claim tools it will not use")
        var forced = ResponseOptions()
        forced.tools = [ToolDefinition(name: "get_weather")]
        forced.toolChoice = .required
        h.handle(.client(.createItem(ConversationItem(id: "", kind: .userText("Weather?")), previousItemID: nil), eventID: nil))
        h.handle(.client(.createResponse(forced), eventID: "r1"))
        #expect(h.replyRequests.isEmpty, "a call it cannot make is not answered with something else")
        #expect(h.events("error").count == 2)
    }

    @Test func aWrittenReplyComesAsOutputTextWithoutAudio() {
        var h = Harness()
        var options = ResponseOptions()
        options.modality = .text
        h.handle(.client(.createItem(ConversationItem(id: "", kind: .userText("Hi")), previousItemID: nil), eventID: nil))
        h.handle(.client(.createResponse(options), eventID: nil))
        let request = h.replyRequests.last!
        #expect(!request.speaks)
        h.handle(.reply(request.id, .answer("Hello.")))
        h.handle(.replyEnded(request.id, ReplyOutcome(status: .completed), failure: nil))
        #expect(h.sent.contains("response.output_text.delta") && h.sent.contains("response.output_text.done"))
        #expect(!h.sent.contains("response.output_audio.done") && !h.sent.contains("response.output_audio_transcript.delta"))
        #expect(h.lastResponse?.modality == .text)
    }

    @Test func anOutOfBandResponseLeavesTheConversationAlone() {
        var h = Harness()
        h.handle(.client(.createItem(ConversationItem(id: "", kind: .userText("Hi")), previousItemID: nil), eventID: nil))
        let before = h.machine.history
        var options = ResponseOptions()
        options.outOfBand = true
        options.metadata = ["topic": "summary"]
        options.input = [ConversationItem(id: "", kind: .userText("Summarise: cats sleep a lot."))]
        h.handle(.client(.createResponse(options), eventID: nil))
        let request = h.replyRequests.last!
        #expect(request.conversation.turns.map(\.content) == ["Summarise: cats sleep a lot."])
        h.handle(.reply(request.id, .answer("Cats sleep.")))
        h.handle(.replyEnded(request.id, ReplyOutcome(status: .completed), failure: nil))
        #expect(h.machine.history == before)
        #expect(h.events("conversation.item.added").count == 1, "only the user's item joined the conversation")
        let json = ServerEvent.responseDone(h.lastResponse!).json(extensions: [])?["response"] as? [String: Any]
        #expect((json?["metadata"] as? [String: String]) == ["topic": "summary"])
    }

    @Test func itemsAreRetrievedAndDeletedByID() {
        var h = Harness()
        h.handle(.client(.createItem(ConversationItem(id: "mine_1", kind: .userText("Remember 42.")), previousItemID: nil), eventID: nil))
        h.handle(.client(.retrieveItem("mine_1"), eventID: nil))
        if case .itemRetrieved(let item)? = h.events("conversation.item.retrieved").last { #expect(item.kind == .userText("Remember 42.")) }
        else { Issue.record("not retrieved") }
        h.handle(.client(.createItem(ConversationItem(id: "mine_1", kind: .userText("again")), previousItemID: nil), eventID: "dup"))
        if case .error(let e)? = h.events("error").last { #expect(e.code == "item_already_exists") } else { Issue.record("no error") }
        h.handle(.client(.createItem(ConversationItem(id: "", kind: .userText("x")), previousItemID: "item_elsewhere"), eventID: "pos"))
        if case .error(let e)? = h.events("error").last { #expect(e.eventID == "pos") } else { Issue.record("no error") }
        h.handle(.client(.deleteItem("mine_1"), eventID: nil))
        #expect(h.sent.contains("conversation.item.deleted"))
        #expect(h.machine.history.turns.isEmpty)
        h.handle(.client(.deleteItem("mine_1"), eventID: "gone"))
        if case .error(let e)? = h.events("error").last { #expect(e.code == "item_not_found" && e.eventID == "gone") } else { Issue.record("no error") }
    }

    @Test func aTranscriptionSessionTranscribesTurnsAndNeverReplies() {
        var h = Harness()
        Self.update(&h, ["type": "transcription"])
        if case .sessionUpdated(let session)? = h.events("session.updated").last { #expect(session["type"] as? String == "transcription") }
        h.silence(0.5)
        h.speech(1.0)
        h.silence(0.8)
        #expect(h.pauseTranscriptions.isEmpty, "nothing is started at pauses: there is no reply to get ahead of")
        let item = try! #require(h.finishedTurns.first)
        h.handle(.transcribed(itemID: item, result: SessionMachineTests.transcript("Take a note."), evidence: SessionMachineTests.quiet()))
        #expect(h.sent.contains("conversation.item.input_audio_transcription.completed"))
        #expect(h.replyRequests.isEmpty && !h.sent.contains("response.created"))
        h.handle(.client(.createResponse(ResponseOptions()), eventID: "r"))
        if case .error(let e)? = h.events("error").last { #expect(e.code == "invalid_session_type") } else { Issue.record("no error") }
    }

    @Test func silenceAfterAReplyTriggersTheIdleTimeout() {
        var h = Harness()
        Self.update(&h, ["audio": ["input": ["turn_detection": ["type": "server_vad", "idle_timeout_ms": 5_000]]]])
        h.silence(0.5)
        let id = SessionMachineTests.typedReply(&h)
        h.handle(.reply(id, .answer("Hello.")))
        h.handle(.replyAudio(id, samples: [Float](repeating: 0, count: 24_000), clause: "Hello.", index: 0))  // 1 s of audio
        h.handle(.replyEnded(id, ReplyOutcome(status: .completed), failure: nil))
        h.silence(5.5)  // the reply plays for 1 s, then 4.5 s of silence: not yet
        #expect(!h.sent.contains("input_audio_buffer.timeout_triggered"))
        h.silence(0.7)
        let order = Array(h.sent.drop { $0 != "input_audio_buffer.timeout_triggered" }.prefix(5))
        #expect(order == ["input_audio_buffer.timeout_triggered", "input_audio_buffer.committed", "conversation.item.added",
                          "conversation.item.done", "response.created"], "\(h.sent.suffix(8))")
        #expect(h.replyRequests.last?.conversation.turns.last?.content.contains("silence") == true)
        h.silence(6)
        #expect(h.events("input_audio_buffer.timeout_triggered").count == 1, "once per reply")
    }

    @Test func clientEventsOfTheAPIParse() throws {
        let created = ClientEvent.parse(#"{"type":"conversation.item.create","item":{"type":"function_call_output","call_id":"c1","output":"21 C"}}"#)
        guard case .createItem(let item, _)? = created.event else { Issue.record("\(String(describing: created.error))"); return }
        #expect(item.kind == .functionCallOutput(callID: "c1", output: "21 C"))
        let response = ClientEvent.parse(#"{"type":"response.create","response":{"conversation":"none","output_modalities":["text"],"metadata":{"k":"v"},"tool_choice":"none","max_output_tokens":"inf"}}"#)
        guard case .createResponse(let o)? = response.event else { Issue.record("\(String(describing: response.error))"); return }
        #expect(o.outOfBand && o.modality == .text && o.metadata == ["k": "v"] && o.toolChoice == ToolChoice.none && o.maxOutputTokens == 4096)
        let bad = ClientEvent.parse(#"{"type":"response.create","event_id":"e1","response":{"tools":[{"type":"mcp","name":"x"}]}}"#)
        #expect(bad.error?.eventID == "e1" && bad.error?.message.contains("function") == true)
        var configuration = SessionConfiguration()
        try configuration.apply(["audio": ["input": ["turn_detection": ["type": "semantic_vad", "eagerness": "auto", "idle_timeout_ms": 6000]]]])
        #expect(configuration.turnDetection?.type == "semantic_vad" && configuration.turnDetection?.idleTimeoutMs == 6000)
    }
}

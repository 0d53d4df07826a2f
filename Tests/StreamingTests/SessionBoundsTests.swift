import Engine
import Foundation
import Testing
import AudioIO
@testable import Streaming

/// Numbers and sizes a client sends are checked before they are used.
@Suite struct SessionBoundsTests {
    @Test func heardTextTakesAnyNumberOfMilliseconds() {
        var run = ReplyState(id: "r", itemID: "i", previousItemID: nil, reference: .now, outputFormat: .pcm24k, mode: .speakFirst)
        run.audioProduced([Float](repeating: 0, count: 24_000), clause: "The capital of France is Paris.", index: 0, at: .now)
        run.audioProduced([Float](repeating: 0, count: 24_000), clause: "It lies on the Seine.", index: 1, at: .now)
        #expect(run.heardText(untilMs: Int.max) == "The capital of France is Paris. It lies on the Seine.")
        #expect(run.heardText(untilMs: 500_000_000_000_000) == run.heardText(untilMs: 2_000))
        #expect(run.heardText(untilMs: -5).isEmpty)
        #expect(run.heardText(untilMs: 1_000) == "The capital of France is Paris.")
    }

    @Test func infiniteOutputTokensLeaveRoomForTheUsersWords() throws {
        var configuration = SessionConfiguration()
        try configuration.apply(["max_output_tokens": "inf"])
        #expect(configuration.maxOutputTokens == 4_096)
        #expect(configuration.replyTokens <= configuration.historyTokens / 2)
        try configuration.apply(["max_output_tokens": 4_000, "reasoning": ["max_tokens": 2_000]])
        #expect(configuration.replyTokens == configuration.historyTokens / 2)
    }

    @Test func textIsLimitedTo16KiB() {
        let long = String(repeating: "a", count: ClientEvent.maximumTextBytes + 1)
        var configuration = SessionConfiguration()
        #expect(throws: ProtocolError.self) { try configuration.apply(["instructions": long]) }
        let item = #"{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"\#(long)"}]}}"#
        #expect(ClientEvent.parse(item).error?.code == "invalid_value")
        let response = #"{"type":"response.create","response":{"instructions":"\#(long)"}}"#
        #expect(ClientEvent.parse(response).error?.code == "invalid_value")
        let fits = String(repeating: "a", count: ClientEvent.maximumTextBytes)
        #expect(ClientEvent.parse(#"{"type":"response.create","response":{"instructions":"\#(fits)"}}"#).error == nil)
    }

    @Test func anUnknownTypeIsEchoedShort() {
        let parsed = ClientEvent.parse(#"{"type":"\#(String(repeating: "x", count: 100_000))"}"#)
        #expect(parsed.error?.code == "unknown_event")
        #expect((parsed.error?.message.count ?? 0) < 200)
    }
}

import Engine
import Foundation
import AudioIO
import Streaming
import Testing
import TestSupport
@testable import RealtimeDaemon

/// Talking over a reply, live: a backchannel and a sound without words let the reply go on
/// (it pauses, then resumes where the client stopped); words stop it (RealtimeServerTests'
/// barge-in). The client behaves as OpenAI's examples do: it stops playing at `speech_started`
/// and says how much it played (`conversation.item.truncate`).
@Suite(.serialized) struct InterruptionLiveTests {
    /// Asks for a story, lets its audio play for `after` seconds, then sends `over` (24 kHz) at
    /// real-time pace; returns the story's `response.done` and the events up to it.
    static func talkOverAStory(_ over: [Float], after: Double = 1.0) async throws -> (done: [String: Any], events: [[String: Any]], story: String) {
        let server = try await LiveServer.start()
        let question = try await LiveModels.question("Please tell me a story about a dragon and a knight.")
        nonisolated(unsafe) var result: (done: [String: Any], events: [[String: Any]], story: String) = ([:], [], "")
        try await RealtimeClient.session(server.url) { client in
            try await client.wait(for: "session.created")
            try await client.send(["type": "session.update", "session": [
                "instructions": "You are a storyteller. Tell a story with many sentences.", "max_output_tokens": 48,
                "reasoning": ["max_tokens": 16]]])
            try await client.wait(for: "session.updated")
            try await client.sendPCM(question + silence24k(0.8), speed: 2)
            let first = try await client.wait(for: "response.output_audio.delta")
            let story = first["response_id"] as? String ?? ""
            let itemID = first["item_id"] as? String ?? ""
            let firstAudioAt = ContinuousClock.now
            try await client.sendPCM(silence24k(after), speed: 1)
            // Talk over it; stop playing at speech_started and say how much was played.
            let talking = Task { try await client.sendPCM(over + silence24k(1.5), speed: 1) }
            try await client.wait(for: "input_audio_buffer.speech_started", count: 2, timeout: 10)  // the question's, then this
            let played = Int((ContinuousClock.now - firstAudioAt).seconds * 1000)
            try await client.send(["type": "conversation.item.truncate", "item_id": itemID, "content_index": 0, "audio_end_ms": played])
            try await talking.value
            let done = try await client.wait(for: "response.done", timeout: Patience.reply(answerTokens: 48, reasoningTokens: 16) + 10) {
                $0[path: "response.id"] as? String == story
            }
            result = (done, client.events, story)
        }
        await server.stop()
        return result
    }

    static func type(_ event: [String: Any]) -> String { event["type"] as? String ?? "" }

    /// Whether the story's audio came again after the user's speech began.
    static func resumed(_ events: [[String: Any]], story: String) -> Bool {
        func isStoryAudio(_ event: [String: Any]) -> Bool {
            type(event) == "response.output_audio.delta" && event["response_id"] as? String == story
        }
        guard let firstAudio = events.firstIndex(where: isStoryAudio),
              let started = events[firstAudio...].firstIndex(where: { type($0) == "input_audio_buffer.speech_started" }) else { return false }
        return events[started...].contains(where: isStoryAudio)
    }

    @Test func aBackchannelLetsTheReplyGoOn() async throws {
        // "Yeah.": Piper's "Mm-hmm." is heard by Whisper as "and their mom".
        let backchannel = try await LiveModels.question("Yeah.")
        let (done, events, story) = try await Self.talkOverAStory(backchannel)
        let heard = events.filter { Self.type($0) == "conversation.item.input_audio_transcription.completed" }.compactMap { $0["transcript"] as? String }
        #expect(done[path: "response.status"] as? String == "completed", "heard \(heard); \(done[path: "response.status_details"] ?? "")")
        #expect(InterruptionPolicy().verdict(heard.last ?? "") == .backchannel, "the backchannel was heard as \(heard)")
        let resumed = Self.resumed(events, story: story)
        #expect(resumed, "the story's audio did not come again after the backchannel")
        let truncated = events.contains { Self.type($0) == "conversation.item.truncated" }
        #expect(truncated)
        // Not answered: the only response is the story.
        let responses = events.filter { Self.type($0) == "response.created" }.count
        #expect(responses == 1)
    }

    @Test func aSoundWithoutWordsLetsTheReplyGoOn() async throws {
        // A knock: three short bursts of decaying noise, loud as speech.
        var rng = SplitMix64(seed: 3)
        var knock: [Float] = []
        for _ in 0..<3 {
            for i in 0..<2_400 {
                let decay = Float(exp(-Double(i) / 800))
                knock.append(Float(rng.nextUnitDouble() - 0.5) * 0.6 * decay)
            }
            knock += [Float](repeating: 0, count: 2_400)
        }
        let (done, events, story) = try await Self.talkOverAStory(knock)
        let truncated = events.contains { Self.type($0) == "conversation.item.truncated" }
        #expect(truncated)
        let heard = events.filter { Self.type($0) == "conversation.item.input_audio_transcription.completed" }.compactMap { $0["transcript"] as? String }
        #expect(done[path: "response.status"] as? String == "completed", "heard \(heard)")
        let resumed = Self.resumed(events, story: story)
        #expect(resumed, "the story's audio did not come again after the knock")
        let responses = events.filter { Self.type($0) == "response.created" }.count
        #expect(responses == 1)
    }
}

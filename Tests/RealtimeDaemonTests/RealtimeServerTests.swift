import Engine
import Foundation
import HTTPTypes
import AudioIO
import Streaming
import Testing
import TestSupport
@testable import RealtimeDaemon

/// The daemon's WebSocket server, live on a loopback port with the real models, driven by a
/// real WebSocket client (and curl for the HTTP side).
@Suite(.serialized) struct RealtimeServerTests {
    static let question = "What is the capital of France?"

    @Test func spokenQuestionInPCMModeGetsASpokenAnswer() async throws {
        let server = try await LiveServer.start()
        let audio = try await LiveModels.question(Self.question) + silence24k(1.5)
        try await RealtimeClient.session(server.url) { client in
            let created = try await client.wait(for: "session.created")
            #expect(created[path: "session.server.protocol"] as? Int == 2)
            try await client.send(["type": "session.update", "session": ["type": "realtime", "reasoning": ["mode": "speak_first"]]])
            let updated = try await client.wait(for: "session.updated")
            #expect(updated[path: "session.reasoning.mode"] as? String == "speak_first")
            try await client.sendPCM(audio, speed: 2)
            let done = try await client.wait(for: "response.done")
            #expect(done[path: "response.status"] as? String == "completed")
            let transcript = try await client.wait(for: "conversation.item.input_audio_transcription.completed")["transcript"] as? String ?? ""
            #expect(transcript.lowercased().contains("capital"), "heard: \(transcript)")
            for type in ["input_audio_buffer.speech_started", "input_audio_buffer.speech_stopped", "input_audio_buffer.committed",
                         "response.created", "response.output_audio_transcript.done", "response.output_audio.done"] {
                #expect(!client.events(type).isEmpty, "no \(type)")
            }
            let id = done[path: "response.id"] as? String ?? ""
            let answer = try await client.wait(for: "response.output_audio_transcript.done")["transcript"] as? String ?? ""
            let reply = try client.pcmAudio(response: id)
            #expect(reply.count > 24_000 / 2, "reply audio: \(reply.count) samples")
            // The audio says the answer text (thinking is never spoken).
            let heard = try await LiveModels.transcribe24k(reply)
            let error = letterErrorRate(written: answer, heard: heard)
            #expect(error <= 0.2, "answer '\(answer)' was heard as '\(heard)' (letter error rate \(error))")
            let timings = try await client.wait(for: "rtd.response.timings")["timings_ms"] as? [String: Any] ?? [:]
            for key in ["first_answer_token", "first_audio", "done"] { #expect(timings[key] != nil, "timings: \(timings)") }
            // The partial transcript arrived while the question was still being spoken or right after.
            #expect(!client.events("response.output_audio.delta").isEmpty)
            #expect(client.snapshot.binary.isEmpty, "PCM mode sends no binary frames")
        }
        let metrics = try await server.curl("/metrics")
        #expect(metrics.body.contains("rtd_responses_total{status=\"completed\"} 1"), "\(metrics.body)")
        #expect(metrics.body.contains("rtd_reply_stage_seconds_bucket"))
        await server.stop()
    }

    @Test func opusModeCarriesAudioInBinaryFramesBothWays() async throws {
        let server = try await LiveServer.start()
        let question48k = try Resampler.resample(try await LiveModels.question(Self.question) + silence24k(1.5), from: 24_000, to: 48_000)
        try await RealtimeClient.session(server.url) { client in
            try await client.wait(for: "session.created")
            let opus: [String: Any] = ["type": "audio/opus", "rate": 48_000]
            try await client.send(["type": "session.update", "session": ["audio": ["input": ["format": opus], "output": ["format": opus]]]])
            let updated = try await client.wait(for: "session.updated")
            #expect(updated[path: "session.audio.output.format.type"] as? String == "audio/opus")
            let encoder = try OpusEncoder(bitrate: 32_000)
            for start in stride(from: 0, to: question48k.count - 960, by: 960) {
                try await client.sendBinary(try encoder.encode(Array(question48k[start..<start + 960])))
                try await Task.sleep(for: .milliseconds(10))
            }
            let done = try await client.wait(for: "response.done")
            #expect(done[path: "response.status"] as? String == "completed")
            let snapshot = client.snapshot
            #expect(snapshot.binary.count > 10, "\(snapshot.binary.count) Opus packets")
            #expect(client.events("response.output_audio.delta").isEmpty, "Opus mode sends audio only as binary frames")
            // Every packet came before output_audio.done.
            let doneIndex = snapshot.events.firstIndex { $0["type"] as? String == "response.output_audio.done" } ?? -1
            #expect(snapshot.binaryAfterEvent.allSatisfy { $0 <= doneIndex })
            let decoder = try OpusDecoder()
            var reply: [Float] = []
            for packet in snapshot.binary { reply += try decoder.decode(packet) }
            let heard = try await LiveModels.transcribe24k(try Resampler.resample(reply, from: 48_000, to: 24_000))
            let answer = try await client.wait(for: "response.output_audio_transcript.done")["transcript"] as? String ?? ""
            let error = letterErrorRate(written: answer, heard: heard)
            #expect(error <= 0.2, "answer '\(answer)' was heard as '\(heard)' (letter error rate \(error))")
        }
        await server.stop()
    }

    @Test func manualTurnsAreCommittedByTheClient() async throws {
        let server = try await LiveServer.start()
        let audio = try await LiveModels.question(Self.question)
        try await RealtimeClient.session(server.url) { client in
            try await client.wait(for: "session.created")
            try await client.send(["type": "session.update", "session": ["audio": ["input": ["turn_detection": NSNull()]]]])
            let updated = try await client.wait(for: "session.updated")
            #expect(updated[path: "session.audio.input.turn_detection"] is NSNull)
            try await client.sendPCM(audio + silence24k(1.0), speed: 4)
            // No VAD: nothing happens until the commit.
            #expect(client.events("input_audio_buffer.speech_started").isEmpty)
            #expect(client.events("response.created").isEmpty)
            try await client.send(["type": "input_audio_buffer.commit"])
            try await client.send(["type": "response.create"])
            try await client.wait(for: "input_audio_buffer.committed")
            let transcript = try await client.wait(for: "conversation.item.input_audio_transcription.completed")["transcript"] as? String ?? ""
            #expect(transcript.lowercased().contains("capital"))
            let done = try await client.wait(for: "response.done")
            #expect(done[path: "response.status"] as? String == "completed")
            // Cleared audio is dropped.
            try await client.sendPCM(silence24k(0.5), speed: 10)
            try await client.send(["type": "input_audio_buffer.clear"])
            try await client.wait(for: "input_audio_buffer.cleared")
            try await client.send(["type": "input_audio_buffer.commit"])
            // (A loaded machine may also have said `overloaded` about the reply.)
            try await client.wait(for: "error") { $0[path: "error.code"] as? String == "input_audio_buffer_commit_empty" }
        }
        await server.stop()
    }

    @Test func typedUserMessagesGetSpokenReplies() async throws {
        let server = try await LiveServer.start()
        try await RealtimeClient.session(server.url) { client in
            try await client.wait(for: "session.created")
            try await client.send(["type": "conversation.item.create", "event_id": "typed-1",
                                   "item": ["type": "message", "role": "user", "content": [["type": "input_text", "text": "Say hello to me."]]]])
            try await client.wait(for: "conversation.item.done")
            try await client.send(["type": "response.create"])
            let done = try await client.wait(for: "response.done")
            #expect(done[path: "response.status"] as? String == "completed")
            let id = done[path: "response.id"] as? String ?? ""
            #expect(try client.pcmAudio(response: id).count > 2_400)
            let answer = client.events("response.output_audio_transcript.delta").compactMap { $0["delta"] as? String }.joined()
            #expect(!answer.isEmpty)
            // Thinking is never in the spoken transcript.
            let reasoning = client.events("rtd.response.reasoning.delta").compactMap { $0["delta"] as? String }.joined()
            #expect(!answer.contains("<think>") && !answer.contains("</think>"))
            #expect(!reasoning.isEmpty, "the formulation stream thought")
        }
        await server.stop()
    }

    @Test func speakingDuringAReplyStopsItAndKeepsOnlyWhatWasHeard() async throws {
        let server = try await LiveServer.start()
        let question = try await LiveModels.question("Please tell me a long story about a dragon and a knight.")
        let interruption = try await LiveModels.question("Stop, that is enough.")
        try await RealtimeClient.session(server.url) { client in
            try await client.wait(for: "session.created")
            try await client.send(["type": "session.update", "session": [
                // Long enough to be still in progress when the interruption is heard: the
                // reasoner writes 200 tokens in about 1.5 s, and the story does not end by itself.
                "instructions": "You are a storyteller. Tell a long story with many sentences.", "max_output_tokens": 1_000]])
            try await client.wait(for: "session.updated")
            try await client.sendPCM(question + silence24k(0.8), speed: 2)
            let first = try await client.wait(for: "response.output_audio.delta")
            let id = first["response_id"] as? String ?? ""
            // The reply to the interruption is bounded (the story keeps the settings it started
            // with), so waiting for it depends on a stated number of tokens, not on this machine.
            try await client.send(["type": "session.update", "session": ["max_output_tokens": 24, "reasoning": ["max_tokens": 16]]])
            // Keep "playing" for a moment, then talk over the reply (real-time pace, as a person would).
            try await client.sendPCM(silence24k(0.6), speed: 1)
            try await client.sendPCM(interruption + silence24k(1.0), speed: 1)
            let done = try await client.wait(for: "response.done") { $0[path: "response.id"] as? String == id }
            #expect(done[path: "response.status"] as? String == "cancelled")
            #expect(done[path: "response.status_details.reason"] as? String == "turn_detected")
            let events = client.events
            // The barge-in: the first speech after the story's audio began.
            let storyAudio = events.firstIndex { $0["type"] as? String == "response.output_audio.delta" && $0["response_id"] as? String == id } ?? 0
            let started = events[storyAudio...].firstIndex { $0["type"] as? String == "input_audio_buffer.speech_started" } ?? 0
            let cancelledAt = events.firstIndex { $0["type"] as? String == "response.done" && ($0[path: "response.id"] as? String) == id } ?? 0
            // The barge-in cancels the reply right away: its done follows speech_started with no audio in between.
            #expect(cancelledAt > started)
            let audioBetween = events[started..<max(started, cancelledAt)].filter { $0["type"] as? String == "response.output_audio.delta" && $0["response_id"] as? String == id }
            #expect(audioBetween.isEmpty, "\(audioBetween.count) audio deltas after speech started")
            #expect(events[cancelledAt...].allSatisfy { !($0["type"] as? String == "response.output_audio.delta" && $0["response_id"] as? String == id) })
            // What is kept is what was heard: a prefix of what was written.
            let heard = done[path: "response.output"].flatMap { ($0 as? [[String: Any]])?.first?[path: "content"] as? [[String: Any]] }?.first?["transcript"] as? String ?? ""
            let written = events.filter { $0["type"] as? String == "response.output_audio_transcript.delta" && $0["response_id"] as? String == id }
                .compactMap { $0["delta"] as? String }.joined()
            #expect(heard.count < written.count, "heard '\(heard)' of '\(written)'")
            // The interruption is a new turn, answered in its turn (semantic_vad may take "Stop," for
            // a turn of its own, whose reply "that is enough" then interrupts in turn).
            let next = try await client.wait(for: "response.done", timeout: Patience.reply(answerTokens: 24, reasoningTokens: 16)) {
                $0[path: "response.id"] as? String != id && $0[path: "response.status"] as? String == "completed"
            }
            #expect(next[path: "response.status"] as? String == "completed")
        }
        await server.stop()
    }

    @Test func malformedInputGetsErrorsAndTheSessionGoesOn() async throws {
        let server = try await LiveServer.start(maxMessageKB: 64)
        try await RealtimeClient.session(server.url) { client in
            try await client.wait(for: "session.created")
            var expected: [String] = []
            func expectError(_ code: String) async throws {
                expected.append(code)
                try await client.wait(for: "error", count: expected.count)
            }
            try await client.sendText("not json"); try await expectError("invalid_json")
            try await client.sendText("[1,2]"); try await expectError("invalid_json")
            try await client.sendText(#"{"event_id":"e1"}"#); try await expectError("missing_type")
            try await client.send(["type": "no.such.event", "event_id": "e2"]); try await expectError("unknown_event")
            try await client.send(["type": "input_audio_buffer.append", "audio": "%%%not base64%%%"]); try await expectError("invalid_value")
            try await client.send(["type": "input_audio_buffer.append", "audio": "AAAA"]); try await expectError("invalid_value")  // 3 bytes: not 16-bit samples
            try await client.send(["type": "input_audio_buffer.append"]); try await expectError("invalid_value")
            try await client.send(["type": "session.update", "session": ["audio": ["input": ["format": ["type": "audio/pcm", "rate": 16_000]]]]])
            try await expectError("invalid_value")
            try await client.send(["type": "session.update", "session": ["reasoning": ["mode": "ponder"]]]); try await expectError("invalid_value")
            try await client.send(["type": "session.update", "session": ["audio": ["input": ["turn_detection": ["type": "server_vad", "threshold": 7]]]]])
            try await expectError("invalid_value")
            try await client.send(["type": "conversation.item.create", "item": ["type": "mcp_call", "name": "x"]])
            try await expectError("invalid_value")
            try await client.send(["type": "conversation.item.create", "item": ["type": "message", "role": "developer", "content": [["type": "input_text", "text": "x"]]]])
            try await expectError("invalid_value")
            try await client.send(["type": "conversation.item.truncate", "item_id": "nope", "content_index": 0, "audio_end_ms": 10])
            try await expectError("item_not_found")
            try await client.send(["type": "input_audio_buffer.commit"]); try await expectError("input_audio_buffer_commit_empty")
            try await client.sendText(String(repeating: " ", count: 100 * 1024) + "{}"); try await expectError("message_too_large")
            try await client.sendBinary([1, 2, 3]); try await expectError("binary_not_expected")
            try await client.send(["type": "session.update", "session": ["audio": ["input": ["format": ["type": "audio/opus"]]]]])
            try await client.wait(for: "session.updated")
            try await client.sendBinary(Array("OggS".utf8) + [0, 2, 0, 0]); try await expectError("ogg_not_supported")
            try await client.sendBinary([0xFF, 0xFF, 0xFF, 0xFF, 0xFF]); try await expectError("invalid_opus")
            try await client.send(["type": "input_audio_buffer.append", "audio": "AAAA"]); try await expectError("invalid_value")
            // Every error names its code, and the session still answers.
            let codes = client.events("error").compactMap { $0[path: "error.code"] as? String }
            #expect(codes == expected)
            #expect(client.events("error").first { ($0[path: "error.event_id"] as? String) == "e2" } != nil)
            try await client.send(["type": "session.update", "session": ["instructions": "Be brief."]])
            try await client.wait(for: "session.updated", count: 2)
        }
        await server.stop()
    }

    @Test func tokensAndOriginsAreCheckedBeforeTheUpgrade() async throws {
        // (Our WebSocket client library sends the Origin ws://127.0.0.1.)
        let server = try await LiveServer.start(token: "s3cret", origins: ["https://app.example", "ws://127.0.0.1"])
        #expect(try await server.curl("/v1/realtime", upgrade: true).status == 401)
        #expect(try await server.curl("/v1/realtime", headers: ["Authorization: Bearer wrong"], upgrade: true).status == 401)
        #expect(try await server.curl("/v1/realtime", headers: ["Authorization: Bearer s3cret"], upgrade: true).status == 101)
        #expect(try await server.curl("/v1/realtime", headers: ["Sec-WebSocket-Protocol: realtime, openai-insecure-api-key.s3cret"], upgrade: true).status == 101)
        #expect(try await server.curl("/v1/realtime", headers: ["Authorization: Bearer s3cret", "Origin: https://evil.example"], upgrade: true).status == 403)
        #expect(try await server.curl("/v1/realtime", headers: ["Authorization: Bearer s3cret", "Origin: https://app.example"], upgrade: true).status == 101)
        #expect(try await server.curl("/healthz").status == 200)
        // A real client with the subprotocol gets the session, and `realtime` chosen as its protocol.
        var headers = HTTPFields()
        headers[.secWebSocketProtocol] = "realtime, openai-insecure-api-key.s3cret"
        try await RealtimeClient.session(server.url, headers: headers) { client in
            try await client.wait(for: "session.created")
        }
        await server.stop()
    }

    @Test func sessionsBeyondTheLimitAreToldTheServerIsOverloaded() async throws {
        let server = try await LiveServer.start(maxSessions: 1)
        try await RealtimeClient.session(server.url) { first in
            try await first.wait(for: "session.created")
            try await RealtimeClient.session(server.url) { second in
                let error = try await second.wait(for: "error")
                #expect(error[path: "error.code"] as? String == "overloaded")
            }
            // The first session is unaffected.
            try await first.send(["type": "session.update", "session": ["instructions": "Hi."]])
            try await first.wait(for: "session.updated")
        }
        let metrics = try await server.curl("/metrics").body
        #expect(metrics.contains("rtd_sessions_refused_total 1"))
        await server.stop()
    }
}

/// Clients we did not write, and turn-taking defaults, against the live server.
@Suite(.serialized) struct RealtimeClientCompatibilityTests {
    @Test func theOpenAISDKCompletesASpokenTurnInPCMMode() async throws {
        #expect(FileManager.default.isExecutableFile(atPath: TestPython.path), "run scripts/test.sh (it installs the openai SDK) or set RTD_TEST_PYTHON")
        let server = try await LiveServer.start(token: "sdk-token")
        let wav = FileManager.default.temporaryDirectory.appendingPathComponent("sdk-question-\(UUID().uuidString).wav").path
        try AudioFile.write(try await LiveModels.question(RealtimeServerTests.question), sampleRate: 24_000, to: wav)
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Clients/openai_sdk_turn.py").path
        let run = try await runToEnd(URL(fileURLWithPath: TestPython.path), [script, "http://127.0.0.1:\(server.port)/v1", "sdk-token", wav])
        await server.stop()
        #expect(run.status == 0, "\(String(decoding: run.out, as: UTF8.self)) \(run.err)")
        let result = (try? JSONSerialization.jsonObject(with: run.out)) as? [String: Any] ?? [:]
        #expect((result["transcript"] as? String ?? "").lowercased().contains("capital"), "\(result)")
        #expect((result["audio_bytes"] as? Int ?? 0) > 24_000, "\(result)")
        #expect(!(result["answer"] as? String ?? "").isEmpty)
        let events = result["events"] as? [String] ?? []
        for type in ["session.created", "session.updated", "input_audio_buffer.speech_started", "response.done", "response.output_audio.delta"] {
            #expect(events.contains(type), "\(type) not seen by the SDK: \(events)")
        }
    }

    /// server_vad must not cut users off: a 400 ms pause in the middle of a question is one turn,
    /// even where the words before it make a question of their own (semantic_vad ends such a turn).
    @Test func aPauseOf400msInAQuestionStaysOneTurn() async throws {
        let server = try await LiveServer.start()
        // Trimmed to the sound, so the gap between them is exactly the 400 ms of silence.
        let first = trimSilence(try await LiveModels.question("What is the weather like"))
        let second = trimSilence(try await LiveModels.question("in Paris today?"))
        try await RealtimeClient.session(server.url) { client in
            try await client.wait(for: "session.created")
            try await client.send(["type": "session.update", "session": ["audio": ["input": ["turn_detection": ["type": "server_vad"]]]]])
            try await client.wait(for: "session.updated")
            try await client.sendPCM(first + silence24k(0.4) + second + silence24k(1.5), speed: 1)
            let done = try await client.wait(for: "response.done")
            #expect(done[path: "response.status"] as? String == "completed")
            #expect(client.events("input_audio_buffer.speech_started").count == 1)
            #expect(client.events("input_audio_buffer.committed").count == 1)
            let transcript = client.events("conversation.item.input_audio_transcription.completed").first?["transcript"] as? String ?? ""
            #expect(transcript.lowercased().contains("weather") && transcript.lowercased().contains("paris"), "\(transcript)")
        }
        await server.stop()
    }

    /// The default, semantic_vad, waits through a long pause after words that cannot end a
    /// sentence, and answers a finished one sooner than server_vad's 450 ms would.
    @Test func semanticVADWaitsThroughAPauseInAnUnfinishedSentence() async throws {
        let server = try await LiveServer.start()
        let first = trimSilence(try await LiveModels.question("How far is it from Paris to"))
        let second = trimSilence(try await LiveModels.question("Berlin?"))
        try await RealtimeClient.session(server.url) { client in
            let created = try await client.wait(for: "session.created")
            #expect(created[path: "session.audio.input.turn_detection.type"] as? String == "semantic_vad")
            try await client.sendPCM(first + silence24k(0.7) + second + silence24k(1.5), speed: 1)
            let done = try await client.wait(for: "response.done")
            #expect(done[path: "response.status"] as? String == "completed")
            #expect(client.events("input_audio_buffer.committed").count == 1, "the 700 ms pause after \"to\" ended the turn")
            let transcript = client.events("conversation.item.input_audio_transcription.completed").first?["transcript"] as? String ?? ""
            #expect(transcript.lowercased().contains("paris") && transcript.lowercased().contains("berlin"), "\(transcript)")
        }
        await server.stop()
    }
}

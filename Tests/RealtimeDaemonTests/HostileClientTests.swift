import Engine
import Foundation
import AudioIO
import Streaming
import Testing
@testable import RealtimeDaemon

/// Clients that are careless or hostile, against the real daemon: none of them stops it, takes
/// its memory or keeps a session slot, and the next client is served as usual.
@Suite(.serialized) struct HostileClientTests {
    static func typedTurn(_ client: RealtimeClient, _ text: String, count: Int) async throws -> [String: Any] {
        try await client.send(["type": "conversation.item.create",
                               "item": ["type": "message", "role": "user", "content": [["type": "input_text", "text": text]]]])
        try await client.send(["type": "response.create"])
        return try await client.wait(for: "response.done", count: count, timeout: Patience.reply())
    }

    @Test func anAbsurdTruncateIsClampedAndTheDaemonGoesOn() async throws {
        let server = try await LiveServer.start()
        try await RealtimeClient.session(server.url) { client in
            try await client.wait(for: "session.created")
            try await client.send(["type": "session.update", "session": ["max_output_tokens": 16]])
            let done = try await Self.typedTurn(client, "Say hello.", count: 1)
            let item = ((done[path: "response.output"] as? [[String: Any]])?.first?["id"] as? String) ?? ""
            let audioMs = Int(done[path: "response.metadata.audio_ms"] as? String ?? "") ?? (done[path: "response.metadata.audio_ms"] as? Int ?? 0)
            try await client.send(["type": "conversation.item.truncate", "item_id": item, "content_index": 0, "audio_end_ms": 500_000_000_000_000])
            let truncated = try await client.wait(for: "conversation.item.truncated")
            #expect((truncated["audio_end_ms"] as? Int ?? .max) <= max(audioMs, 1), "\(truncated)")
            try await client.send(["type": "conversation.item.truncate", "item_id": item, "content_index": 0, "audio_end_ms": -1])
            try await client.wait(for: "error")
            let next = try await Self.typedTurn(client, "Say goodbye.", count: 2)
            #expect(next[path: "response.status"] as? String == "completed")
        }
        #expect(server.isRunning)
        await server.stop()
    }

    @Test func aPageFromARebindingNameIsRefused() async throws {
        let server = try await LiveServer.start()
        let refused = try await server.curl("/v1/realtime", headers: ["Host: evil.example:\(server.port)", "Origin: http://evil.example:\(server.port)"], upgrade: true)
        #expect(refused.status == 403, "\(refused)")
        let allowed = try await server.curl("/v1/realtime", headers: ["Origin: http://127.0.0.1:\(server.port)"], upgrade: true)
        #expect(allowed.status == 101, "\(allowed)")
        await server.stop()
    }

    @Test func aClientThatStopsReadingLosesItsSessionNotTheServer() async throws {
        let server = try await LiveServer.start(maxSessions: 1)
        try await offPool {
            let socket = try RawWebSocket(port: server.port, receiveBuffer: 4_096)
            _ = try socket.upgrade()
            socket.sendText(#"{"type":"session.update","session":{"max_output_tokens":1000,"instructions":"Tell very long stories."}}"#)
            socket.sendText(#"{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"Tell me a long story about a lighthouse."}]}}"#)
            socket.sendText(#"{"type":"response.create"}"#)
            // Never read. The server must give up on the write and close the socket.
            #expect(socket.isClosed(within: 90), "the server kept a client that does not read")
        }
        // The slot is free again: a new session is served.
        for _ in 0..<50 where try await server.openSessions() > 0 { try await Task.sleep(for: .milliseconds(100)) }
        #expect(try await server.openSessions() == 0)
        try await RealtimeClient.session(server.url) { client in
            try await client.wait(for: "session.created")
        }
        await server.stop()
    }

    @Test func aReplyCutOffByADisconnectIsCounted() async throws {
        let server = try await LiveServer.start()
        try await RealtimeClient.session(server.url) { client in
            try await client.wait(for: "session.created")
            try await client.send(["type": "conversation.item.create",
                                   "item": ["type": "message", "role": "user", "content": [["type": "input_text", "text": "Tell me a long story about the sea."]]]])
            try await client.send(["type": "response.create"])
            try await client.wait(for: "response.output_audio.delta")
        }  // the client leaves mid-reply
        var counted = false
        for _ in 0..<50 where !counted {
            counted = try await server.curl("/metrics").body.contains("rtd_responses_total{status=\"cancelled\"} 1")
            if !counted { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(counted, "the response.done of a session closed mid-reply is not in /metrics")
        await server.stop()
    }

    @Test func aFloodOfAudioWaitsForTheSessionInsteadOfFillingMemory() async throws {
        let server = try await LiveServer.start()
        let before = server.residentMB
        // Noise, which the session measures and transcribes as speech: the slow kind of input.
        var rng = SplitMix64(seed: 3)
        let chunk = SampleConversion.floatToBase64PCM16((0..<24_000).map { _ in Float(rng.nextUnitDouble() - 0.5) * 0.6 })  // 1 s, 64 KB of text
        let message = #"{"type":"input_audio_buffer.append","audio":"\#(chunk)"}"#
        let peak = try await offPool {
            let socket = try RawWebSocket(port: server.port)
            _ = try socket.upgrade()
            let frame = RawWebSocket.frame(opcode: 1, payload: Array(message.utf8))
            var peak = before
            for i in 0..<1_500 {  // 96 MB of appends, as fast as the socket takes them
                socket.send(frame)
                if i % 100 == 0 { peak = max(peak, server.residentMB) }
            }
            return peak
        }
        #expect(peak - before < 64, "resident memory grew from \(before) to \(peak) MB while the client flooded")
        #expect(server.isRunning)
        await server.stop()
    }

    @Test func aConnectionThatNeverFinishesItsHeadersIsClosed() async throws {
        let server = try await LiveServer.start()
        try await offPool {
            let socket = try RawWebSocket(port: server.port)
            socket.send(Array("GET /v1/realtime HTTP/1.1\r\nHost: 127.0.0.1\r\n".utf8))
            #expect(socket.isClosed(within: Double(RealtimeServer.headerTimeout.nanoseconds) / 1e9 + 10))
        }
        await server.stop()
    }

    @Test func anIdleSessionIsClosedAfterItsTimeout() async throws {
        let server = try await LiveServer.start(settings: ["server.session_idle_timeout_s=10"])
        try await offPool {
            let socket = try RawWebSocket(port: server.port)
            #expect(try socket.upgrade().contains("101"))
            #expect(socket.isClosed(within: 30), "an idle session kept its slot")
        }
        await server.stop()
    }

    @Test func framingViolationsCloseTheConnectionAndNothingIsReplayed() async throws {
        let server = try await LiveServer.start(maxMessageKB: 64)
        try await offPool {
            // A continuation frame with no message open.
            let stray = try RawWebSocket(port: server.port)
            _ = try stray.upgrade()
            stray.sendText(#"{"type":"input_audio_buffer.clear"}"#)
            stray.send(RawWebSocket.frame(opcode: 0, payload: []))
            #expect(stray.closeCode(within: 10) == 1002)
            // A new text message in the middle of a fragmented one.
            let interleaved = try RawWebSocket(port: server.port)
            _ = try interleaved.upgrade()
            interleaved.send(RawWebSocket.frame(opcode: 2, payload: [1, 2], fin: false))
            interleaved.sendText(#"{"type":"input_audio_buffer.clear"}"#)
            #expect(interleaved.closeCode(within: 10) == 1002)
            // One frame far over the message limit is refused from its header.
            let huge = try RawWebSocket(port: server.port)
            _ = try huge.upgrade()
            huge.send(RawWebSocket.frame(opcode: 1, payload: [UInt8](repeating: 32, count: 1 << 20)))
            #expect(huge.closeCode(within: 10) == 1009)
        }
        let metrics = try await server.curl("/metrics")
        #expect(metrics.body.contains("rtd_ws_protocol_violations_total 2"), "\(metrics.body)")
        // The daemon goes on.
        try await RealtimeClient.session(server.url) { client in try await client.wait(for: "session.created") }
        await server.stop()
    }

    @Test func aFormatChangeDuringAReplyAppliesToTheNextOne() async throws {
        let server = try await LiveServer.start()
        try await RealtimeClient.session(server.url) { client in
            try await client.wait(for: "session.created")
            try await client.send(["type": "session.update", "session": ["max_output_tokens": 48]])
            try await client.send(["type": "conversation.item.create",
                                   "item": ["type": "message", "role": "user", "content": [["type": "input_text", "text": "Tell me about the sea in three sentences."]]]])
            try await client.send(["type": "response.create"])
            try await client.wait(for: "response.output_audio.delta")
            let opus: [String: Any] = ["type": "audio/opus", "rate": 48_000]
            try await client.send(["type": "session.update", "session": ["audio": ["output": ["format": opus]]]])
            let done = try await client.wait(for: "response.done", timeout: Patience.reply(answerTokens: 48))
            #expect(done[path: "response.status"] as? String == "completed")
            // The reply that began as PCM ended as PCM, at its own rate.
            #expect(client.snapshot.binary.isEmpty, "\(client.snapshot.binary.count) Opus packets in a PCM reply")
            let id = done[path: "response.id"] as? String ?? ""
            let ms = Int(done[path: "response.metadata.audio_ms"] as? String ?? "") ?? (done[path: "response.metadata.audio_ms"] as? Int ?? 0)
            let samples = try client.pcmAudio(response: id).count
            #expect(abs(samples - ms * 24) <= 4_800, "\(samples) samples for \(ms) ms")
        }
        await server.stop()
    }

    @Test func aTurnThatNeverEndsIsCommittedAtTheCap() async throws {
        let server = try await LiveServer.start()
        try await RealtimeClient.session(server.url) { client in
            try await client.wait(for: "session.created")
            try await client.send(["type": "session.update", "session": ["audio": ["input": ["turn_detection": [
                "type": "server_vad", "threshold": 0.01, "silence_duration_ms": 2_000, "create_response": false]]]]])
            try await client.wait(for: "session.updated")
            // 125 s of loud noise: speech that never pauses, sent 20 times faster than real time.
            var rng = SystemRandomNumberGenerator()
            let noise = (0..<(24_000 * 125)).map { _ in Float.random(in: -0.5...0.5, using: &rng) }
            try await client.sendPCM(noise, speed: 20)
            try await client.wait(for: "input_audio_buffer.committed", timeout: 60)
            #expect(client.events("error").filter { $0[path: "error.code"] as? String == "input_audio_buffer_full" }.isEmpty)
            #expect(!client.events("input_audio_buffer.speech_stopped").isEmpty)
        }
        await server.stop()
    }
}

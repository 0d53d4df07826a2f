import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import Streaming
import Synchronization
import Testing
@testable import RTBench

/// `rtbench run` against a server that breaks the protocol on purpose (the daemon never does,
/// so a scripted server stands in for a broken one): text that is not JSON, an event without
/// a type, undecodable audio, and the connection closed in the middle of a turn. The run goes
/// on (the session reconnects for the next utterance), and the report names each failure.
@Suite struct MisbehavingServerTests {
    /// The first connection misbehaves and closes mid-turn; later ones answer each turn properly.
    static func serve(onPort: @escaping @Sendable (Int) async -> Void) async throws {
        let connections = Mutex(0)
        var logger = Logger(label: "scripted-server")
        logger.logLevel = .critical
        let app = Application(
            router: Router(),
            server: .http1WebSocketUpgrade { _, _, _ in
                .upgrade([:]) { inbound, outbound, _ in
                    let number = connections.withLock { n in n += 1; return n }
                    func send(_ text: String) async throws { try await outbound.write(.text(text)) }
                    try await send(#"{"type":"session.created","session":{}}"#)
                    var frames = 0
                    for try await message in inbound.messages(maxSize: 1 << 20) {
                        guard case .text(let text) = message else { continue }
                        if text.contains("session.update") { try await send(#"{"type":"session.updated","session":{}}"#) }
                        guard text.contains("input_audio_buffer.append") else { continue }
                        frames += 1
                        guard frames == 20 else { continue }  // the speech (0.3 s) has been sent
                        if number == 1 {
                            try await send("this is not JSON")
                            try await send(#"{"no_type": true}"#)
                            try await send(#"{"type":"response.created","response":{"id":"r1"}}"#)
                            try await send(#"{"type":"response.output_audio.delta","response_id":"r1","delta":"@@not base64@@"}"#)
                            try await outbound.close(.unexpectedServerError, reason: "scripted failure")
                            return
                        }
                        let audio = Data(repeating: 0, count: 4_800).base64EncodedString()  // 100 ms
                        try await send(#"{"type":"response.created","response":{"id":"r\#(number)"}}"#)
                        try await send(#"{"type":"response.output_audio.delta","response_id":"r\#(number)","delta":"\#(audio)"}"#)
                        try await send(#"{"type":"response.done","response":{"id":"r\#(number)","status":"completed"}}"#)
                    }
                }
            },
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in await onPort(channel.localAddress?.port ?? 0) },
            logger: logger
        )
        try await app.run()
    }

    @Test func malformedEventsAndAClosedConnectionAreNamedAndTheRunGoesOn() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rtbench-bad-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        // Two utterances: 0.3 s of a loud tone each.
        for name in ["a", "b"] {
            let tone = (0..<7_200).map { Float(sin(Double($0) * 2 * .pi * 440 / 24_000) * 0.5) }
            try AudioFile.write(tone, sampleRate: 24_000, to: dir.appendingPathComponent("\(name).wav").path)
        }
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let server = Task { try await Self.serve { continuation.yield($0) } }
        defer { server.cancel() }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        let json = dir.appendingPathComponent("run.json")
        let (status, text) = try await Self.runOffPool(["run", dir.path, "--url", "ws://127.0.0.1:\(port)/v1/realtime",
                                                        "--trailing-silence", "0.2", "--turn-timeout", "5", "--json", json.path])
        #expect(status == 0, "\(text)")  // one turn got its reply
        #expect(text.contains("2 turns, 1 failed"), "\(text)")
        for failure in ["error: malformed_event: 2", "error: malformed_audio: 1", "error: connection_closed: 1"] {
            #expect(text.contains(failure), "no '\(failure)' in \(text)")
        }
        let report = try JSONDecoder().decode(RunReport.self, from: Data(contentsOf: json))
        #expect(report.turns.map(\.utterance) == ["a", "b"])
        #expect(report.turns[1].metrics.status == "completed")
        #expect(report.turns[1].metrics.replySeconds == 0.1)
    }

    /// The binary runs on its own thread: the scripted server in this process needs the pool.
    static func runOffPool(_ arguments: [String]) async throws -> (Int32, String) {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try CommandTests.run(arguments) }) }.start()
        }
    }
}

import Foundation
import AudioIO
import Streaming
import Testing
import TestSupport
@testable import RTBench

/// `rtbench run` against a server that breaks the protocol on purpose (the daemon never does,
/// so a scripted server stands in for a broken one: Clients/misbehaving_realtime_server.py, in
/// its own process): text that is not JSON, an event without a type, undecodable audio, and the
/// connection closed in the middle of a turn. The run goes on (the session reconnects for the
/// next utterance), and the report names each failure.
@Suite struct MisbehavingServerTests {
    @Test func malformedEventsAndAClosedConnectionAreNamedAndTheRunGoesOn() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rtbench-bad-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        // Two utterances: 0.3 s of a loud tone each.
        for name in ["a", "b"] {
            let tone = (0..<7_200).map { Float(sin(Double($0) * 2 * .pi * 440 / 24_000) * 0.5) }
            try AudioFile.write(tone, sampleRate: 24_000, to: dir.appendingPathComponent("\(name).wav").path)
        }
        let port = try LocalPort.free()
        let server = Process()
        server.executableURL = URL(fileURLWithPath: TestPython.path)
        server.arguments = [URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Clients/misbehaving_realtime_server.py").path,
                            "\(port)"]
        try server.run()
        defer { kill(server.processIdentifier, SIGKILL); server.waitUntilExit() }  // its asyncio loop outlives SIGTERM
        try #require(LocalPort.waitUntilListening(port), "the scripted server did not start")
        let json = dir.appendingPathComponent("run.json")
        let (status, text) = try CommandTests.run(["run", dir.path, "--url", "ws://127.0.0.1:\(port)/v1/realtime",
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
}

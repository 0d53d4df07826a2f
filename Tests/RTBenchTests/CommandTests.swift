import Foundation
import Testing
@testable import RTBench

/// The `rtbench` binary on recorded runs: good input gives the table and files, bad input a
/// clear error.
@Suite struct CommandTests {
    static var binary: URL {
        var dir = Bundle.main.bundleURL
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("rtbench")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: "rtbench")
    }

    static func run(_ arguments: [String]) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = binary
        p.arguments = arguments
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return (p.terminationStatus, text)
    }

    @Test func reportWritesTableCSVAndSVG() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rtbench-cmd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let turns = ReportTests.report().turns.map { TurnRecord(configuration: $0.configuration, utterance: $0.utterance, events: $0.events) }
        let input = dir.appendingPathComponent("turns.json")
        try JSONEncoder().encode(turns).write(to: input)
        let (status, text) = try Self.run(["report", input.path, "--csv", dir.path + "/t.csv", "--svg", dir.path + "/t.svg", "--json", dir.path + "/t.json"])
        #expect(status == 0, "\(text)")
        #expect(text.contains("first_packet_ms"))
        for name in ["t.csv", "t.svg", "t.json"] {
            #expect(FileManager.default.fileExists(atPath: dir.path + "/" + name))
        }
        let (againStatus, again) = try Self.run(["compare", dir.path + "/t.json", dir.path + "/t.json"])
        #expect(againStatus == 0)
        #expect(again.contains("within noise"))
    }

    @Test func badInputIsAClearError() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rtbench-bad-\(UUID().uuidString).json").path
        try "not json".write(toFile: path, atomically: true, encoding: .utf8)
        let (status, text) = try Self.run(["report", path])
        #expect(status != 0)
        #expect(text.contains("neither an rtbench report nor a list of recorded turns"))
        let (missingStatus, missing) = try Self.run(["report", "/nonexistent/run.json"])
        #expect(missingStatus != 0)
        #expect(missing.contains("cannot read /nonexistent/run.json"))
    }
}

import Foundation
import Testing

/// The shipped unit passes `systemd-analyze verify` (with ExecStart pointed at the binary just
/// built, since verify checks that the executable exists) and carries the settings we promise.
@Suite struct SystemdUnitTests {
    static let unitPath = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../systemd/realtime-daemon.service").standardized

    @Test func unitVerifies() throws {
        let text = try String(contentsOf: Self.unitPath, encoding: .utf8)
            .replacingOccurrences(of: "/usr/local/bin/realtime-daemon", with: ServeTests.binary.path)
        let dir = ServeTests.temporaryDirectory()
        let unit = dir.appendingPathComponent("realtime-daemon.service")
        try text.write(to: unit, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/systemd-analyze")
        process.arguments = ["verify", unit.path]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        process.waitUntilExit()
        let output = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 0, "systemd-analyze: \(output)")
        #expect(!output.contains("realtime-daemon.service:"), "warnings about our unit: \(output)")
    }

    @Test func unitHasPromisedSettings() throws {
        let text = try String(contentsOf: Self.unitPath, encoding: .utf8)
        for line in ["Type=notify", "WatchdogSec=", "Restart=on-failure", "NoNewPrivileges=yes", "ProtectSystem=strict",
                     "ProtectHome=yes", "PrivateTmp=yes", "User=realtime-daemon", "SupplementaryGroups=audio", "LimitRTPRIO="] {
            #expect(text.contains(line), "\(line) missing")
        }
    }
}

import Foundation
import Testing
@testable import RealtimeDaemon

/// The server's bookkeeping for what clients may hold, and the configuration's secrets.
@Suite struct ServerLimitsTests {
    @Test func failedAuthenticationsBlockAPeerForAWindow() {
        let limiter = AuthFailureLimiter()
        let start = ContinuousClock.now
        for i in 0..<AuthFailureLimiter.allowed {
            #expect(!limiter.isBlocked("10.0.0.1", now: start))
            #expect(limiter.record("10.0.0.1", now: start) == (i < 3))  // only the first few are logged
        }
        #expect(limiter.isBlocked("10.0.0.1", now: start + .seconds(1)))
        #expect(!limiter.isBlocked("10.0.0.2", now: start + .seconds(1)))
        #expect(!limiter.isBlocked("10.0.0.1", now: start + AuthFailureLimiter.window + .seconds(1)))
    }

    @Test func pendingOutputTripsAtItsLimitAndStays() {
        let pending = PendingOutput(limit: 1_000)
        #expect(pending.add(600))
        pending.remove(600)
        #expect(pending.add(900))
        #expect(!pending.add(200))
        #expect(pending.overflowed)
        pending.remove(900)
        #expect(!pending.add(1), "a client that once stopped reading is not trusted again")
    }

    @Test func secretsAreNotPrintedInErrors() throws {
        let loader = ConfigurationLoader(environment: [:])
        #expect(throws: ConfigurationError.self) { try loader.load(file: nil, overrides: ["server.token:s3cr3t"]) }
        do { _ = try loader.load(file: nil, overrides: ["server.token:s3cr3t"]) } catch {
            #expect(!error.description.contains("s3cr3t"), "\(error)")
        }
        let yaml = FileManager.default.temporaryDirectory.appendingPathComponent("rtd-\(UUID().uuidString).yaml")
        try "server:\n  token: ab: s3cr3t\n".write(to: yaml, atomically: true, encoding: .utf8)
        do { _ = try loader.load(file: yaml.path, overrides: []) } catch {
            #expect(!error.description.contains("s3cr3t"), "\(error)")
        }
    }

    @Test func theTokenComesFromAFileOrASystemdCredential() throws {
        let dir = ServeTests.temporaryDirectory()
        let file = dir.appendingPathComponent("token")
        try "from-file\n".write(to: file, atomically: true, encoding: .utf8)
        let loader = ConfigurationLoader(environment: [:])
        let viaFile = try DaemonConfiguration(try loader.load(file: nil, overrides: ["server.token_file=\(file.path)"]), environment: [:])
        #expect(viaFile.server.token == "from-file")
        let credentials = dir.appendingPathComponent("credentials")
        try FileManager.default.createDirectory(at: credentials, withIntermediateDirectories: true)
        try "from-systemd".write(to: credentials.appendingPathComponent("server.token"), atomically: true, encoding: .utf8)
        let viaCredential = try DaemonConfiguration(try loader.load(file: nil, overrides: []), environment: ["CREDENTIALS_DIRECTORY": credentials.path])
        #expect(viaCredential.server.token == "from-systemd")
        // The installed unit passes an empty credential when no token is wanted.
        try "".write(to: credentials.appendingPathComponent("server.token"), atomically: true, encoding: .utf8)
        let none = try DaemonConfiguration(try loader.load(file: nil, overrides: []), environment: ["CREDENTIALS_DIRECTORY": credentials.path])
        #expect(none.server.token == nil)
    }
}

import Foundation
import AudioIO
import Streaming
import Testing

/// Runs the real `realtime-daemon` binary: serve with ALSA devices from the file plugin, under a
/// notify socket as systemd provides one, and stop it with SIGTERM.
@Suite(.serialized) struct ServeTests {
    static var binary: URL {
        // The test bundle sits beside the products of the same build.
        let candidates = [Bundle.main.bundleURL, Bundle.main.bundleURL.deletingLastPathComponent(),
                          URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()]
        for dir in candidates {
            var d = dir
            for _ in 0..<4 {
                let candidate = d.appendingPathComponent("realtime-daemon")
                if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
                d = d.deletingLastPathComponent()
            }
        }
        return URL(fileURLWithPath: "realtime-daemon")
    }

    static func temporaryDirectory() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("rtd-serve-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A unix datagram socket standing in for systemd's notify socket.
    final class NotifySocket {
        let path: String
        let fd: Int32

        init(path: String) {
            self.path = path
            fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
            var addr = sockaddr_un()
            addr.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &addr.sun_path) { raw in
                for (i, b) in path.utf8.enumerated() where i < raw.count - 1 { raw[i] = b }
            }
            _ = withUnsafePointer(to: &addr) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }

        deinit { close(fd); unlink(path) }

        /// Messages received within `seconds`.
        func receive(for seconds: Double) -> [String] {
            var messages = [String]()
            let deadline = Date().addingTimeInterval(seconds)
            var buffer = [UInt8](repeating: 0, count: 4096)
            while Date() < deadline {
                let n = recv(fd, &buffer, buffer.count, 0)
                if n > 0 { messages.append(String(decoding: buffer[0..<n], as: UTF8.self)) }
            }
            return messages
        }
    }

    /// Runs `realtime-daemon` with `arguments` (or `executable` with its own arguments).
    /// `removing`: variables of the test's own environment the child must not see.
    static func run(_ arguments: [String], environment: [String: String] = [:], removing: [String] = [], executable: URL? = nil,
                    arguments executableArguments: [String]? = nil) throws -> (Process, Pipe) {
        let process = Process()
        process.executableURL = executable ?? binary
        process.arguments = executableArguments ?? arguments
        var env = ProcessInfo.processInfo.environment
        for key in removing { env[key] = nil }
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = Pipe()
        try process.run()
        return (process, errors)
    }

    @Test func serveOpensFileDevicesNotifiesSystemdAndStopsOnSIGTERM() throws {
        let dir = Self.temporaryDirectory()
        let raw = dir.appendingPathComponent("mic.raw")
        try Data(repeating: 0, count: 32_000).write(to: raw)
        let alsa = dir.appendingPathComponent("asound.conf")
        try """
            pcm.testmic { type file; slave.pcm "null"; file "/dev/null"; infile "\(raw.path)"; format "raw" }
            pcm.testspeaker { type file; slave.pcm "null"; file "\(dir.path)/speaker.raw"; format "raw" }
            """.write(to: alsa, atomically: true, encoding: .utf8)
        let notify = NotifySocket(path: dir.appendingPathComponent("notify").path)
        let (process, errors) = try Self.run(
            ["serve", "--set", "audio.enabled=on", "--set", "audio.capture_device=testmic", "--set", "audio.playback_device=testspeaker",
             "--set", "audio.alsa_config=\(alsa.path)", "--set", "server.port=0"],
            environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "400000"])
        // Loading the models takes a few seconds; then READY, then watchdog pings.
        var messages: [String] = []
        for _ in 0..<60 where !messages.contains(where: { $0.contains("WATCHDOG=1") }) { messages += notify.receive(for: 0.5) }
        kill(process.processIdentifier, SIGTERM)
        messages += notify.receive(for: 1.0)
        process.waitUntilExit()
        let log = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 0, "log: \(log)")
        #expect(log.contains("audio devices open"))
        #expect(log.contains("audio devices closed"))
        #expect(log.contains("models loaded"))
        #expect(log.contains("listening"))
        #expect(messages.contains { $0.contains("READY=1") })
        #expect(messages.contains { $0.contains("WATCHDOG=1") })
        #expect(messages.contains { $0.contains("STOPPING=1") })
        // The speaker got period after period of silence while idle.
        let played = (try? FileManager.default.attributesOfItem(atPath: dir.path + "/speaker.raw")[.size] as? Int) ?? 0
        #expect(played > 0)
    }

    /// The local voice loop end to end through ALSA's file plugin: a spoken question on the
    /// "microphone" gets a spoken reply on the "speaker".
    @Test func localVoiceLoopAnswersASpokenQuestion() throws {
        let dir = Self.temporaryDirectory()
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../EngineTests/Fixtures/whisper/audio").standardized
        let question = try AudioFile.read(path: fixtures.appendingPathComponent("piper-02.flac").path, sampleRate: 16_000).samples
        let silence = [Float](repeating: 0, count: 16_000)
        let mic = silence + question + silence + silence + silence + silence
        try Data(SampleConversion.floatToPCM16LE(mic)).write(to: dir.appendingPathComponent("mic.raw"))
        let alsa = dir.appendingPathComponent("asound.conf")
        try """
            pcm.testmic { type file; slave.pcm "null"; file "/dev/null"; infile "\(dir.path)/mic.raw"; format "raw" }
            pcm.testspeaker { type file; slave.pcm "null"; file "\(dir.path)/speaker.raw"; format "raw" }
            """.write(to: alsa, atomically: true, encoding: .utf8)
        let (process, errors) = try Self.run(
            ["serve", "--set", "audio.enabled=on", "--set", "audio.capture_device=testmic", "--set", "audio.playback_device=testspeaker",
             "--set", "audio.alsa_config=\(alsa.path)", "--set", "server.port=0", "--set", "audio.playback_rate=48000"])
        // Wait for the reply to be logged (the question starts 1 s in and lasts about 2 s), then
        // for its audio to be played, then stop.
        var log = ""
        let reader = errors.fileHandleForReading
        let deadline = Date().addingTimeInterval(90)
        while Date() < deadline, !log.contains("replied") {
            let data = reader.availableData
            if data.isEmpty { break }
            log += String(decoding: data, as: UTF8.self)
        }
        // The reply plays in real time: wait until the speaker has been quiet for 1.5 s.
        let speaker = dir.appendingPathComponent("speaker.raw")
        func loudPeriods() -> Int {
            let played = (try? SampleConversion.pcm16LEToFloat((try? Data(contentsOf: speaker)) ?? Data())) ?? []
            return stride(from: 0, to: max(0, played.count - 960), by: 960).filter { start in
                played[start..<start + 960].map { $0 * $0 }.reduce(0, +) / 960 > 1e-5
            }.count
        }
        var (last, steady) = (-1, 0)
        while Date() < deadline, steady < 3 {
            Thread.sleep(forTimeInterval: 0.5)
            let now = loudPeriods()
            (last, steady) = (now, now == last && now > 0 ? steady + 1 : 0)
        }
        kill(process.processIdentifier, SIGTERM)
        log += String(decoding: reader.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "log: \(log)")
        #expect(log.contains("local voice loop running"))
        #expect(log.contains("heard"), "log: \(log)")
        #expect(log.contains("status=completed"), "log: \(log)")
        // The speaker played the reply: seconds of sound, and it says what the log says was said.
        let raw = try Data(contentsOf: speaker)
        let played = try SampleConversion.pcm16LEToFloat(raw)
        let loud = stride(from: 0, to: played.count - 960, by: 960).filter { start in
            played[start..<start + 960].map { $0 * $0 }.reduce(0, +) / 960 > 1e-5
        }
        #expect(loud.count > 25, "\(loud.count) loud 20 ms periods on the speaker")
        let said = log.components(separatedBy: "said=").last?.components(separatedBy: " status=").first ?? ""
        let heard = try LiveModels.transcribe24kBlocking(try Resampler.resample(played, from: 48_000, to: 24_000))
        #expect(letterErrorRate(written: said, heard: heard) <= 0.25, "said '\(said)', the speaker played '\(heard)'")
    }

    @Test func missingModelsAreNamedWithTheFix() throws {
        let dir = Self.temporaryDirectory()
        let (process, errors) = try Self.run(["serve", "--models-dir", dir.appendingPathComponent("models").path, "--set", "server.port=0"])
        process.waitUntilExit()
        let log = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 1)
        #expect(log.contains("realtime-daemon models fetch --models-dir"))
    }

    @Test func requiredAudioThatCannotOpenFailsClearly() throws {
        let (process, errors) = try Self.run(["serve", "--set", "audio.enabled=on", "--set", "audio.capture_device=no_such_pcm"])
        process.waitUntilExit()
        let log = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 1)
        #expect(log.contains("ALSA device 'no_such_pcm': open failed"))
    }

    @Test func badConfigurationIsRefusedBeforeStarting() throws {
        let (process, errors) = try Self.run(["serve", "--set", "audio.period_ms=abc"])
        process.waitUntilExit()
        let log = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus != 0)
        #expect(log.contains("audio.period_ms"))
    }

    @Test func modelsCommandsReportMissingModels() throws {
        let dir = Self.temporaryDirectory().path
        let (verify, verifyErrors) = try Self.run(["models", "verify", "--models-dir", dir])
        verify.waitUntilExit()
        #expect(verify.terminationStatus == 1)
        let text = String(decoding: verifyErrors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(text.contains("Fix: realtime-daemon models fetch --models-dir \(dir)"))
    }

    /// READY=1 means answering: with the port taken, the daemon fails and never says ready.
    @Test func readyIsSentOnlyOnceThePortIsBound() throws {
        let dir = Self.temporaryDirectory()
        let blocker = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(blocker) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(blocker, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        listen(blocker, 1)
        var bound = sockaddr_in(), length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &bound) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(blocker, $0, &length) } }
        let port = Int(UInt16(bigEndian: bound.sin_port))
        let notify = NotifySocket(path: dir.appendingPathComponent("notify").path)
        let (process, errors) = try Self.run(["serve", "--set", "audio.enabled=off", "--set", "server.port=\(port)"],
                                             environment: ["NOTIFY_SOCKET": notify.path])
        var messages: [String] = []
        while process.isRunning { messages += notify.receive(for: 0.5) }
        messages += notify.receive(for: 0.2)
        let log = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus != 0, "\(log)")
        #expect(!messages.contains { $0.contains("READY=1") }, "\(messages)")
    }

    /// A speaker that fails while the daemon runs (writes to /dev/full fail, as an unplugged USB
    /// device's do): the WebSocket side goes on, the devices are reopened once they work again.
    @Test func aFailingDeviceIsReopenedWhileSessionsGoOn() async throws {
        let dir = Self.temporaryDirectory()
        try Data(repeating: 0, count: 320_000).write(to: dir.appendingPathComponent("mic.raw"))
        let speaker = dir.appendingPathComponent("speaker.raw")
        try FileManager.default.createSymbolicLink(atPath: speaker.path, withDestinationPath: "/dev/full")
        let alsa = dir.appendingPathComponent("asound.conf")
        try """
            pcm.testmic { type file; slave.pcm "null"; file "/dev/null"; infile "\(dir.path)/mic.raw"; format "raw" }
            pcm.testspeaker { type file; slave.pcm "null"; file "\(speaker.path)"; format "raw" }
            """.write(to: alsa, atomically: true, encoding: .utf8)
        let server = try await LiveServer.start(settings: [
            "audio.enabled=on", "audio.capture_device=testmic", "audio.playback_device=testspeaker", "audio.alsa_config=\(alsa.path)"])
        // The speaker fails at once; the server keeps serving sessions meanwhile.
        try await Task.sleep(for: .seconds(2))
        #expect(server.isRunning)
        try await RealtimeClient.session(server.url) { client in try await client.wait(for: "session.created") }
        // The "device" comes back: the next reopen succeeds.
        try FileManager.default.removeItem(at: speaker)
        FileManager.default.createFile(atPath: speaker.path, contents: nil)
        var reopened = false
        for _ in 0..<100 where !reopened {
            try await Task.sleep(for: .milliseconds(200))
            reopened = server.log.contains("audio devices reopened")
        }
        let log = server.log
        #expect(log.contains("audio device failed"), "\(log)")
        #expect(reopened, "\(log)")
        #expect(server.isRunning)
        let metrics = try await server.curl("/metrics")
        #expect(metrics.body.contains("rtd_audio_device_failures_total"))
        await server.stop()
    }
}

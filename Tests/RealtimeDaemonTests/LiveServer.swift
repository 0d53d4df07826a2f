import Engine
import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import NIOCore
import ServiceLifecycle
import AudioIO
import Streaming
import Synchronization
import TTS
@testable import RealtimeDaemon

/// The real models, loaded once for all live tests.
enum LiveModels {
    static let shared: Result<SessionServices, any Error> = Result {
        let resolved = try ConfigurationLoader(environment: ProcessInfo.processInfo.environment).load(file: nil, overrides: [])
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        return try ModelSet.load(try DaemonConfiguration(resolved), logger: logger)
    }

    static func services() throws -> SessionServices { try shared.get() }

    /// A spoken question from the project's voice, 24 kHz.
    static func question(_ text: String) async throws -> [Float] {
        try await offPool { try questionBlocking(text) }
    }

    static func questionBlocking(_ text: String) throws -> [Float] {
        let speech = try services().voice as! SpeechReplyVoice
        let audio = try speech.voice.synthesize(text, cancellation: nil)
        return try Resampler.resample(audio, from: speech.voice.sampleRate, to: 24_000)
    }

    /// What Whisper hears in 24 kHz reply audio.
    static func transcribe24k(_ audio: [Float]) async throws -> String {
        try await offPool { try transcribe24kBlocking(audio) }
    }

    static func transcribe24kBlocking(_ audio: [Float]) throws -> String {
        try services().transcriber.transcribeLong(try Resampler.resample(audio, from: 24_000, to: 16_000)).text
    }
}

/// The real daemon (`realtime-daemon serve`) on a free loopback port, in its own process as in
/// production (so nothing this test process blocks can slow its handshakes), stopped by SIGTERM.
final class LiveServer: Sendable {
    let port: Int
    private let process: Process

    /// The realtime endpoint, asking for this daemon's extensions (reasoning, timings).
    var url: String { "ws://127.0.0.1:\(port)/v1/realtime?model=test&extensions=reasoning,timings" }
    /// The endpoint as a strict OpenAI client uses it: no extensions.
    var plainURL: String { "ws://127.0.0.1:\(port)/v1/realtime?model=test" }
    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    /// The daemon's resident memory, in MB.
    var residentMB: Double {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return (Double(line.split(separator: " ").dropFirst().first ?? "") ?? 0) / 1024
    }

    /// Open sessions, as /healthz reports them.
    func openSessions() async throws -> Int {
        let body = try await curl("/healthz").body
        return ((try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any])?["sessions"] as? Int ?? -1
    }
    var httpBase: String { "http://127.0.0.1:\(port)" }

    /// `settings`: more `--set key=value` pairs (the remote engine's, for instance).
    static func start(token: String? = nil, origins: [String] = [], maxSessions: Int = 4, maxMessageKB: Int = 1024,
                      settings: [String] = []) async throws -> LiveServer {
        try await offPool { try startBlocking(token: token, origins: origins, maxSessions: maxSessions, maxMessageKB: maxMessageKB, settings: settings) }
    }

    private static func startBlocking(token: String?, origins: [String], maxSessions: Int, maxMessageKB: Int, settings: [String]) throws -> LiveServer {
        var arguments = ["serve", "--set", "server.port=0", "--set", "audio.enabled=off", "--set", "server.max_sessions=\(maxSessions)",
                         "--set", "server.max_message_kb=\(maxMessageKB)", "--log-level", "info"]
        for setting in settings { arguments += ["--set", setting] }
        if let token { arguments += ["--set", "server.token=\(token)"] }
        if !origins.isEmpty { arguments += ["--set", "server.allowed_origins=\(origins.joined(separator: ","))"] }
        let (process, errors) = try ServeTests.run(arguments)
        // The log names the URL once the models are loaded and the port is bound.
        var log = ""
        let reader = errors.fileHandleForReading
        while !log.contains("/v1/realtime") {
            let data = reader.availableData
            guard !data.isEmpty else { throw LiveTestError.timeout("the daemon exited: \(log)") }
            log += String(decoding: data, as: UTF8.self)
        }
        let afterHost = log.components(separatedBy: "ws://127.0.0.1:").last ?? ""
        guard let port = Int(afterHost.prefix { $0.isNumber }) else { throw LiveTestError.timeout("no port in: \(log)") }
        // Keep draining the log so the daemon never blocks on a full pipe; keep it for the tests.
        let server = LiveServer(port: port, process: process, log: log)
        Thread {
            while true {
                let data = reader.availableData
                if data.isEmpty { break }
                server.logText.withLock { $0 += String(decoding: data, as: UTF8.self) }
            }
        }.start()
        return server
    }

    private let logText: Mutex<String>

    /// What the daemon has logged so far.
    var log: String { logText.withLock { $0 } }

    private init(port: Int, process: Process, log: String) {
        self.port = port
        self.process = process
        self.logText = Mutex(log)
    }

    func stop() async {
        kill(process.processIdentifier, SIGTERM)
        _ = try? await offPool { [process] in process.waitUntilExit() }
    }

    /// An HTTP request with curl (a client we did not write); returns the status code and body.
    /// Runs off the cooperative pool: the server in this process needs it to answer.
    func curl(_ path: String, headers: [String] = [], upgrade: Bool = false) async throws -> (status: Int, body: String) {
        try await offPool { try self.curlBlocking(path, headers: headers, upgrade: upgrade) }
    }

    private func curlBlocking(_ path: String, headers: [String], upgrade: Bool) throws -> (status: Int, body: String) {
        var arguments = ["-s", "--max-time", upgrade ? "2" : "20", "-o", "-", "-w", "\n%{http_code}"]
        if upgrade {
            arguments += ["-H", "Connection: Upgrade", "-H", "Upgrade: websocket", "-H", "Sec-WebSocket-Version: 13",
                          "-H", "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ=="]
        }
        for h in headers { arguments += ["-H", h] }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = arguments + [httpBase + path]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        return (Int(lines.last ?? "") ?? 0, lines.dropLast().joined(separator: "\n"))
    }
}

/// A scripted realtime client over a real WebSocket: send events and audio, wait for events.
final class RealtimeClient: Sendable {
    struct Received: @unchecked Sendable {
        var events: [[String: Any]] = []
        var binary: [[UInt8]] = []
        /// Index into `events` at which each binary frame arrived.
        var binaryAfterEvent: [Int] = []
        var closed = false
    }

    let outbound: WebSocketOutboundWriter
    private let received = Mutex(Received())

    init(outbound: WebSocketOutboundWriter) { self.outbound = outbound }

    /// Connects, runs `body` with the client, then closes.
    static func session(_ url: String, headers: HTTPFields = [:], body: @escaping @Sendable (RealtimeClient) async throws -> Void) async throws {
        var configuration = WebSocketClientConfiguration()
        configuration.maxFrameSize = 1 << 24
        configuration.additionalHeaders = headers
        var logger = Logger(label: "client")
        logger.logLevel = .warning
        try await WebSocketClient.connect(url: url, configuration: configuration, logger: logger) { inbound, outbound, _ in
            let client = RealtimeClient(outbound: outbound)
            let reader = Task {
                for try await message in inbound.messages(maxSize: 1 << 24) {
                    client.store(message)
                }
                client.received.withLock { $0.closed = true }
            }
            defer { reader.cancel() }
            try await body(client)
            try await outbound.close(.normalClosure, reason: nil)
        }
    }

    private func store(_ message: WebSocketMessage) {
        received.withLock { r in
            switch message {
            case .text(let text):
                if let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] { r.events.append(object) }
            case .binary(let buffer):
                r.binary.append(Array(buffer.readableBytesView))
                r.binaryAfterEvent.append(r.events.count)
            }
        }
    }

    var snapshot: Received { received.withLock { $0 } }
    var events: [[String: Any]] { snapshot.events }
    func events(_ type: String) -> [[String: Any]] { events.filter { $0["type"] as? String == type } }

    func send(_ event: [String: Any]) async throws {
        let data = try JSONSerialization.data(withJSONObject: event)
        try await outbound.write(.text(String(decoding: data, as: UTF8.self)))
    }

    func sendText(_ text: String) async throws { try await outbound.write(.text(text)) }
    func sendBinary(_ bytes: [UInt8]) async throws { try await outbound.write(.binary(ByteBuffer(bytes: bytes))) }

    /// Waits for the `count`-th event of `type` (and returns it), failing after `timeout` seconds.
    @discardableResult
    func wait(for type: String, count: Int = 1, timeout: Double = Patience.reply(), where predicate: @Sendable ([String: Any]) -> Bool = { _ in true }) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + .milliseconds(Int(timeout * 1000))
        while ContinuousClock.now < deadline {
            let matches = events(type).filter(predicate)
            if matches.count >= count { return matches[count - 1] }
            if snapshot.closed { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        throw LiveTestError.timeout("no \(type) (#\(count)); got \(events.compactMap { $0["type"] as? String })")
    }

    /// Streams 24 kHz audio as PCM appends in 20 ms frames, `speed` times faster than real time.
    func sendPCM(_ audio: [Float], speed: Double = 1) async throws {
        for start in stride(from: 0, to: audio.count, by: 480) {
            let frame = Array(audio[start..<min(audio.count, start + 480)])
            try await send(["type": "input_audio_buffer.append", "audio": SampleConversion.floatToBase64PCM16(frame)])
            try await Task.sleep(for: .microseconds(Int(20_000 / speed)))
        }
    }

    /// The reply audio received as PCM deltas for a response.
    func pcmAudio(response id: String) throws -> [Float] {
        var audio: [Float] = []
        for event in events("response.output_audio.delta") where event["response_id"] as? String == id {
            audio += try SampleConversion.base64PCM16ToFloat(event["delta"] as? String ?? "")
        }
        return audio
    }
}

/// How far what was heard is from what was written, letters only (0 = the same): robust to
/// word splits ("Santoramazona" heard as "Santora Amazona") and punctuation.
func letterErrorRate(written: String, heard: String) -> Double {
    let letters = { (s: String) in Array(s.lowercased().filter { $0.isLetter || $0.isNumber }) }
    let a = letters(written), b = letters(heard)
    return Double(EditDistance.levenshtein(a, b)) / Double(max(a.count, 1))
}

/// How long a live test waits, derived from the work it waits for at rates far below this
/// project's (a reasoner at 15 tokens/s, a voice at real time): the suite must pass on a machine
/// several times slower, so a wait only bounds a hang and never checks speed.
enum Patience {
    /// Loading, a transcription pass, a session's start.
    static let fixed = 10.0
    static let tokensPerSecond = 15.0
    /// Seconds of speech per answer token (about 0.3 s), synthesised no faster than real time.
    static let speechSecondsPerToken = 0.4

    /// A whole reply of at most these many tokens (the session's defaults: 96 and 64).
    static func reply(answerTokens: Int = 96, reasoningTokens: Int = 64) -> Double {
        fixed + Double(answerTokens + reasoningTokens) / tokensPerSecond + Double(answerTokens) * speechSecondsPerToken
    }
}

enum LiveTestError: Error, CustomStringConvertible {
    case timeout(String)
    var description: String { switch self { case .timeout(let s): "timeout: \(s)" } }
}

/// Runs blocking work (a subprocess, a model) on a plain thread, so that the in-process server
/// keeps the cooperative pool (two threads on two cores) to answer with.
func offPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread { continuation.resume(with: Result { try body() }) }.start()
    }
}

/// Runs a program to its end off the cooperative pool; returns its exit status, standard output
/// and standard error (written to a file, so that neither pipe can fill up and stall it).
func runToEnd(_ executable: URL, _ arguments: [String]) async throws -> (status: Int32, out: Data, err: String) {
    try await offPool {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let errFile = FileManager.default.temporaryDirectory.appendingPathComponent("child-\(UUID().uuidString).err")
        FileManager.default.createFile(atPath: errFile.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errFile) }
        let out = Pipe()
        process.standardOutput = out
        process.standardError = try FileHandle(forWritingTo: errFile)
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, data, (try? String(contentsOf: errFile, encoding: .utf8)) ?? "")
    }
}

/// The audio from its first to its last sample louder than −40 dBFS.
func trimSilence(_ audio: [Float]) -> [Float] {
    guard let first = audio.firstIndex(where: { abs($0) > 0.01 }), let last = audio.lastIndex(where: { abs($0) > 0.01 }) else { return [] }
    return Array(audio[first...last])
}

/// Silence of `seconds` at 24 kHz (with a little noise, as a real microphone has).
func silence24k(_ seconds: Double) -> [Float] {
    var rng = SplitMix64(seed: 7)
    return (0..<Int(seconds * 24_000)).map { _ in Float(rng.nextUnitDouble() - 0.5) * 0.0004 }
}

extension Dictionary where Key == String, Value == Any {
    subscript(path path: String) -> Any? {
        var current: Any? = self
        for key in path.split(separator: ".") { current = (current as? [String: Any])?[String(key)] }
        return current
    }
}

import Engine
import RemoteEngine
import ModelStore
import Foundation
import Testing
import TestSupport

/// A helper process: llama.cpp's OpenAI-compatible server (from the llama-cpp-python package)
/// serving the SmolLM2 GGUF, or the deliberately broken endpoint of Clients/broken_openai_server.py.
final class ModelServerProcess: Sendable {
    let port: Int
    let process: Process
    /// Where the server's own output goes.
    let log: URL

    var baseURL: String { "http://127.0.0.1:\(port)/v1" }

    private init(port: Int, process: Process, log: URL) {
        self.port = port
        self.process = process
        self.log = log
    }

    var logText: String { (try? String(contentsOf: log, encoding: .utf8)) ?? "" }

    /// llama.cpp's server on a free port, one thread, the model called `smollm2`. `chatFormat`
    /// nil: the GGUF's own template (which shows the model tool messages; the chatml formats of
    /// llama-cpp-python drop them).
    static func llama(chatFormat: String? = "chatml") async throws -> ModelServerProcess {
        try await offPool {
            let gguf = try #require(ModelStore(directory: ModelStore.defaultDirectory()).path(role: .reasoner, endingWith: ".gguf"))
            let port = try LocalPort.free()
            let log = FileManager.default.temporaryDirectory.appendingPathComponent("llama-server-\(port).log")
            let format = chatFormat.map { ["--chat_format", $0] } ?? []
            let process = try spawn(["-m", "llama_cpp.server", "--model", gguf.path, "--host", "127.0.0.1", "--port", "\(port)",
                                     "--n_ctx", "2048", "--n_threads", "1", "--model_alias", "smollm2",
                                     // Queue concurrent requests (think while speaking sends two) rather than end
                                     // the streaming one early, as this server does by default.
                                     "--interrupt_requests", "False"] + format, log: log)
            let server = ModelServerProcess(port: port, process: process, log: log)
            for _ in 0..<200 {
                if answers(server.baseURL + "/models") { return server }
                guard process.isRunning else { break }
                usleep(100_000)
            }
            server.stop()
            throw LiveTestError.timeout("llama.cpp's server did not start (is llama-cpp-python[server] installed? scripts/test.sh does it)")
        }
    }

    /// The broken endpoint in `mode` (slow, garbage, error500, cutshort).
    static func broken(_ mode: String) async throws -> ModelServerProcess {
        try await offPool {
            let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Clients/broken_openai_server.py").path
            let port = try LocalPort.free()
            let log = FileManager.default.temporaryDirectory.appendingPathComponent("broken-server-\(port).log")
            let server = ModelServerProcess(port: port, process: try spawn([script, mode, "\(port)"], log: log), log: log)
            for _ in 0..<100 {
                if answers("http://127.0.0.1:\(port)/ready") { return server }
                usleep(50_000)
            }
            server.stop()
            throw LiveTestError.timeout("the broken server (\(mode)) did not start")
        }
    }

    /// A short completion asked directly (not streamed), waiting as long as the server makes it:
    /// it runs only once the server has nothing else to do.
    func complete(_ prompt: String, maxTokens: Int) async throws -> Bool {
        let body = #"{"model":"smollm2","max_tokens":\#(maxTokens),"messages":[{"role":"user","content":"\#(prompt)"}]}"#
        let url = baseURL + "/chat/completions"
        return try await offPool { Self.curlSucceeds(["--max-time", "600", "-H", "Content-Type: application/json", "-d", body, url]) }
    }

    /// Whether `url` answers 200 (asked with curl).
    static func answers(_ url: String) -> Bool { curlSucceeds(["--max-time", "2", url]) }

    /// Whether curl, with `arguments`, gets a successful answer (the body is dropped).
    private static func curlSucceeds(_ arguments: [String]) -> Bool {
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = ["-sf", "-o", "/dev/null"] + arguments
        guard (try? curl.run()) != nil else { return false }
        curl.waitUntilExit()
        return curl.terminationStatus == 0
    }

    private static func spawn(_ arguments: [String], log: URL) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: TestPython.path)
        process.arguments = arguments
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }

    /// CPU time the server process has used so far, in seconds (user + system, from /proc).
    var cpuSeconds: Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command name: state is field 3, utime 14 and stime 15 (1-based, whole line).
        let utime = Double(fields[11]) ?? 0, stime = Double(fields[12]) ?? 0
        return (utime + stime) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    func stop() {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

/// The remote engine against a real OpenAI-compatible server on loopback (llama.cpp's, serving
/// SmolLM2), over the daemon's WebSocket; and against servers that are down, slow or broken.
@Suite(.serialized) struct RemoteEngineTests {
    static func remoteSettings(_ server: ModelServerProcess, _ more: [String] = []) -> [String] {
        ["reply.engine=remote", "remote.url=\(server.baseURL)", "remote.model=smollm2"] + more
    }

    /// A typed question; returns the error message and response status the session reported.
    static func typedTurn(_ client: RealtimeClient, _ text: String, count: Int) async throws -> (error: String, status: String) {
        try await client.send(["type": "conversation.item.create",
                               "item": ["type": "message", "role": "user", "content": [["type": "input_text", "text": text]]]])
        try await client.send(["type": "response.create"])
        let done = try await client.wait(for: "response.done", count: count, timeout: Patience.reply())
        let errors = client.events("error").compactMap { $0[path: "error.message"] as? String }
        return (errors.last ?? "", done[path: "response.status"] as? String ?? "")
    }

    @Test func aSpokenTurnGoesThroughLlamaCppsServerAndBargeInStopsItsGeneration() async throws {
        let llama = try await ModelServerProcess.llama()
        defer { llama.stop() }
        let server = try await LiveServer.start(settings: Self.remoteSettings(llama))
        let question = try await LiveModels.question(RealtimeServerTests.question) + silence24k(1.5)
        // Trimmed, and no comma: a pause in or after it would start a (speculative) reply, and a
        // new request.
        let stop = trimSilence(try await LiveModels.question("Wait a moment"))
        try await RealtimeClient.session(server.url) { client in
            let created = try await client.wait(for: "session.created")
            #expect((created[path: "session.model"] as? String ?? "") != "" || created["session"] != nil)
            try await client.sendPCM(question, speed: 2)
            let done = try await client.wait(for: "response.done", timeout: Patience.reply())
            #expect(done[path: "response.status"] as? String == "completed", "\(done)")
            // `overloaded` may be said (a slow first request); nothing else may go wrong.
            let errors = client.events("error").compactMap { $0[path: "error.code"] as? String }.filter { $0 != "overloaded" }
            #expect(errors.isEmpty, "errors: \(errors)")
            let transcript = try await client.wait(for: "conversation.item.input_audio_transcription.completed")["transcript"] as? String ?? ""
            #expect(transcript.lowercased().contains("capital"), "heard: \(transcript)")
            #expect(!client.events("rtd.response.reasoning.delta").isEmpty, "no reasoning events")
            let answer = try await client.wait(for: "response.output_audio_transcript.done")["transcript"] as? String ?? ""
            #expect(!answer.isEmpty)
            let reply = try client.pcmAudio(response: done[path: "response.id"] as? String ?? "")
            #expect(reply.count > 12_000, "reply audio: \(reply.count) samples")
            let heard = try await LiveModels.transcribe24k(reply)
            #expect(letterErrorRate(written: answer, heard: heard) <= 0.25, "answer '\(answer)' heard as '\(heard)'")

            // A long reply, interrupted by speech while the server is still writing it.
            try await client.send(["type": "session.update", "session": ["max_output_tokens": 1_500]])
            try await client.wait(for: "session.updated")
            try await client.send(["type": "conversation.item.create", "item": ["type": "message", "role": "user", "content": [
                ["type": "input_text", "text": "Tell me a very long story about a dragon who learns to sing, at least five hundred words."]]]])
            try await client.send(["type": "response.create"])
            try await client.wait(for: "response.output_audio_transcript.delta", count: client.events("response.output_audio_transcript.delta").count + 1)
            let (cpuBefore, clockBefore, logAtBargeIn) = (llama.cpuSeconds, ContinuousClock.now, llama.logText.count)
            // Speech over the reply, and no silence after it: the new turn neither pauses nor
            // ends, so no new request follows and the server should go idle.
            try await client.sendPCM(stop, speed: 1)
            let cancelled = try await client.wait(for: "response.done", count: 2, timeout: 30)
            #expect(cancelled[path: "response.status"] as? String == "cancelled", "\(cancelled)")
            // From here on the server should do nothing more for this reply. (On a busy machine the
            // answer may have ended by itself before the user's words were heard; the notes then
            // being written are what the barge-in stops.)
            let logBefore = llama.logText.count
            let during = (llama.cpuSeconds - cpuBefore) / (ContinuousClock.now - clockBefore).seconds
            // llama.cpp's server says when it drops a request whose client has gone.
            for _ in 0..<100 where !llama.logText.dropFirst(logAtBargeIn).contains("Disconnected from client") {
                try await Task.sleep(for: .milliseconds(100))
            }
            #expect(llama.logText.dropFirst(logAtBargeIn).contains("Disconnected from client"), "\(llama.logText.suffix(2_000))")
            try await Task.sleep(for: .seconds(1))
            let idleStart = llama.cpuSeconds
            try await Task.sleep(for: .seconds(2))
            let after = (llama.cpuSeconds - idleStart) / 2
            // And it stopped generating: it runs one generation at a time and reports each that
            // ends by itself, so a short request now gets its turn only after whatever is still
            // going on; an answer still being written (up to 1,500 tokens) would be reported first.
            #expect(try await llama.complete("Say yes.", maxTokens: 4), "the server did not answer a short request")
            let ended = Self.generatedTokenCounts(String(llama.logText.dropFirst(logBefore)))
            #expect(ended.last.map { $0 <= 4 } == true && ended.dropLast().allSatisfy { $0 <= 64 },
                    "generations ended after the barge-in: \(ended) tokens\n\(llama.logText.suffix(2_000))")
            print("remote barge-in: llama.cpp's server used \(String(format: "%.2f", during)) s of CPU per second while writing the reply, "
                  + "\(String(format: "%.2f", after)) after the cancellation")
        }
        let metrics = try await server.curl("/metrics")
        #expect(metrics.body.contains("rtd_remote_first_token_seconds_count"), "\(metrics.body)")
        await server.stop()
    }

    /// Tokens generated by each generation llama.cpp's server reports as ended in `log`
    /// ("llama_perf_context_print: eval time = … / 63 runs"; one it drops for a client that has
    /// gone is not reported).
    static func generatedTokenCounts(_ log: String) -> [Int] {
        log.split(separator: "\n").filter { $0.contains("eval time") && !$0.contains("prompt eval") }.compactMap { line in
            line.split(separator: "/").last?.split(separator: " ").first.flatMap { Int($0) }
        }
    }

    @Test func aRemoteThatIsDownSlowOrBrokenGivesErrorsAndTheSessionGoesOn() async throws {
        let closedPort = try LocalPort.free()
        let cases: [(String, ModelServerProcess?, String)] = [
            ("down", nil, "cannot be reached"),
            ("slow", try await ModelServerProcess.broken("slow"), "sent nothing within 1500 ms"),
            ("garbage", try await ModelServerProcess.broken("garbage"), "unreadable"),
            ("error500", try await ModelServerProcess.broken("error500"), "HTTP 500"),
            ("cutshort", try await ModelServerProcess.broken("cutshort"), "ended the reply before it was finished"),
        ]
        for (name, remote, expected) in cases {
            let url = remote?.baseURL ?? "http://127.0.0.1:\(closedPort)/v1"
            let server = try await LiveServer.start(settings: ["reply.engine=remote", "remote.url=\(url)", "remote.model=smollm2",
                                                               "remote.first_token_timeout_ms=1500", "remote.connect_timeout_ms=1000",
                                                               "remote.retries=1"])
            try await RealtimeClient.session(server.url) { client in
                try await client.wait(for: "session.created")
                let first = try await Self.typedTurn(client, "What is the capital of France?", count: 1)
                #expect(first.status == "failed", "\(name): \(first)")
                #expect(first.error.contains(expected), "\(name): \(first.error)")
                // The session goes on: it still answers, and fails the next turn the same way.
                try await client.send(["type": "session.update", "session": ["instructions": "Be brief."]])
                try await client.wait(for: "session.updated")
                let second = try await Self.typedTurn(client, "And of Spain?", count: 2)
                #expect(second.status == "failed" && second.error.contains(expected), "\(name): \(second)")
            }
            let metrics = try await server.curl("/metrics")
            #expect(metrics.body.contains("rtd_remote_errors_total{kind="), "\(name): \(metrics.body)")
            await server.stop()
            remote?.stop()
        }
    }
}

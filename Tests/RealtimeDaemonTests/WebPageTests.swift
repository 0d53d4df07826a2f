import Foundation
import AudioIO
import Streaming
import Testing
import TestSupport

/// The web page the daemon serves at `/`, in a real browser: Debian's Chromium, headless, with a
/// spoken question as its fake microphone, driven by Playwright (Clients/browser_session.py).
@Suite(.serialized) struct WebPageTests {
    static let chromium = "/usr/bin/chromium"
    /// Screenshots are kept here after the run, for people to look at.
    static let artifacts = FileManager.default.temporaryDirectory.appendingPathComponent("realtime-daemon-web")

    /// Runs the browser script; returns what the page showed, sent and received.
    /// `expectedRefusal`: the browser's own network messages about a refused handshake (401)
    /// are expected in the console; JavaScript errors never are.
    static func browse(_ server: LiveServer, fragment: String, audio: [Float], scenario: String, format: String,
                       screenshot: String, expectedRefusal: Bool = false) async throws -> [String: Any] {
        #expect(FileManager.default.isExecutableFile(atPath: chromium), "Chromium is missing: scripts/test.sh installs it")
        #expect(FileManager.default.isExecutableFile(atPath: TestPython.path),
                "run scripts/test.sh (it installs Playwright) or set RTD_TEST_PYTHON")
        try FileManager.default.createDirectory(at: artifacts, withIntermediateDirectories: true)
        // Chromium reads the fake microphone from a WAV file, once (%noloop).
        let wav = artifacts.appendingPathComponent("\(scenario)-microphone.wav").path
        try AudioFile.write(try Resampler.resample(audio, from: 24_000, to: 48_000), sampleRate: 48_000, to: wav)
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Clients/browser_session.py").path
        let png = artifacts.appendingPathComponent(screenshot).path
        let arguments = [script, "--page", "\(server.httpBase)/#\(fragment)", "--audio", wav, "--screenshot", png,
                         "--scenario", scenario, "--format", format, "--timeout", "90"]
        let (status, out, err) = try await offPool { () -> (Int32, Data, String) in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: TestPython.path)
            process.arguments = arguments
            let out = Pipe()
            process.standardOutput = out
            let errFile = artifacts.appendingPathComponent("\(scenario)-browser.log")
            FileManager.default.createFile(atPath: errFile.path, contents: nil)
            process.standardError = try FileHandle(forWritingTo: errFile)
            try process.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, data, (try? String(contentsOf: errFile, encoding: .utf8)) ?? "")
        }
        #expect(status == 0, "browser script failed: \(err)")
        let result = (try? JSONSerialization.jsonObject(with: out)) as? [String: Any] ?? [:]
        let consoleErrors = (result["console_errors"] as? [String] ?? ["no console report"]).filter { message in
            !(expectedRefusal && (message.contains("401") || message.contains("Authentication failed")))
        }
        #expect(consoleErrors.isEmpty, "errors in the browser console: \(consoleErrors)")
        print("web page screenshot: \(png)")
        return result
    }

    static func isPNG(_ path: String) -> Bool {
        guard let data = FileManager.default.contents(atPath: path), data.count > 5_000 else { return false }
        return data.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    }

    @Test func theDaemonServesThePageWithoutAnythingFromOutside() async throws {
        let server = try await LiveServer.start()
        let page = try await server.curl("/", headers: [])
        #expect(page.status == 200)
        #expect(page.body.contains("<button id=\"mic\""))
        // No external fonts, scripts or CDNs: every URL in the page is the daemon's own.
        for marker in ["http://", "https://", "//cdn", "@import", "fonts.g"] {
            #expect(!page.body.contains(marker), "the page refers to \(marker)")
        }
        for path in ["/app.js", "/capture-worklet.js", "/style.css"] {
            let file = try await server.curl(path)
            #expect(file.status == 200 && !file.body.isEmpty, "\(path): \(file.status)")
            #expect(!file.body.contains("https://"), "\(path) refers to another site")
        }
        await server.stop()
    }

    @Test func aSpokenQuestionInChromiumShowsTranscriptThinkingAnswerAudioAndLatency() async throws {
        let server = try await LiveServer.start(token: "page-token")
        let audio = silence24k(0.5) + (try await LiveModels.question(RealtimeServerTests.question)) + silence24k(3)
        // think_first, so that the thinking is there to be shown even for a short answer; Opus
        // through WebCodecs (Chromium has it).
        let result = try await Self.browse(server, fragment: "token=page-token&mode=think_first", audio: audio, scenario: "turn",
                                           format: "opus", screenshot: "turn.png")
        #expect(result["format"] as? String == "opus")
        let turns = result["turns"] as? [[String: Any]] ?? []
        let turn = try #require(turns.first, "no turn on the page: \(result)")
        #expect((turn["shownUser"] as? String ?? "").lowercased().contains("capital"), "\(turn)")
        #expect(turn["thinkingVisible"] as? Bool == true && !(turn["shownThinking"] as? String ?? "").isEmpty, "\(turn)")
        #expect(!(turn["shownAnswer"] as? String ?? "").isEmpty, "\(turn)")
        #expect(turn["status"] as? String == "completed", "\(turn)")
        #expect((result["replySeconds"] as? Double ?? 0) > 0.5, "reply audio: \(result["replySeconds"] ?? 0) s")
        // Latency as numbers, in the panel and on the turn, and a bar in the chart.
        for key in ["firstPacket", "firstAnswer"] {
            let shown = result[key] as? String ?? ""
            #expect(shown.hasSuffix(" ms") && Int(shown.dropLast(3)) != nil, "\(key): '\(shown)'")
        }
        #expect((turn["shownMeta"] as? String ?? "").contains("first packet"), "\(turn)")
        #expect(result["chartBars"] as? Int == 1)
        #expect(Self.isPNG(result["screenshot"] as? String ?? ""))
        // The wrong token: the page says so instead of retrying for ever.
        let refused = try await Self.browse(server, fragment: "token=wrong", audio: silence24k(1), scenario: "refused",
                                            format: "pcm", screenshot: "refused.png", expectedRefusal: true)
        #expect(refused["status"] as? String == "refused", "\(refused)")
        #expect((refused["notice"] as? String ?? "").contains("token is wrong"), "\(refused)")
        await server.stop()
    }

    @Test func talkingOverTheReplyStopsPlaybackAndTruncatesIt() async throws {
        let server = try await LiveServer.start()
        // A question with a long answer (the whole reply budget, ~20 s of speech), then, while the
        // answer plays, the user talks again: 9 s later, so that a reply started late on a machine
        // half as fast (with Chromium on the same cores: up to ~6 s) is still playing, and a short
        // one cannot be over already.
        let audio = silence24k(0.5) + (try await LiveModels.question("Tell me a long story about the moon.")) + silence24k(9)
            + (try await LiveModels.question("Wait, tell me about Mars instead.")) + silence24k(2)
        let result = try await Self.browse(server, fragment: "", audio: audio, scenario: "barge-in", format: "pcm", screenshot: "barge-in.png")
        #expect(result["format"] as? String == "pcm")
        let bargeIns = result["bargeIns"] as? [[String: Any]] ?? []
        let played = try #require(bargeIns.first?["playedMs"] as? Int, "the page never stopped a reply: \(result)")
        #expect(played > 0)
        #expect(result["playing"] as? Bool == false, "reply audio still playing after the barge-in")
        #expect((result["sent"] as? [String] ?? []).contains("conversation.item.truncate"), "\(result["sent"] ?? [])")
        // Every truncation the page asked for is confirmed (two when "Wait," is taken for a turn of
        // its own and "tell me about Mars instead" interrupts the reply to it).
        let truncates = (result["sent"] as? [String] ?? []).filter { $0 == "conversation.item.truncate" }.count
        let truncated = (result["received"] as? [String: Int])?["conversation.item.truncated"] ?? 0
        #expect(truncated >= 1 && truncated == truncates, "the server confirmed \(truncated) of \(truncates) truncations")
        let first = (result["turns"] as? [[String: Any]] ?? []).first ?? [:]
        #expect((first["shownMeta"] as? String ?? "").contains("interrupted after"), "\(first)")
        await server.stop()
    }
}

import AudioIO
import Foundation
import Testing
import TestSupport

/// The Wyoming service (Home Assistant's protocol) of the live daemon, driven by the `wyoming`
/// package's own client (Clients/wyoming_client.py).
@Suite(.serialized) struct WyomingTests {
    /// `realtime-daemon transcribe --json`'s text for `path`.
    static func transcribeCommand(_ path: String) async throws -> String {
        let run = try await runToEnd(ServeTests.binary, ["transcribe", "--json", path])
        let line = (try? JSONSerialization.jsonObject(with: run.out)) as? [String: Any]
        return line?["text"] as? String ?? ""
    }

    @Test func homeAssistantsClientTranscribesSynthesisesAndGetsAnswers() async throws {
        let port = try LocalPort.free()
        let server = try await LiveServer.start(settings: ["wyoming.enabled=on", "wyoming.port=\(port)"])
        let wav = FileManager.default.temporaryDirectory.appendingPathComponent("wyoming-\(UUID().uuidString).wav").path
        try AudioFile.write(try await LiveModels.question(RealtimeServerTests.question), sampleRate: 24_000, to: wav)
        let run = try await OpenAIConformanceTests.runClient("wyoming_client.py", ["127.0.0.1", "\(port)", wav])
        await server.stop()
        #expect(run.status == 0, "\(run.output)")
        let result = run.result
        let info = result["info"] as? [String: Any] ?? [:]
        #expect(!(info["asr"] as? [String] ?? []).isEmpty && !(info["tts"] as? [String] ?? []).isEmpty && !(info["handle"] as? [String] ?? []).isEmpty,
                "\(info)")
        #expect(info["tts_streaming"] as? Bool == true && info["asr_streaming"] as? Bool == true)
        #expect(result["transcript_stream"] as? [String] == ["transcript-start", "transcript", "transcript-stop"], "\(result["transcript_stream"] ?? "")")
        // The same recogniser as the command line, on the same file.
        let expected = try await Self.transcribeCommand(wav)
        #expect((result["transcript"] as? String) == expected.trimmingCharacters(in: .whitespaces), "\(result["transcript"] ?? "") vs \(expected)")
        // The synthesis says what it was given (heard back by the recogniser).
        let synthesis = result["synthesis"] as? [String: Any] ?? [:]
        #expect((synthesis["samples"] as? Int ?? 0) > 22_050 && synthesis["starts_with_audio_start"] as? Bool == true, "\(synthesis)")
        if let synthesized = result["synthesis_wav"] as? String {
            let heard = try await Self.transcribeCommand(synthesized).lowercased()
            #expect(heard.contains("hello") && heard.contains("help"), "heard: \(heard)")
        }
        let streamed = result["streamed"] as? [String: Any] ?? [:]
        #expect(streamed["audio_before_text_finished"] as? Bool == true && streamed["audio_stops"] as? Int == 1,
                "one audio stream for the streamed synthesis (the whole-text synthesize that follows it is not spoken twice): \(streamed)")
        let handled = result["handled"] as? [String] ?? []
        #expect(handled.first == "handled" && !(handled.last ?? "").isEmpty, "\(handled)")
        #expect((result["malformed"] as? [[String]])?.first?.first == "malformed_event", "\(result["malformed"] ?? "")")
        print("wyoming: transcript after audio-stop \(result["transcript_ms"] ?? "?") ms, first synthesis chunk \(result["synthesis_first_chunk_ms"] ?? "?") ms; answer \(handled.last ?? "")")
    }

    /// Home Assistant finds the service by Zeroconf (python-zeroconf browsing `_wyoming._tcp`,
    /// answered by avahi-daemon for the daemon), connects to what it found, and the service is
    /// withdrawn when the daemon stops. Needs avahi-daemon running (scripts/test.sh starts it).
    @Test func homeAssistantDiscoversTheServiceByZeroconf() async throws {
        #expect(Self.avahiDaemonRuns(), "avahi-daemon is not running: scripts/test.sh starts it (as root), or `systemctl start avahi-daemon`")
        let name = "rtd test \(UUID().uuidString.prefix(8))"
        let port = try LocalPort.free()
        let server = try await LiveServer.start(settings: ["wyoming.enabled=on", "wyoming.host=0.0.0.0", "wyoming.port=\(port)",
                                                           "wyoming.zeroconf_name=\(name)"])
        let present = try await OpenAIConformanceTests.runClient("zeroconf_discovery.py", [name, "present"])
        await server.stop()
        #expect(present.status == 0, "\(present.output)")
        #expect(present.result["port"] as? Int == port, "\(present.result)")
        let info = present.result["info"] as? [String: Any] ?? [:]
        #expect(info["asr"] as? [String] == ["realtime-daemon"] && info["tts"] as? [String] == ["realtime-daemon"], "\(present.result)")
        let absent = try await OpenAIConformanceTests.runClient("zeroconf_discovery.py", [name, "absent"])
        #expect(absent.status == 0, "still announced after the daemon stopped: \(absent.output)")
    }

    /// On loopback nobody who discovered the service could connect: it is not announced.
    @Test func aLoopbackServiceIsNotAnnounced() async throws {
        #expect(Self.avahiDaemonRuns(), "avahi-daemon is not running: scripts/test.sh starts it (as root), or `systemctl start avahi-daemon`")
        let name = "rtd loopback \(UUID().uuidString.prefix(8))"
        let port = try LocalPort.free()
        let server = try await LiveServer.start(settings: ["wyoming.enabled=on", "wyoming.port=\(port)", "wyoming.zeroconf_name=\(name)"])
        let absent = try await OpenAIConformanceTests.runClient("zeroconf_discovery.py", [name, "absent"])
        await server.stop()
        #expect(absent.status == 0, "\(absent.output)")
    }

    static func avahiDaemonRuns() -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/sbin/avahi-daemon")
        process.arguments = ["--check"]
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }
}

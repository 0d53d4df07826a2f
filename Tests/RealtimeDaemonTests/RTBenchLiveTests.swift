import Foundation
import Testing

/// The `rtbench` binary against the real daemon: it writes the built-in corpus with the
/// project's voice and espeak-ng, speaks it over live sessions (PCM and Opus, server VAD and
/// manual turns, barge-in) and reports every turn; a refused token and an unreachable server
/// are counted and named, not fatal.
@Suite(.serialized) struct RTBenchLiveTests {
    static var binary: URL { ServeTests.binary.deletingLastPathComponent().appendingPathComponent("rtbench") }

    /// Runs rtbench; returns its exit status, standard output and standard error.
    static func rtbench(_ arguments: [String]) async throws -> (status: Int32, out: String, err: String) {
        try #require(FileManager.default.isExecutableFile(atPath: binary.path),
                     "no rtbench beside realtime-daemon at \(binary.path); scripts/test.sh builds both")
        let run = try await runToEnd(binary, arguments)
        return (run.status, String(decoding: run.out, as: UTF8.self), run.err)
    }

    static func report(_ path: URL) throws -> [[String: Any]] {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: path)) as? [String: Any]
        return object?["turns"] as? [[String: Any]] ?? []
    }

    @Test func corpusRunsOverLiveSessionsAndFailuresAreNamed() async throws {
        let dir = ServeTests.temporaryDirectory()
        let corpus = dir.appendingPathComponent("corpus")
        let made = try await Self.rtbench(["corpus", "--out", corpus.path, "--count", "3", "--voices", "piper,espeak:en-us"])
        #expect(made.status == 0, "\(made.err)")
        let files = try FileManager.default.contentsOfDirectory(atPath: corpus.path).sorted()
        #expect(files == ["01-piper.txt", "01-piper.wav", "02-espeak-en-us.txt", "02-espeak-en-us.wav", "03-piper.txt", "03-piper.wav"])

        let server = try await LiveServer.start(token: "bench-secret")
        let url = "ws://127.0.0.1:\(server.port)/v1/realtime"

        // PCM, server VAD, speak_first: every question answered with audio, on the client's clock.
        let pcmJSON = dir.appendingPathComponent("pcm.json")
        let pcm = try await Self.rtbench(["run", corpus.path, "--url", url, "--token", "bench-secret", "--mode", "speak_first",
                                          "--trailing-silence", "1.5", "--json", pcmJSON.path, "--svg", dir.appendingPathComponent("pcm.svg").path])
        #expect(pcm.status == 0, "\(pcm.err)")
        #expect(pcm.out.contains("speak_first/pcm") && pcm.out.contains("first_packet_ms"), "\(pcm.out)")
        #expect(pcm.out.contains("3 turns, 0 failed"), "\(pcm.out)")
        let turns = try Self.report(pcmJSON)
        #expect(turns.count == 3)
        for turn in turns {
            let metrics = turn["metrics"] as? [String: Any] ?? [:]
            let firstPacket = metrics["firstPacketMs"] as? Double ?? -1
            #expect(firstPacket > 0 && firstPacket < 10_000, "\(metrics)")
            #expect(metrics["status"] as? String == "completed")
            #expect((metrics["serverTimingsMs"] as? [String: Any])?["first_audio"] != nil, "\(metrics)")
            let transcript = (turn["events"] as? [[String: Any]] ?? []).first { $0["kind"] as? String == "final_transcript" }?["detail"] as? String
            #expect(transcript?.isEmpty == false, "no final transcript in \(turn)")
        }

        // Opus, manual turns, barge-in right after the first reply audio: the reply is cancelled.
        // The first question asks for a long answer: a short one is written whole (its audio still
        // playing) in about a second, before the next question's first words could stop it.
        let story = dir.appendingPathComponent("story.wav")
        let spoken = try await offPool { try GenerateCommandTests.run(["speak", "--out", story.path, "Tell me a long story about the moon."]) }
        #expect(spoken.status == 0, "\(spoken.err)")
        let opusJSON = dir.appendingPathComponent("opus.json")
        let opus = try await Self.rtbench(["run", story.path, corpus.appendingPathComponent("01-piper.wav").path,
                                           "--url", url, "--token", "bench-secret",
                                           "--format", "opus", "--manual", "--barge-in-after", "0", "--json", opusJSON.path])
        #expect(opus.status == 0, "\(opus.err)")
        let opusTurns = try Self.report(opusJSON)
        #expect(opusTurns.count == 2)
        let interrupted = opusTurns.first?["metrics"] as? [String: Any] ?? [:]
        #expect(interrupted["firstPacketMs"] != nil, "\(interrupted)")
        #expect(interrupted["status"] as? String == "cancelled", "\(interrupted)")
        #expect(interrupted["bargeInCancelMs"] != nil, "\(interrupted)")
        #expect((opusTurns.last?["metrics"] as? [String: Any])?["status"] as? String == "completed")

        // A wrong token: every turn fails with the refusal named; the run still reports.
        let refused = try await Self.rtbench(["run", corpus.path, "--url", url, "--token", "wrong", "--quiet"])
        #expect(refused.status == 1)
        #expect(refused.out.contains("3 turns, 3 failed (error: connect:"), "\(refused.out)")
        await server.stop()

        // Nobody listening any more.
        let unreachable = try await Self.rtbench(["run", corpus.path, "--url", url, "--quiet"])
        #expect(unreachable.status == 1)
        #expect(unreachable.out.contains("3 turns, 3 failed (error: connect:"), "\(unreachable.out)")
    }

    /// `rtbench accuracy` on a few questions: the bare model answers the text in rtbench's
    /// process, the daemon answers the truth transcripts and the spoken questions, and each reply
    /// is scored; the report says what was heard and how long the first packet took.
    @Test func accuracyScoresSpokenAndTextRepliesAgainstTheBareModel() async throws {
        let dir = ServeTests.temporaryDirectory()
        let server = try await LiveServer.start()
        let json = dir.appendingPathComponent("accuracy.json")
        let run = try await Self.rtbench(["accuracy", "--url", "ws://127.0.0.1:\(server.port)/v1/realtime", "--split", "tuning", "--count", "8",
                                          "--mode", "speak_first", "--speeds", "1", "--json", json.path])
        await server.stop()
        #expect(run.status == 0, "\(run.err)")
        #expect(run.out.contains("bare model, text: ") && run.out.contains("speak_first"), "\(run.out)")
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: json)) as? [String: Any] ?? [:]
        let bare = report["bare"] as? [[String: Any]] ?? []
        let mode = (report["modes"] as? [[String: Any]])?.first ?? [:]
        let truth = mode["truth"] as? [[String: Any]] ?? []
        let spoken = mode["spoken"] as? [[String: Any]] ?? []
        #expect(bare.count == 8 && truth.count == 8 && spoken.count == 8, "\(report)")
        // Every reply came and was scored; the capital of France (question 6) is right from the
        // text (spoken, the recogniser has heard "friends" for "France" in this voice).
        for answer in bare + truth + spoken { #expect(!(answer["reply"] as? String ?? "").isEmpty, "\(answer)") }
        for answers in [bare, truth] { #expect(answers[5]["right"] as? Bool == true, "\(answers[5])") }
        #expect(spoken.allSatisfy { ($0["first_packet_ms"] as? Double ?? 0) > 0 && !($0["heard"] as? String ?? "").isEmpty }, "\(spoken)")
    }
}

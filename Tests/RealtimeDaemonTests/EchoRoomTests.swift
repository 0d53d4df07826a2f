import AudioIO
import Foundation
import Synchronization
import Testing
import TestSupport

/// The local voice loop in a simulated room (LiveRoom: the speaker's sound comes back into the
/// microphone delayed, reverberated and with noise), `audio.echo=cancel`: the reply alone never
/// interrupts itself, and a user speaking below the echo's level does.
///
/// Trials per condition: `RTD_ECHO_TRIALS` (4 by default, in the test command; `scripts/bench-echo.sh`
/// runs 20). `RTD_ECHO_LOG=path` also writes the daemon's log there as it comes, to watch a long run.
/// `RTD_ECHO_CANCELLER=webrtc` runs the loop with WebRTC's canceller instead of speexdsp's.
@Suite(.serialized)
struct EchoRoomTests {
    static let trials = Int(ProcessInfo.processInfo.environment["RTD_ECHO_TRIALS"] ?? "") ?? 4
    static let canceller = ProcessInfo.processInfo.environment["RTD_ECHO_CANCELLER"] ?? "speex"

    /// The daemon's standard error, read as it comes.
    final class LogReader: Sendable {
        private let text = Mutex("")

        init(_ handle: FileHandle) {
            let copy = ProcessInfo.processInfo.environment["RTD_ECHO_LOG"].flatMap { path in
                FileManager.default.createFile(atPath: path, contents: nil) ? FileHandle(forWritingAtPath: path) : nil
            }
            handle.readabilityHandler = { [self] h in
                let data = h.availableData
                copy?.write(data)
                if data.isEmpty { h.readabilityHandler = nil; return }
                text.withLock { $0 += String(decoding: data, as: UTF8.self) }
            }
        }

        var all: String { text.withLock { $0 } }
        func count(_ needle: String) -> Int { all.components(separatedBy: needle).count - 1 }
        /// The log lines of one message (swift-log's stream handler ends a line with it).
        func lines(of message: String) -> [String] { all.split(separator: "\n").map(String.init).filter { $0.hasSuffix(" " + message) } }

        @discardableResult
        func wait(seconds: Double, until condition: () -> Bool) -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if condition() { return true }
                Thread.sleep(forTimeInterval: 0.05)
            }
            return condition()
        }
    }

    static func speech(_ name: String) throws -> [Float] {
        let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../EngineTests/Fixtures/whisper/audio").standardized
        return try AudioFile.read(path: fixtures.appendingPathComponent(name).path, sampleRate: LiveRoom.rate).samples
    }

    static func metric(_ name: String, port: Int) -> Double? {
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = ["-sf", "http://127.0.0.1:\(port)/metrics"]
        let out = Pipe()
        curl.standardOutput = out
        guard (try? curl.run()) != nil else { return nil }
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        curl.waitUntilExit()
        return text.split(separator: "\n").first { $0.hasPrefix(name + " ") }.flatMap { Double($0.split(separator: " ").last ?? "") }
    }

    @Test func theReplyNeverInterruptsItselfAndAUserBelowTheEchoDoes() throws {
        let room = try LiveRoom()
        room.start()
        defer { room.stop() }
        let port = try LocalPort.free()
        // Answers of at most 40 tokens (about 10 s of speech, still far longer than the 0.6 s
        // before the user talks over them): 20 trials per condition then take minutes, not an hour.
        // Each question starts a new conversation (as after five minutes of quiet): in one long
        // conversation SmolLM2-135M soon answers every question with a cut-off reply it read
        // earlier ("The sky is"), which leaves nothing to interrupt.
        let (process, errors) = try ServeTests.run(["serve"] + room.daemonSettings + ["--set", "audio.echo=cancel", "--set", "audio.echo_canceller=\(Self.canceller)",
                                                                                   "--set", "server.port=\(port)",
                                                                                   "--set", "reply.max_output_tokens=40", "--set", "audio.new_conversation_after_s=1"])
        defer { if process.isRunning { kill(process.processIdentifier, SIGTERM); process.waitUntilExit() } }
        let log = LogReader(errors.fileHandleForReading)
        try #require(log.wait(seconds: 120) { log.all.contains("local voice loop running") || !process.isRunning }
                     && process.isRunning, "\(log.all)")

        let question = try Self.speech("piper-02.flac")
        let interruption = try Self.speech("espeak-03.flac")  // "Turn off the lights in the kitchen."
        let interruptions = { log.lines(of: "reply interrupted").count + log.count("status=cancelled") }
        // Quiet: nobody speaking, every turn heard has had its reply, and still so 1.2 s later
        // (past audio.new_conversation_after_s). A short reply is written whole before its audio
        // reaches the room: a question said then would cut it off, and the test would take the
        // question's own turn for one that can be interrupted.
        func quiet() -> Bool {
            room.speakingSeconds == 0 && !room.userIsSpeaking && log.lines(of: "replied").count >= log.lines(of: "heard").count
        }
        func waitForQuiet() {
            let deadline = Date().addingTimeInterval(90)
            repeat {
                log.wait(seconds: 60, until: quiet)
                Thread.sleep(forTimeInterval: 1.2)
            } while !quiet() && Date() < deadline
        }

        // 1. Replies alone: each question gets one turn and its reply plays to the end.
        var selfInterrupted = 0, extraTurns = 0
        var enhancement: [Double] = []
        for _ in 0..<Self.trials {
            waitForQuiet()
            let (heard, replied, interrupted) = (log.lines(of: "heard").count, log.lines(of: "replied").count, interruptions())
            room.say(question)
            log.wait(seconds: 90) { log.lines(of: "replied").count > replied }
            waitForQuiet()
            selfInterrupted += interruptions() - interrupted
            extraTurns += max(0, log.lines(of: "heard").count - heard - 1)
            if let e = Self.metric("rtd_echo_return_loss_enhancement_db", port: port) { enhancement.append(e) }
        }
        let paths = log.lines(of: "echo path measured").map { $0.components(separatedBy: "delay_ms=").last.map { String($0.prefix(while: \.isNumber)) } ?? "?" }
        print("echo room, echo path measured at \(paths) ms; delay metric \(Self.metric("rtd_echo_alignment_delay_seconds", port: port).map { String(format: "%.3f s", $0) } ?? "none")")
        print("echo room (\(Self.canceller)), replies alone: \(Self.trials) replies, \(selfInterrupted) interrupted themselves, \(extraTurns) turns taken from the echo; ERLE estimate after each reply \(enhancement.map { String(format: "%.1f", $0) }) dB")
        #expect(selfInterrupted == 0 && extraTurns == 0, "\(log.all)")

        // 2. The user talks over the reply, 10 and 20 dB below its echo, 0.6 s into it. The
        // questions change from trial to trial. A reply
        // already written whole in fewer than 8 words (under about 2.5 s of speech) is nearly
        // over when the user starts: such a trial has nothing left to interrupt, and is reported
        // and not counted.
        let questions = try ["piper-02.flac", "espeak-02.flac", "espeak-07.flac", "piper-09.flac", "piper-06.flac",
                             "espeak-04.flac", "piper-11.flac", "espeak-00.flac"].map(Self.speech)
        var trial = 0
        for level in [-10.0, -20.0] {
            var stopped = 0, understood = 0, tooShort = 0
            for _ in 0..<Self.trials {
                waitForQuiet()
                let repliedBefore = log.lines(of: "replied").count
                room.say(questions[trial % questions.count])
                trial += 1
                log.wait(seconds: 60) { room.speakingSeconds >= 0.6 }
                if let reply = log.lines(of: "replied").dropFirst(repliedBefore).last,
                   reply.contains("status=completed"), let said = reply.range(of: "said=").map({ reply[$0.upperBound...] }),
                   said.split(separator: " ").count < 8 + 3 {  // the words, status=…, the label, "replied"
                    tooShort += 1
                    continue
                }
                let (before, heardBefore, logBefore) = (interruptions(), log.lines(of: "heard").count, log.all.count)
                room.say(interruption, relativeToEcho: level)
                if log.wait(seconds: Double(interruption.count) / Double(LiveRoom.rate) + 2, until: { interruptions() > before }) {
                    stopped += 1
                } else {
                    print("echo room, trial \(trial) at \(Int(level)) dB not interrupted; the log since the user spoke:\n\(log.all.dropFirst(logBefore))")
                }
                log.wait(seconds: 20) { log.lines(of: "heard").count > heardBefore }
                if log.lines(of: "heard").dropFirst(heardBefore).contains(where: { $0.lowercased().contains("light") }) { understood += 1 }
            }
            let counted = Self.trials - tooShort
            print("echo room, user at \(Int(level)) dB against the echo: the reply stopped in \(stopped) of \(counted) trials (\(tooShort) replies of under 8 words not counted); heard 'lights' in \(understood)")
            if level == -10 { #expect(counted > 0 && Double(stopped) >= 0.9 * Double(counted), "\(log.all)") }
        }
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }
}

import ArgumentParser
import Foundation
import Synchronization

extension RTBenchCommand {
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Speak utterances to a realtime server over N concurrent sessions and report the latency.",
            discussion: """
                Each session connects to --url, sets the audio format and reasoning mode with \
                session.update, then sends its utterances in 20 ms frames at real-time pace, each \
                followed by --trailing-silence of silence so that the server's VAD ends the turn \
                (or, with --manual, commits the buffer and asks for a response right after the \
                speech). Every event is timed on this machine's clock from the last sample of \
                speech sent. The utterances are shared among the sessions (session k speaks \
                utterances k, k+N, …) unless --each is given.

                UTTERANCES are audio files, directories of them (a NAME.txt beside NAME.wav is \
                its transcript), or .list files with one path per line; `rtbench corpus` writes \
                a ready-made set. Several --mode values run one configuration after another \
                into the same report. A turn that fails (refused connection, server closing \
                mid-turn, malformed events, timeout) is recorded with its reason and the run \
                goes on; the exit status is 1 only when no turn got any reply audio.
                """
        )

        @Argument(help: "Audio files, directories or .list files.") var utterances: [String]
        @Option(help: "The server's realtime endpoint.") var url = "ws://127.0.0.1:8765/v1/realtime"
        @Option(help: "Bearer token (default: $RTBENCH_TOKEN).") var token: String?
        @Option(help: "Audio on the wire: pcm (24 kHz base64 events) or opus (48 kHz binary frames).") var format: RunSettings.WireFormat = .pcm
        @Option(help: "Concurrent sessions.") var sessions = 1
        @Flag(help: "Every session speaks every utterance (default: they share them).") var each = false
        @Option(help: ArgumentHelp("Session k starts k times this many seconds after the first (default 0: all at once, every first turn colliding).",
                                   valueName: "seconds")) var stagger = 0.0
        @Option(help: "Reasoning modes, comma-separated (speak_first, think_first, think_before_speaking); default: the server's.")
        var mode: String?
        @Option(help: "Instructions (system prompt) sent in session.update (default: the server's).") var instructions: String?
        @Flag(help: "End turns by input_audio_buffer.commit + response.create instead of the server's VAD.") var manual = false
        @Option(help: ArgumentHelp("The server's turn detection, comma-separated to compare: server_vad, semantic_vad.",
                                   valueName: "types")) var turnDetection = "server_vad"
        @Option(help: "semantic_vad's eagerness: low, medium, high or auto (default: the server's).") var eagerness: String?
        @Flag(help: "A new connection (a fresh session, no history) for every utterance.") var sessionPerUtterance = false
        @Option(help: "Seconds of silence sent after each utterance's speech (server VAD).") var trailingSilence = 2.0
        @Option(help: "Each frame leaves up to this many ms late (uniform random), as on a real network.") var jitterMs = 0.0
        @Option(help: "Speak the next utterance over the reply this many seconds after its first audio.") var bargeInAfter: Double?
        @Option(help: "Seconds a turn may take from the end of speech to response.done (which a server pacing its audio sends once the reply has played).") var turnTimeout = 60.0
        @Option(help: "Seconds between a reply having played out (in real time, as a listener hears it) and the next utterance.")
        var pauseBetweenTurns = 0.5
        @Option(help: "Name of the configuration in the report (default: mode/format[/manual][/barge-in]).") var label: String?
        @Option(help: "Write the full report (every turn and event) as JSON.") var json: String?
        @Option(help: "Write one CSV line per turn.") var csv: String?
        @Option(help: "Write the plot (latency CDF per configuration, per-turn timeline) as SVG.") var svg: String?
        @Flag(help: "No progress line per turn on standard error.") var quiet = false

        func validate() throws {
            guard sessions >= 1, sessions <= 256 else { throw ValidationError("--sessions must be between 1 and 256") }
            guard stagger >= 0, stagger <= 600 else { throw ValidationError("--stagger must be between 0 and 600 seconds") }
            guard trailingSilence >= 0, jitterMs >= 0, pauseBetweenTurns >= 0, turnTimeout > 0 else { throw ValidationError("durations must not be negative") }
            if let bargeInAfter, bargeInAfter < 0 { throw ValidationError("--barge-in-after must not be negative") }
            guard URL(string: url)?.scheme.map({ ["ws", "wss"].contains($0) }) == true else {
                throw ValidationError("--url must be a ws:// or wss:// URL, such as ws://127.0.0.1:8765/v1/realtime")
            }
            let names = turnDetection.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            for name in names where ![RunSettings.TurnEnd.serverVAD, .semanticVAD].map(\.rawValue).contains(name) {
                throw ValidationError("unknown turn detection \(name); use server_vad or semantic_vad")
            }
            if names.isEmpty { throw ValidationError("--turn-detection names no turn detection; use server_vad or semantic_vad") }
            if let eagerness, !["low", "medium", "high", "auto"].contains(eagerness) {
                throw ValidationError("--eagerness must be low, medium, high or auto")
            }
            for m in modes where !["speak_first", "think_first", "think_before_speaking"].contains(m) {
                throw ValidationError("unknown mode \(m); use speak_first, think_first or think_before_speaking")
            }
        }

        var turnDetections: [RunSettings.TurnEnd] {
            turnDetection.split(separator: ",").compactMap { RunSettings.TurnEnd(rawValue: $0.trimmingCharacters(in: .whitespaces)) }
        }

        var modes: [String] { mode?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } ?? [] }

        func run() async throws {
            let loaded: [Utterance]
            do { loaded = try Utterance.load(utterances, sampleRate: format.sampleRate) } catch {
                throw ValidationError("\(error)")
            }
            var records: [TurnRecord] = []
            let detections = manual ? [RunSettings.TurnEnd.manual] : turnDetections
            let modeList = modes.isEmpty ? [nil] : modes.map(Optional.some)
            for (detection, mode) in detections.flatMap({ d in modeList.map { (d, $0) } }) {
                var settings = RunSettings(url: url, token: token ?? ProcessInfo.processInfo.environment["RTBENCH_TOKEN"])
                settings.format = format
                settings.mode = mode
                settings.instructions = instructions
                settings.turnEnd = detection
                settings.eagerness = eagerness
                settings.sessionPerUtterance = sessionPerUtterance
                settings.trailingSilence = trailingSilence
                settings.jitterMs = jitterMs
                settings.bargeInAfter = bargeInAfter
                settings.turnTimeout = turnTimeout
                settings.pauseBetweenTurns = pauseBetweenTurns
                var distinct: [String] = []
                if modes.count > 1 { distinct.append(mode ?? "default") }
                if detections.count > 1 { distinct.append(detection.rawValue) }
                let name = label.map { ([$0] + distinct).joined(separator: "/") } ?? settings.label
                progress("# \(name): \(sessions) session(s), \(loaded.count) utterance(s), \(url)")
                records += await Self.drive(settings, name: name, utterances: loaded, sessions: sessions, each: each, stagger: stagger, quiet: quiet)
            }
            let report = RunReport(records: records)
            print(report.table())
            if let json { try report.json().write(to: URL(fileURLWithPath: json)) }
            if let csv { try report.csv().write(toFile: csv, atomically: true, encoding: .utf8) }
            if let svg { try Plot.svg(report).write(toFile: svg, atomically: true, encoding: .utf8) }
            if !report.turns.contains(where: { $0.metrics.firstPacketMs != nil }) { throw ExitCode(1) }
        }

        /// Runs the sessions of one configuration at once and returns their turns, session by session.
        static func drive(_ settings: RunSettings, name: String, utterances: [Utterance], sessions: Int, each: Bool, stagger: Double = 0,
                          quiet: Bool) async -> [TurnRecord] {
            let origin = ContinuousClock.now
            return await withTaskGroup(of: (Int, [TurnRecord]).self) { group in
                for k in 0..<sessions {
                    let share = each ? utterances : utterances.enumerated().filter { $0.offset % sessions == k }.map(\.element)
                    guard !share.isEmpty else { continue }
                    let recorder = TurnRecorder(configuration: name, origin: origin)
                    let driver = SessionDriver(settings: settings, utterances: share, recorder: recorder) { record in
                        if !quiet { progress(Self.line(record, session: k)) }
                    }
                    group.addTask {
                        if k > 0, stagger > 0 { try? await Task.sleep(for: .milliseconds(Int(Double(k) * stagger * 1000))) }
                        return (k, await driver.run())
                    }
                }
                var bySession: [(Int, [TurnRecord])] = []
                for await result in group { bySession.append(result) }
                return bySession.sorted { $0.0 < $1.0 }.flatMap(\.1)
            }
        }

        static func line(_ record: TurnRecord, session: Int) -> String {
            let m = TurnMetrics(record)
            var parts = ["[\(record.configuration) s\(session + 1)] \(record.utterance):"]
            parts.append(m.firstPacketMs.map { "first packet \(Int($0)) ms," } ?? "no reply audio,")
            parts.append(String(format: "reply %.1f s,", m.replySeconds))
            parts.append(m.status ?? "no response.done")
            if !m.errors.isEmpty { parts.append("(" + m.errors.joined(separator: "; ") + ")") }
            return parts.joined(separator: " ")
        }
    }
}

extension RunSettings.WireFormat: ExpressibleByArgument {}

/// Progress and notices go to standard error, so that standard output is the table alone.
func progress(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}

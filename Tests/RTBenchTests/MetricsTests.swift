import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import RTBench

@Suite struct MetricsTests {
    static func turn(_ events: [TurnEvent], configuration: String = "pcm") -> TurnRecord {
        TurnRecord(configuration: configuration, utterance: "q.wav", events: events)
    }

    @Test func latenciesAreMeasuredFromEndOfSpeech() {
        let m = TurnMetrics(Self.turn([
            TurnEvent(.partialTranscript, at: 9.8),
            TurnEvent(.speechEnded, at: 10.0),
            TurnEvent(.finalTranscript, at: 10.2),
            TurnEvent(.reasoningDelta, at: 10.3),
            TurnEvent(.answerDelta, at: 10.4),
            TurnEvent(.audio, at: 10.55, audioSeconds: 0.5),
            TurnEvent(.responseDone, at: 11.2, detail: "completed", serverTimingsMs: ["first_audio": 540]),
        ]))
        #expect(abs((m.firstPacketMs ?? 0) - 550) < 1e-6)
        #expect(abs((m.firstPartialMs ?? 0) + 200) < 1e-6)  // a partial while the user still spoke
        #expect(abs((m.finalTranscriptMs ?? 0) - 200) < 1e-6)
        #expect(abs((m.firstReasoningMs ?? 0) - 300) < 1e-6)
        #expect(abs((m.firstAnswerMs ?? 0) - 400) < 1e-6)
        #expect(m.status == "completed")
        #expect(m.serverTimingsMs["first_audio"] == 540)
        #expect(m.gapCount == 0)
    }

    @Test func outOfOrderEventsAreSortedFirst() {
        let m = TurnMetrics(Self.turn([
            TurnEvent(.audio, at: 1.6, audioSeconds: 0.2),
            TurnEvent(.audio, at: 1.4, audioSeconds: 0.2),
            TurnEvent(.speechEnded, at: 1.0),
        ]))
        #expect(abs((m.firstPacketMs ?? 0) - 400) < 1e-6)
        #expect(m.gapCount == 0)
        #expect(abs(m.replySeconds - 0.4) < 1e-9)
    }

    @Test func playbackGapsAreCountedAndSummed() {
        // 100 ms packets: the third arrives 150 ms late, the fifth 50 ms late.
        let m = TurnMetrics(Self.turn([
            TurnEvent(.speechEnded, at: 0),
            TurnEvent(.audio, at: 0.5, audioSeconds: 0.1),
            TurnEvent(.audio, at: 0.55, audioSeconds: 0.1),   // queued: plays 0.6–0.7
            TurnEvent(.audio, at: 0.85, audioSeconds: 0.1),   // gap 0.70–0.85
            TurnEvent(.audio, at: 0.9, audioSeconds: 0.1),    // plays 0.95–1.05
            TurnEvent(.audio, at: 1.1, audioSeconds: 0.1),    // gap 1.05–1.10
            TurnEvent(.audio, at: 1.202, audioSeconds: 0.1),  // 2 ms late: jitter, not a gap
        ]))
        #expect(m.gapCount == 2)
        #expect(abs(m.gapTotalMs - 200) < 1e-6)
    }

    @Test func playbackEndsWhenTheLastPacketHasPlayed() {
        // The whole reply arrives at once (servers send ahead): a listener hears it out 1.2 s later.
        let ahead = Playback([TurnEvent(.audio, at: 0.5, audioSeconds: 0.4), TurnEvent(.audio, at: 0.51, audioSeconds: 0.8)])
        #expect(abs((ahead.end ?? 0) - 1.7) < 1e-9)
        // A late packet starts playing when it comes; nothing is played after a barge-in.
        let late = Playback([TurnEvent(.audio, at: 0.5, audioSeconds: 0.1), TurnEvent(.audio, at: 2, audioSeconds: 0.1),
                             TurnEvent(.audio, at: 3, audioSeconds: 0.5)], until: 2.5)
        #expect(abs((late.end ?? 0) - 2.1) < 1e-9)
        #expect(late.gaps == 1)
        #expect(Playback([TurnEvent(.speechEnded, at: 0)]).end == nil)
    }

    @Test func bargeInStopTimeAndNoGapsAfterIt() {
        let m = TurnMetrics(Self.turn([
            TurnEvent(.speechEnded, at: 0),
            TurnEvent(.audio, at: 0.5, audioSeconds: 0.1),
            TurnEvent(.bargeIn, at: 0.7),
            TurnEvent(.audio, at: 0.74, audioSeconds: 0.1),
            TurnEvent(.bargeInNoticed, at: 0.85),
            TurnEvent(.audio, at: 1.5, audioSeconds: 0.1),
            TurnEvent(.responseDone, at: 1.6, detail: "cancelled"),
        ]))
        #expect(abs((m.bargeInNoticedMs ?? 0) - 150) < 1e-6)
        #expect(abs((m.bargeInStopMs ?? 0) - 800) < 1e-6)
        #expect(abs((m.bargeInCancelMs ?? 0) - 900) < 1e-6)
        #expect(m.gapCount == 0)
        #expect(m.status == "cancelled")
    }

    @Test func missingEventsGiveNil() {
        let m = TurnMetrics(Self.turn([TurnEvent(.speechEnded, at: 0), TurnEvent(.error, at: 0.3, detail: "overloaded")]))
        #expect(m.firstPacketMs == nil && m.finalTranscriptMs == nil && m.bargeInStopMs == nil && m.bargeInCancelMs == nil && m.bargeInNoticedMs == nil)
        #expect(m.errors == ["overloaded"])
    }

    @Test func percentilesInterpolate() throws {
        let s = try #require(Summary((1...100).map(Double.init)))
        #expect(s.p50 == 50.5)
        #expect(abs(s.p90 - 90.1) < 1e-9)
        #expect(abs(s.p99 - 99.01) < 1e-9)
        #expect(s.max == 100)
        #expect(Summary([]) == nil)
        #expect(Summary([7])?.p95 == 7)
    }
}

@Suite struct ReportTests {
    static func report() -> RunReport {
        var records = [TurnRecord]()
        for i in 0..<20 {
            let t = Double(i) * 10
            records.append(TurnRecord(configuration: i % 2 == 0 ? "pcm" : "opus", utterance: "q\(i).wav", events: [
                TurnEvent(.speechEnded, at: t),
                TurnEvent(.finalTranscript, at: t + 0.15),
                TurnEvent(.answerDelta, at: t + 0.3),
                TurnEvent(.audio, at: t + 0.4 + Double(i) * 0.01, audioSeconds: 1),
                TurnEvent(.responseDone, at: t + 2, detail: "completed"),
            ]))
        }
        records.append(TurnRecord(configuration: "pcm", utterance: "bad,\"name\".wav", events: [
            TurnEvent(.speechEnded, at: 500), TurnEvent(.error, at: 500.1, detail: "server closed the connection"),
        ]))
        return RunReport(records: records)
    }

    @Test func tableShowsPercentilesAndNamesFailures() {
        let table = Self.report().table()
        #expect(table.contains("first_packet_ms"))
        #expect(table.contains("p95"))
        #expect(table.contains("pcm: 11 turns, 1 failed (error: server closed the connection: 1)"))
        #expect(table.contains("opus: 10 turns, 0 failed"))
    }

    @Test func jsonRoundTripsAndCSVQuotes() throws {
        let report = Self.report()
        let decoded = try JSONDecoder().decode(RunReport.self, from: try report.json())
        #expect(decoded.turns.count == report.turns.count)
        #expect(decoded.turns[3].metrics == report.turns[3].metrics)
        let csv = report.csv().split(separator: "\n")
        #expect(csv.count == report.turns.count + 1)
        #expect(csv[0].hasPrefix("configuration,utterance,first_packet_ms"))
        #expect(csv.last?.contains("\"bad,\"\"name\"\".wav\"") == true)
    }

    /// The plot is a well-formed SVG with one CDF line per configuration and a bar per answered turn.
    @Test func plotIsAValidNonEmptySVG() throws {
        let svg = Plot.svg(Self.report())
        let data = Data(svg.utf8)
        final class Counter: NSObject, XMLParserDelegate {
            var elements = [String: Int]()
            func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String]) {
                elements[name, default: 0] += 1
            }
        }
        let parser = XMLParser(data: data)
        let counter = Counter()
        parser.delegate = counter
        #expect(parser.parse(), "SVG is not well-formed XML: \(String(describing: parser.parserError))")
        #expect(counter.elements["svg"] == 1)
        #expect(counter.elements["polyline"] == 2)
        #expect((counter.elements["rect"] ?? 0) >= 21)  // background + 20 reply bars
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rtbench-\(UUID().uuidString).svg")
        try data.write(to: path)
        #expect(try Data(contentsOf: path).count > 2_000)
    }

    @Test func compareSeparatesShiftsFromNoise() {
        func run(_ base: Double, jitter: Double, seed: Int) -> RunReport {
            var g = seed
            func noise() -> Double { g = (g &* 1_103_515_245 &+ 12_345) & 0x7fff_ffff; return Double(g % 1000) / 1000 * jitter }
            return RunReport(records: (0..<30).map { i in
                TurnRecord(configuration: "pcm", utterance: "q\(i)", events: [
                    TurnEvent(.speechEnded, at: 0), TurnEvent(.audio, at: base + noise(), audioSeconds: 1),
                ])
            })
        }
        let a = run(0.5, jitter: 0.05, seed: 1)
        let same = Comparison(a, run(0.5, jitter: 0.05, seed: 2))
        #expect(same.rows.first { $0.metric == "first_packet_ms" }?.verdict == "within noise")
        let faster = Comparison(a, run(0.4, jitter: 0.05, seed: 3))
        #expect(faster.rows.first { $0.metric == "first_packet_ms" }?.verdict.hasPrefix("faster") == true)
    }

    /// A server that takes a pause inside the utterance for its end: the turn is cut early, the
    /// reply to its first half is not the turn's, and the turn ends with the reply to the whole.
    @Test func aTurnEndedAtAPauseInsideIsCutEarly() throws {
        let recorder = TurnRecorder(configuration: "semantic", origin: .now)
        let turn = recorder.beginTurn("25-pause700-piper")
        func send(_ json: String) { recorder.receive(text: json) }
        send(#"{"type":"input_audio_buffer.speech_started","item_id":"i1"}"#)
        send(#"{"type":"input_audio_buffer.speech_stopped","item_id":"i1"}"#)  // at the pause
        send(#"{"type":"response.created","response":{"id":"r1"}}"#)
        send(#"{"type":"response.done","response":{"id":"r1","status":"cancelled"}}"#)
        #expect(!recorder.isFinished(turn), "the reply to the first half does not end the turn")
        recorder.speechEnded(turn)
        send(#"{"type":"input_audio_buffer.speech_stopped","item_id":"i1"}"#)
        send(#"{"type":"response.created","response":{"id":"r2"}}"#)
        send(#"{"type":"response.done","response":{"id":"r2","status":"completed"}}"#)
        #expect(recorder.isFinished(turn))
        let report = RunReport(records: recorder.records)
        #expect(report.turns[0].metrics.cutEarly == true && report.turns[0].metrics.status == "completed")
        let line = try #require(report.turnEnds(configuration: "semantic"))
        #expect(line.contains("1 of 1 with a pause inside"), "\(line)")
        // Ended after the speech: not cut.
        let whole = TurnMetrics(MetricsTests.turn([TurnEvent(.speechEnded, at: 1), TurnEvent(.turnEnded, at: 1.3)]))
        #expect(whole.cutEarly == false)
        #expect(TurnMetrics(MetricsTests.turn([TurnEvent(.turnEnded, at: 1.3)])).cutEarly == nil)
    }

    /// Talking over a reply: the server's next speech_started is when it noticed, on the turn
    /// whose reply was interrupted (the new speech is the next turn's).
    @Test func theServerNoticesABargeInWithItsNextSpeechStarted() {
        let recorder = TurnRecorder(configuration: "barge-in", origin: .now)
        let first = recorder.beginTurn("01-piper")
        recorder.receive(text: #"{"type":"input_audio_buffer.speech_started","item_id":"i1"}"#)
        recorder.speechEnded(first)
        recorder.receive(text: #"{"type":"response.created","response":{"id":"r1"}}"#)
        recorder.bargeIn(first)
        _ = recorder.beginTurn("02-piper")
        recorder.receive(text: #"{"type":"input_audio_buffer.speech_started","item_id":"i2"}"#)
        recorder.receive(text: #"{"type":"input_audio_buffer.speech_started","item_id":"i3"}"#)
        let events = recorder.records[0].events
        #expect(events.filter { $0.kind == .bargeInNoticed }.count == 1)
        #expect(recorder.records[1].events.allSatisfy { $0.kind != .bargeInNoticed })
    }
}

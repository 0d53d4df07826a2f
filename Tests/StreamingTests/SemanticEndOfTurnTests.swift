@testable import Engine
import Foundation
import Testing
import AudioIO
@testable import Streaming

/// `semantic_vad`: the words decide how much silence ends a turn.
@Suite struct SemanticEndOfTurnTests {
    typealias Harness = SessionMachineTests.Harness

    static func semantic(_ eagerness: SemanticEndOfTurn.Eagerness = .auto) throws -> SessionConfiguration {
        var configuration = SessionConfiguration()
        try configuration.apply(["audio": ["input": ["turn_detection": ["type": "semantic_vad", "eagerness": eagerness.rawValue]]]])
        return configuration
    }

    @Test func theWordsSayWhetherASentenceIsFinished() {
        func p(_ text: String) -> Double { SemanticEndOfTurn.completeness(.init(text: text)) }
        for finished in ["What is the capital of France?", "Tell me a joke!"] {
            #expect(p(finished) > 0.8, "\(finished): \(p(finished))")
        }
        // Whisper's full stop is weak evidence: it closes "I was wondering." too.
        #expect(p("I would like a cup of tea.") > 0.5 && p("I would like a cup of tea.") < p("Would you like a cup of tea?"))
        for unfinished in ["I was wondering what the", "Tell me about cats and", "I need eggs, milk,", "It is because", "Well, um",
                           "So I was thinking..."] {
            #expect(p(unfinished) < 0.1, "\(unfinished): \(p(unfinished))")
        }
        // The reasoner moves an unpunctuated ending either way; a falling pitch closes a statement.
        #expect(SemanticEndOfTurn.completeness(.init(text: "play some jazz", reasonerProbability: 0.9)) > 0.8)
        #expect(SemanticEndOfTurn.completeness(.init(text: "play some jazz", reasonerProbability: 0.0005)) < 0.1)
        #expect(SemanticEndOfTurn.completeness(.init(text: "I was wondering.", reasonerProbability: 0.002)) < 0.5)
        #expect(SemanticEndOfTurn.completeness(.init(text: "play some jazz", finalPitchSlope: -60)) > p("play some jazz"))
    }

    @Test func eagernessSetsTheSilenceBetweenItsBounds() {
        for eagerness in SemanticEndOfTurn.Eagerness.allCases {
            let detector = SemanticEndOfTurn(eagerness: eagerness)
            let (shortest, longest) = detector.bounds
            #expect(detector.requiredSilenceMs(completeness: 1) == shortest)
            #expect(detector.requiredSilenceMs(completeness: 0) == longest)
            #expect(detector.requiredSilenceMs(completeness: 0.9) < detector.requiredSilenceMs(completeness: 0.5))
        }
        #expect(SemanticEndOfTurn(eagerness: .high).requiredSilenceMs(completeness: 0.95)
                < SemanticEndOfTurn(eagerness: .low).requiredSilenceMs(completeness: 0.95))
        // Not knowing yet asks for about what server_vad waits.
        #expect(SemanticEndOfTurn(eagerness: .auto).requiredSilenceMs(completeness: nil) == 450)
    }

    @Test func theSessionObjectShowsSemanticVADAsTheAPIDefinesIt() throws {
        let configuration = try Self.semantic(.high)
        let turn = try #require((configuration.json["audio"] as? [String: any Sendable])?["input"] as? [String: any Sendable])
        let detection = try #require(turn["turn_detection"] as? [String: any Sendable])
        #expect(detection["type"] as? String == "semantic_vad" && detection["eagerness"] as? String == "high")
        #expect(detection["silence_duration_ms"] == nil)
        #expect(configuration.turnDetection?.detectorParameters.silenceDurationMs == 700)
        var bad = SessionConfiguration()
        #expect(throws: ProtocolError.self) {
            try bad.apply(["audio": ["input": ["turn_detection": ["type": "semantic_vad", "eagerness": "eager"]]]])
        }
    }

    /// Speech, then a pause whose transcript is `text`, then silence in 20 ms steps until the turn
    /// ends (or `limit` seconds). Returns the silence, ms, after which `speech_stopped` came.
    static func silenceBeforeTheEnd(_ h: inout Harness, _ text: String, reasoner: Double?? = .some(nil), limit: Double = 2) -> Int? {
        h.silence(0.5)
        h.speech(1.0)
        var silence = 0
        h.silence(0.12)  // the pause: its transcription starts
        silence += 120
        let serial = h.pauseTranscriptions.last ?? -1
        h.handle(.transcribedAtPause(serial: serial, result: SessionMachineTests.transcript(text), evidence: SessionMachineTests.quiet()))
        if case .some(let probability) = reasoner { h.handle(.endOfTurnEstimated(serial: serial, probability: probability)) }
        while h.events("input_audio_buffer.speech_stopped").isEmpty, Double(silence) < limit * 1000 {
            h.silence(0.02)
            silence += 20
        }
        return h.events("input_audio_buffer.speech_stopped").isEmpty ? nil : silence
    }

    @Test func aFinishedQuestionEndsTheTurnAfterAShortSilence() throws {
        var h = Harness(configuration: try Self.semantic())
        let silence = try #require(Self.silenceBeforeTheEnd(&h, "What is the capital of France?"))
        #expect(silence <= 240, "\(silence) ms")
        // The reply started at the pause goes out at once.
        #expect(h.sent.contains("response.created"))
        #expect(h.finishedTurns.isEmpty, "the pause's transcript was used")
        // The reasoner was asked before the reply started, with the words heard.
        let asked = h.actions.firstIndex { if case .estimateEndOfTurn = $0 { true } else { false } }
        let started = h.actions.firstIndex { if case .startReply = $0 { true } else { false } }
        #expect(asked != nil && started != nil && asked! < started!)
    }

    @Test func anUnfinishedSentenceGetsMoreTimeThanServerVAD() throws {
        var semantic = Harness(configuration: try Self.semantic())
        let waited = try #require(Self.silenceBeforeTheEnd(&semantic, "I was wondering what the"))
        #expect(waited >= 1_000, "\(waited) ms")
        #expect(waited <= 1_350 + 40, "bounded by the longest silence")
        var server = Harness()
        let serverWaited = try #require(Self.silenceBeforeTheEnd(&server, "I was wondering what the"))
        #expect(serverWaited < 500, "\(serverWaited) ms")
    }

    @Test func theDecisionWaitsForTheReasonerWhenItWasAsked() throws {
        var h = Harness(configuration: try Self.semantic())
        // Its estimate never comes: the neutral silence applies, whatever the words say.
        let silence = try #require(Self.silenceBeforeTheEnd(&h, "What is the capital of France?", reasoner: .none))
        #expect(silence >= 440 && silence <= 480, "\(silence) ms")
        // The reasoner doubts an unpunctuated ending: the turn waits.
        var doubted = Harness(configuration: try Self.semantic())
        let waited = try #require(Self.silenceBeforeTheEnd(&doubted, "play some jazz", reasoner: 0.0002))
        #expect(waited >= 900, "\(waited) ms")
        var sure = Harness(configuration: try Self.semantic())
        let quick = try #require(Self.silenceBeforeTheEnd(&sure, "play some jazz", reasoner: 0.95))
        #expect(quick <= 300, "\(quick) ms")
    }

    @Test func speechAfterAShortPauseKeepsTheTurnGoing() throws {
        var h = Harness(configuration: try Self.semantic())
        h.silence(0.5)
        h.speech(1.0)
        h.silence(0.12)
        let serial = try #require(h.pauseTranscriptions.last)
        h.handle(.transcribedAtPause(serial: serial, result: SessionMachineTests.transcript("I need eggs, milk,"), evidence: SessionMachineTests.quiet()))
        h.handle(.endOfTurnEstimated(serial: serial, probability: 0.1))
        h.silence(0.6)  // a long pause inside the list
        #expect(h.events("input_audio_buffer.speech_stopped").isEmpty)
        h.speech(0.6, seed: 3)
        h.silence(0.12)
        let second = try #require(h.pauseTranscriptions.last)
        #expect(second != serial)
        h.handle(.transcribedAtPause(serial: second, result: SessionMachineTests.transcript("I need eggs, milk, and bread."),
                                     evidence: SessionMachineTests.quiet()))
        h.handle(.endOfTurnEstimated(serial: second, probability: 0.9))
        h.silence(0.1)
        #expect(h.events("input_audio_buffer.speech_stopped").count == 1)
        #expect(h.events("input_audio_buffer.committed").count == 1)
        #expect(h.replyRequests.last?.conversation.turns.last?.content == "I need eggs, milk, and bread.")
    }
}

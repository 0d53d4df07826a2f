@testable import Engine
import Foundation
import Testing
import AudioIO
@testable import Streaming

/// The session's turn logic without models: audio and results go in, the actions that come out
/// are checked (what the client sees, in what order; what is started and stopped).
@Suite struct SessionMachineTests {
    /// A machine on a clock of its own, and everything it asked for.
    struct Harness {
        var machine: SessionMachine
        var clock: ContinuousClock.Instant = .now
        var actions: [SessionAction] = []

        init(configuration: SessionConfiguration = SessionConfiguration(), extensions: Set<ProtocolExtension> = [.reasoning, .timings],
             supportsTools: Bool = false) {
            machine = SessionMachine(sessionID: "sess_test0001", configuration: configuration, extensions: extensions,
                                     supportsTools: supportsTools, engineName: "test", server: ["name": "test"])
            actions = machine.start()
        }

        @discardableResult
        mutating func handle(_ input: SessionInput) -> [SessionAction] {
            let out = machine.handle(input, now: clock)
            actions += out
            return out
        }

        mutating func advance(_ seconds: Double) { clock += .milliseconds(Int(seconds * 1000)) }

        /// Audio in 20 ms frames, the clock following it; paced reply audio is sent when due,
        /// as the runner's timer does.
        mutating func audio(_ samples: [Float]) {
            for start in stride(from: 0, to: samples.count, by: 320) {
                handle(.audio(Array(samples[start..<min(samples.count, start + 320)])))
                advance(0.02)
                if let due = machine.nextTick(after: clock), due <= clock { handle(.tick) }
            }
        }

        mutating func speech(_ seconds: Double, seed: UInt64 = 1) { audio(Self.noise(seconds: seconds, dB: -20, seed: seed)) }
        mutating func silence(_ seconds: Double) { audio(Self.noise(seconds: seconds, dB: -70, seed: 99)) }

        static func noise(seconds: Double, dB: Double, seed: UInt64) -> [Float] {
            var state = seed
            let amplitude = Float(pow(10, dB / 20) * 3.0.squareRoot())
            return (0..<Int(seconds * 16_000)).map { _ in
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return (Float(state >> 40) / Float(1 << 24) * 2 - 1) * amplitude
            }
        }

        /// The events sent to the client so far, by type.
        var sent: [String] {
            actions.compactMap { action -> String? in
                switch action {
                case .output(.event(let e)), .output(.audioDone(let e)): e.type
                case .output(.audio): "audio"
                default: nil
                }
            }
        }

        func events(_ type: String) -> [ServerEvent] {
            actions.compactMap { action -> ServerEvent? in
                switch action {
                case .output(.event(let e)) where e.type == type, .output(.audioDone(let e)) where e.type == type: e
                default: nil
                }
            }
        }

        var replyRequests: [ReplyRequest] { actions.compactMap { if case .startReply(let r) = $0 { r } else { nil } } }
        var stoppedReplies: [ReplyID] { actions.compactMap { if case .stopReply(let id) = $0 { id } else { nil } } }
        var pauseTranscriptions: [Int] { actions.compactMap { if case .transcribeAtPause(let serial, _, _) = $0 { serial } else { nil } } }
        var finishedTurns: [String] { actions.compactMap { if case .transcriberFinish(let id, _) = $0 { id } else { nil } } }

        var lastResponse: ResponseSummary? {
            events("response.done").last.flatMap { if case .responseDone(let s) = $0 { s } else { nil } }
        }
    }

    static func transcript(_ text: String) -> Result<Transcript, EngineError> {
        .success(Transcript(text: text, tokens: [], language: "en", audioSeconds: 1, windowFrames: 700, stoppedLoop: false))
    }

    static func quiet() -> AcousticEvidence { TurnAudio().evidence }

    /// A typed question with a reply started for it; returns the reply's id.
    static func typedReply(_ h: inout Harness, _ text: String = "Tell me something.") -> ReplyID {
        h.handle(.client(.createItem(ConversationItem(id: "", kind: .userText(text)), previousItemID: nil), eventID: nil))
        h.handle(.client(.createResponse(ResponseOptions()), eventID: nil))
        return h.replyRequests.last?.id ?? ""
    }

    // MARK: Turns

    @Test func aTurnIsTranscribedAtItsPauseAndTheHeldReplyGoesOutWhenTheEndIsConfirmed() {
        var h = Harness()
        h.silence(0.5)
        h.speech(1.0)
        h.silence(0.2)  // a pause: transcription starts
        let serial = try! #require(h.pauseTranscriptions.first)
        h.handle(.transcribedAtPause(serial: serial, result: Self.transcript("What is the capital of France?"), evidence: Self.quiet()))
        // A reply is under way, but the client sees none of it yet.
        let reply = try! #require(h.replyRequests.first)
        #expect(reply.conversation.turns.last?.content == "What is the capital of France?")
        #expect(!h.sent.contains("response.created"))
        h.handle(.reply(reply.id, .answer("Paris.")))
        h.handle(.replyAudio(reply.id, samples: [Float](repeating: 0.1, count: 2_400), clause: "Paris.", index: 0))
        #expect(!h.sent.contains("audio"))
        h.silence(0.5)  // the end of the turn is confirmed
        let order = h.sent.filter { ["input_audio_buffer.speech_stopped", "input_audio_buffer.committed", "conversation.item.added",
                                     "conversation.item.input_audio_transcription.completed", "conversation.item.done",
                                     "response.created", "response.output_audio_transcript.delta", "audio"].contains($0) }
        #expect(order == ["input_audio_buffer.speech_stopped", "input_audio_buffer.committed", "conversation.item.added",
                          "conversation.item.input_audio_transcription.completed", "conversation.item.done",
                          "response.created", "conversation.item.added", "response.output_audio_transcript.delta", "audio"], "\(h.sent)")
        #expect(h.finishedTurns.isEmpty, "the pause's transcript was used, not a second pass")
        h.handle(.replyEnded(reply.id, ReplyOutcome(status: .completed), failure: nil))
        #expect(h.lastResponse?.status == .completed)
        #expect(h.lastResponse?.speculative == true)
        #expect(h.machine.history.turns.map(\.content) == ["What is the capital of France?", "Paris."])
        // The client saw the first audio when the end was confirmed; it was ready before that.
        #expect(h.lastResponse?.timingsMs["first_audio"] == 0)
        let ahead = try! #require(h.lastResponse?.speculativeTimingsMs)
        #expect(ahead["paused"]! < ahead["started"]! && ahead["started"]! <= ahead["first_audio"]! && ahead["first_audio"]! < 0, "\(ahead)")
    }

    /// One spoken turn with its reply played to the end.
    static func spokenTurn(_ h: inout Harness, _ question: String, _ answer: String) {
        h.speech(1.0)
        h.silence(0.2)
        let serial = h.pauseTranscriptions.last ?? -1
        h.handle(.transcribedAtPause(serial: serial, result: Self.transcript(question), evidence: Self.quiet()))
        let reply = h.replyRequests.last?.id ?? ""
        h.handle(.reply(reply, .answer(answer)))
        h.silence(0.5)
        h.handle(.replyEnded(reply, ReplyOutcome(status: .completed), failure: nil))
    }

    @Test func aTurnLongAfterTheLastReplyStartsANewConversationWhenAsked() {
        var configuration = SessionConfiguration()
        configuration.newConversationAfterSeconds = 3
        var h = Harness(configuration: configuration)
        h.silence(0.5)
        Self.spokenTurn(&h, "What is the capital of France?", "Paris.")
        h.silence(1.0)
        Self.spokenTurn(&h, "And of Italy?", "Rome.")
        #expect(h.machine.history.turns.map(\.content) == ["What is the capital of France?", "Paris.", "And of Italy?", "Rome."])
        h.silence(3.5)
        Self.spokenTurn(&h, "How many legs has a spider?", "Eight.")
        #expect(h.machine.history.turns.map(\.content) == ["How many legs has a spider?", "Eight."])
        #expect(h.replyRequests.last?.conversation.turns.map(\.content) == ["How many legs has a spider?"])

        // Without the setting (WebSocket sessions), the conversation goes on however long the silence.
        var kept = Harness()
        kept.silence(0.5)
        Self.spokenTurn(&kept, "What is the capital of France?", "Paris.")
        kept.silence(3.5)
        Self.spokenTurn(&kept, "And of Italy?", "Rome.")
        #expect(kept.machine.history.turns.count == 4)
    }

    @Test func speakingAgainAfterAPauseDropsWhatWasStartedUnseen() {
        var h = Harness()
        h.silence(0.5)
        h.speech(0.8)
        h.silence(0.2)
        let serial = try! #require(h.pauseTranscriptions.first)
        h.handle(.transcribedAtPause(serial: serial, result: Self.transcript("I was wondering"), evidence: Self.quiet()))
        let held = try! #require(h.replyRequests.first)
        h.speech(0.8, seed: 2)  // the user goes on
        #expect(h.stoppedReplies == [held.id])
        #expect(h.actions.contains { if case .cancelTranscriptionAtPause(serial) = $0 { true } else { false } })
        // Whatever the dropped reply still sends is ignored.
        h.handle(.reply(held.id, .answer("Sure")))
        h.handle(.replyEnded(held.id, ReplyOutcome(status: .completed), failure: nil))
        #expect(!h.sent.contains("response.created") && !h.sent.contains("response.done"))
        h.silence(0.7)
        // The turn ends once, transcribed whole; a new pause serial was started and dropped or
        // the end came: either way one commit.
        #expect(h.events("input_audio_buffer.committed").count == 1)
        #expect(h.events("input_audio_buffer.speech_started").count == 1)
    }

    /// A short answer can be generated and voiced before the turn's end is confirmed (on a fast
    /// machine): it still reaches the client whole, in order, once the end is confirmed.
    @Test func aHeldReplyThatEndsBeforeTheTurnIsConfirmedStillGoesOut() {
        var h = Harness()
        h.silence(0.5)
        h.speech(1.0)
        h.silence(0.2)
        let serial = try! #require(h.pauseTranscriptions.first)
        h.handle(.transcribedAtPause(serial: serial, result: Self.transcript("Name a black cat."), evidence: Self.quiet()))
        let reply = try! #require(h.replyRequests.first)
        h.handle(.reply(reply.id, .answer("Midnight.")))
        h.handle(.replyAudio(reply.id, samples: [Float](repeating: 0.1, count: 2_400), clause: "Midnight.", index: 0))
        h.handle(.replyEnded(reply.id, ReplyOutcome(status: .completed), failure: nil))
        #expect(!h.sent.contains("response.created") && !h.sent.contains("response.done"), "nothing before the end is confirmed: \(h.sent)")
        h.silence(0.5)
        let order = h.sent.filter { ["response.created", "audio", "response.done"].contains($0) }
        #expect(order == ["response.created", "audio", "response.done"], "\(h.sent)")
        #expect(h.lastResponse?.status == .completed)
        #expect(h.machine.history.turns.map(\.content) == ["Name a black cat.", "Midnight."])
    }

    @Test func theTranscriptMayArriveAfterTheTurnIsConfirmed() {
        var h = Harness()
        h.silence(0.5)
        h.speech(1.0)
        h.silence(0.8)  // pause and confirmation, before the pause's transcript is back
        let serial = try! #require(h.pauseTranscriptions.first)
        #expect(h.sent.contains("input_audio_buffer.committed"))
        #expect(h.replyRequests.isEmpty)
        h.handle(.transcribedAtPause(serial: serial, result: Self.transcript("Hello there."), evidence: Self.quiet()))
        let reply = try! #require(h.replyRequests.first)
        #expect(h.sent.last == "conversation.item.done" || h.sent.contains("response.created"))
        #expect(h.sent.contains("response.created"), "not held: the turn is over")
        _ = reply
    }

    @Test func manualTurnsWaitForTheClientsCommit() {
        var configuration = SessionConfiguration()
        configuration.turnDetection = nil
        var h = Harness(configuration: configuration)
        h.handle(.client(.commitAudio, eventID: "c1"))
        #expect(h.events("error").count == 1)
        h.silence(0.2)
        h.speech(1.0)
        h.silence(1.0)
        #expect(!h.sent.contains("input_audio_buffer.speech_started"), "no VAD in manual mode")
        h.handle(.client(.commitAudio, eventID: nil))
        let item = try! #require(h.finishedTurns.first)
        #expect(h.sent.contains("input_audio_buffer.committed"))
        var brief = ResponseOptions()
        brief.instructions = "Be brief."
        h.handle(.client(.createResponse(brief), eventID: nil))
        #expect(h.replyRequests.isEmpty, "the reply waits for the transcript")
        h.handle(.transcribed(itemID: item, result: Self.transcript("Hi."), evidence: Self.quiet()))
        #expect(h.replyRequests.first?.conversation.system == "Be brief.")
    }

    @Test func aTurnWithNothingSaidGetsNoReply() {
        var h = Harness()
        h.silence(0.5)
        h.speech(0.6)
        h.silence(0.8)
        if let serial = h.pauseTranscriptions.first {
            h.handle(.transcribedAtPause(serial: serial, result: Self.transcript("  "), evidence: Self.quiet()))
        } else if let item = h.finishedTurns.first {
            h.handle(.transcribed(itemID: item, result: Self.transcript(" "), evidence: Self.quiet()))
        }
        #expect(h.replyRequests.isEmpty)
        #expect(h.sent.contains("conversation.item.input_audio_transcription.completed"))
    }

    // MARK: Replies

    @Test func aReplyGoesThroughTheItemLifecycleInTheAPIsOrder() {
        var h = Harness()
        let id = Self.typedReply(&h)
        h.handle(.reply(id, .reasoning("thinking")))
        h.handle(.reply(id, .answer("Hello there.")))
        h.handle(.replyAudio(id, samples: [Float](repeating: 0, count: 4_800), clause: "Hello there.", index: 0))
        h.handle(.replyEnded(id, ReplyOutcome(status: .completed), failure: nil))
        let reply = h.sent.drop { $0 != "response.created" }
        #expect(Array(reply) == ["response.created", "rate_limits.updated", "response.output_item.added", "conversation.item.added", "response.content_part.added",
                                 "rtd.response.reasoning.delta", "response.output_audio_transcript.delta", "audio",
                                 "rtd.response.reasoning.done", "response.output_audio_transcript.done", "response.output_audio.done",
                                 "response.content_part.done", "response.output_item.done", "conversation.item.done",
                                 "rtd.response.timings", "response.done"])
        #expect(h.lastResponse?.spoken == "Hello there.")
        #expect(h.lastResponse?.audioMs == 200)
    }

    @Test func bargeInStopsTheReplyAndKeepsOnlyWhatWasHeard() {
        var configuration = SessionConfiguration()
        configuration.interruptions.falseInterruptionMs = 0  // any speech stops it (InterruptionTests: the pause first)
        var h = Harness(configuration: configuration)
        h.silence(0.5)
        let id = Self.typedReply(&h, "Count to four.")
        h.handle(.reply(id, .answer("One two three four.")))
        h.handle(.replyAudio(id, samples: [Float](repeating: 0, count: 24_000), clause: "One two three four.", index: 0))  // 1 s
        h.advance(0.5)  // half of it played
        h.speech(0.3)   // the user talks over it; the VAD needs a few hops to be sure
        #expect(h.stoppedReplies == [id])
        let done = try! #require(h.lastResponse)
        #expect(done.status == .cancelled && done.reason == "turn_detected")
        let heard = done.spoken.split(separator: " ").count
        #expect((2...3).contains(heard), "heard '\(done.spoken)'")
        #expect(h.machine.history.turns.last?.content == done.spoken)
        // Audio for it after the cancellation is not sent.
        let before = h.sent.count
        h.handle(.replyAudio(id, samples: [Float](repeating: 0, count: 2_400), clause: "Five.", index: 1))
        #expect(h.sent.count == before)
    }

    @Test func truncateKeepsWhatThePlayerPlayedAndAnyNumberIsSafe() {
        var h = Harness()
        let id = Self.typedReply(&h)
        h.handle(.reply(id, .answer("Alpha beta gamma delta.")))
        h.handle(.replyAudio(id, samples: [Float](repeating: 0, count: 24_000), clause: "Alpha beta gamma delta.", index: 0))
        h.handle(.replyEnded(id, ReplyOutcome(status: .completed), failure: nil))
        h.silence(0.6)  // paced: the last of it goes out
        let item = try! #require(h.lastResponse?.itemID)
        h.handle(.client(.truncate(itemID: item, contentIndex: 0, audioEndMs: 500), eventID: nil))
        #expect(h.machine.history.turns.last?.content == "Alpha beta")
        h.handle(.client(.truncate(itemID: item, contentIndex: 0, audioEndMs: Int.max), eventID: nil))
        if case .itemTruncated(_, let ms)? = h.events("conversation.item.truncated").last { #expect(ms == 1_000) } else { Issue.record("no truncated event") }
        h.handle(.client(.truncate(itemID: "item_nope", contentIndex: 0, audioEndMs: 10), eventID: "e9"))
        if case .error(let e)? = h.events("error").last { #expect(e.code == "item_not_found" && e.eventID == "e9") } else { Issue.record("no error") }
    }

    @Test func aSecondResponseWhileOneRunsIsRefused() {
        var h = Harness()
        _ = Self.typedReply(&h)
        h.handle(.client(.createResponse(ResponseOptions()), eventID: "again"))
        if case .error(let e)? = h.events("error").last { #expect(e.code == "conversation_already_has_active_response") } else { Issue.record("no error") }
        h.handle(.client(.cancelResponse, eventID: nil))
        #expect(h.lastResponse?.status == .cancelled && h.lastResponse?.reason == "client_cancelled")
    }

    @Test func aFailedReplySaysWhyAndTheSessionGoesOn() {
        var h = Harness()
        let id = Self.typedReply(&h)
        h.handle(.replyEnded(id, ReplyOutcome(status: .failed), failure: "the voice failed: test"))
        #expect(h.lastResponse?.status == .failed)
        if case .error(let e)? = h.events("error").last { #expect(e.code == "response_failed") } else { Issue.record("no error") }
        _ = Self.typedReply(&h)
        #expect(h.replyRequests.count == 2)
    }

    @Test func closingStopsEverythingAndLateResultsAreIgnored() {
        var h = Harness()
        h.silence(0.5)
        h.speech(1.0)
        h.silence(0.2)
        let serial = try! #require(h.pauseTranscriptions.first)
        h.handle(.transcribedAtPause(serial: serial, result: Self.transcript("Wait"), evidence: Self.quiet()))
        let held = try! #require(h.replyRequests.first)
        h.handle(.close)
        #expect(h.stoppedReplies.contains(held.id))
        #expect(h.actions.contains { if case .shutDown = $0 { true } else { false } })
        let count = h.actions.count
        h.handle(.transcribed(itemID: "item_x", result: Self.transcript("late"), evidence: Self.quiet()))
        h.handle(.replyEnded(held.id, ReplyOutcome(status: .completed), failure: nil))
        h.speech(0.5)
        #expect(h.actions.count == count, "nothing happens after close")
    }

    @Test func closingDuringAReplyCancelsItForTheMetrics() {
        var h = Harness()
        _ = Self.typedReply(&h)
        h.handle(.close)
        #expect(h.lastResponse?.status == .cancelled)
        #expect(!h.actions.contains { if case .prepare = $0 { true } else { false } } || h.actions.last.map { if case .shutDown = $0 { true } else { false } } == true)
    }

    // MARK: Session settings and extensions

    @Test func extensionsAreAskedForByName() {
        var h = Harness(extensions: [])
        h.handle(.client(.sessionUpdate(.init(object: ["extensions": ["reasoning"]])), eventID: nil))
        #expect(h.machine.extensions == [.reasoning])
        h.handle(.client(.sessionUpdate(.init(object: ["extensions": ["telepathy"]])), eventID: "x"))
        if case .error(let e)? = h.events("error").last { #expect(e.code == "invalid_value" && e.eventID == "x") } else { Issue.record("no error") }
        #expect(h.machine.extensions == [.reasoning])
    }

    @Test func strictClientsDoNotSeeExtensionEvents() {
        let part = ResponsePart(responseID: "r", itemID: "i")
        #expect(ServerEvent.reasoningDelta(part, delta: "x").json(extensions: []) == nil)
        #expect(ServerEvent.reasoningDelta(part, delta: "x").json(extensions: [.reasoning]) != nil)
        var summary = ResponseSummary(id: "r", itemID: "i", status: .completed, spoken: "Hi")
        summary.timingsMs = ["first_audio": 500]
        #expect(ServerEvent.responseTimings(summary).json(extensions: [.reasoning]) == nil)
        let plain = ServerEvent.responseDone(summary).json(extensions: [])?["response"] as? [String: Any]
        #expect(plain?["metadata"] is NSNull)
        let opted = ServerEvent.responseDone(summary).json(extensions: [.timings])?["response"] as? [String: Any]
        #expect((opted?["metadata"] as? [String: String])?["speculative"] == "false")
    }
}

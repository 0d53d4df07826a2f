@testable import Engine
import Foundation
import Testing
import AudioIO
@testable import Streaming

/// Speech over a reply, without models: the reply's audio pauses at once; words that take the
/// turn stop it, a backchannel or a sound without words lets it go on from where it was heard.
/// And the pacing that makes this possible: reply audio goes out as it is played.
@Suite struct InterruptionTests {
    typealias Harness = SessionMachineTests.Harness

    /// A reply whose audio (`seconds` long, at 24 kHz) counts up, so that each sample says where
    /// in the reply it is.
    static func countingAudio(seconds: Double) -> [Float] {
        (0..<Int(seconds * 24_000)).map { Float($0) }
    }

    /// The reply audio sent so far, in order.
    static func audioSent(_ h: Harness) -> [Float] {
        h.actions.flatMap { action -> [Float] in if case .output(.audio(let samples, _, _)) = action { samples } else { [] } }
    }

    static func partial(_ text: String, confirmed: Bool = true) -> SessionInput {
        .partial(StreamingHypothesis(confirmedText: confirmed ? text : "", tentativeText: confirmed ? "" : text, confirmedTokens: [],
                                     audioSeconds: 1, runSeconds: 0.1, isFinal: false))
    }

    /// A typed question, and a reply to it of `seconds` of audio, all made at once.
    static func replying(_ h: inout Harness, _ answer: String, seconds: Double) -> ReplyID {
        h.silence(0.5)
        let id = SessionMachineTests.typedReply(&h)
        h.handle(.reply(id, .answer(answer)))
        h.handle(.replyAudio(id, samples: countingAudio(seconds: seconds), clause: answer, index: 0))
        return id
    }

    @Test func replyAudioGoesOutAtThePaceItIsPlayedAndTheReplyEndsWhenAllIsOut() {
        var h = Harness()
        let id = Self.replying(&h, "One two three four five six.", seconds: 3)
        #expect(Self.audioSent(h).count == 12_000, "the lead (500 ms) goes out at once")
        h.handle(.replyEnded(id, ReplyOutcome(status: .completed), failure: nil))
        #expect(h.lastResponse == nil, "the reply is in progress while it plays")
        h.silence(1.0)
        let sent = Self.audioSent(h)
        #expect((33_600...36_000).contains(sent.count), "1 s later: up to 1.5 s sent, in 100 ms pieces (\(sent.count))")
        #expect(sent == Self.countingAudio(seconds: 3).prefix(sent.count).map { $0 }, "in order, nothing twice")
        h.silence(2.0)
        #expect(Self.audioSent(h) == Self.countingAudio(seconds: 3))
        // Whole 20 ms frames, but for the last piece: an Opus client's frames never straddle a pause.
        let pieces = h.actions.compactMap { action -> Int? in if case .output(.audio(let samples, _, _)) = action { samples.count } else { nil } }
        #expect(pieces.dropLast().allSatisfy { $0 % 480 == 0 }, "\(pieces)")
        #expect(h.lastResponse?.status == .completed)
        let order = h.sent.filter { $0 == "audio" || $0 == "response.output_audio.done" || $0 == "response.done" }
        #expect(order.suffix(2) == ["response.output_audio.done", "response.done"] && order.dropLast(2).allSatisfy { $0 == "audio" })
    }

    @Test func unpacedRepliesSendTheirAudioAsItComes() {
        var configuration = SessionConfiguration()
        configuration.outputLeadMs = nil
        var h = Harness(configuration: configuration)
        let id = Self.replying(&h, "One two three.", seconds: 3)
        #expect(Self.audioSent(h).count == 72_000)
        h.handle(.replyEnded(id, ReplyOutcome(status: .completed), failure: nil))
        #expect(h.lastResponse?.status == .completed)
    }

    @Test func speechOverAReplyPausesItAndWordsThatTakeTheTurnStopIt() {
        var h = Harness()
        let id = Self.replying(&h, "One two three four five six.", seconds: 3)
        h.silence(0.5)  // half a second of it played
        h.speech(0.3)   // the user talks over it
        #expect(h.sent.contains("input_audio_buffer.speech_started"))
        #expect(h.stoppedReplies.isEmpty, "paused, not stopped: the words decide")
        let sentAtPause = Self.audioSent(h).count
        h.speech(0.5)
        #expect(Self.audioSent(h).count == sentAtPause, "no audio while paused")
        h.handle(Self.partial("Wai", confirmed: false))
        #expect(h.stoppedReplies.isEmpty, "a single tentative word may be half of one")
        h.handle(Self.partial("Wait, what", confirmed: false))
        #expect(h.stoppedReplies == [id])
        let done = try! #require(h.lastResponse)
        #expect(done.status == .cancelled && done.reason == "turn_detected")
        // Paused after ~0.6 s of 3 s: the first of six words was heard.
        #expect(done.spoken == "One", "heard '\(done.spoken)'")
        #expect(h.machine.history.turns.last?.content == "One")
    }

    @Test func aBackchannelLetsTheReplyGoOnFromWhereTheClientStopped() throws {
        var h = Harness()
        let id = Self.replying(&h, "One two three four five six.", seconds: 3)
        h.silence(1.0)
        h.speech(0.4)  // "mm-hmm"
        let item = try #require(h.machine.turnItemID)
        // The client stopped playing at speech_started and says where.
        let replyItem = try #require(h.replyRequests.last.map { _ in h.machine.reply?.itemID } ?? nil)
        h.handle(.client(.truncate(itemID: replyItem, contentIndex: 0, audioEndMs: 1_100), eventID: nil))
        if case .itemTruncated(_, let ms)? = h.events("conversation.item.truncated").last { #expect(ms == 1_100) } else { Issue.record("no truncated event") }
        let sentBefore = Self.audioSent(h).count
        h.silence(0.6)  // the turn ends
        #expect(h.finishedTurns.contains(item))
        let requests = h.replyRequests.count
        h.handle(.transcribed(itemID: item, result: SessionMachineTests.transcript("Mm-hmm."), evidence: SessionMachineTests.quiet()))
        #expect(h.stoppedReplies.isEmpty && h.replyRequests.count == requests, "the reply goes on; the backchannel is not answered")
        let resumed = Self.audioSent(h).dropFirst(sentBefore)
        #expect(resumed.first == Float(1_100 * 24), "resumed where the client stopped")
        #expect(h.sent.contains("conversation.item.input_audio_transcription.completed"))
        #expect(!h.machine.history.turns.contains { $0.content.contains("Mm-hmm") })
        h.handle(.replyEnded(id, ReplyOutcome(status: .completed), failure: nil))
        h.silence(3)
        let done = try #require(h.lastResponse)
        #expect(done.status == .completed && done.spoken == "One two three four five six.")
        #expect(h.machine.history.turns.last?.content == "One two three four five six.")
    }

    @Test func aSoundWithoutWordsResumesTheReplyAfterASecond() throws {
        var h = Harness()
        _ = Self.replying(&h, "One two three four five six.", seconds: 4)
        h.silence(0.5)
        h.speech(0.5)  // a door, a cough: no words
        let sentAtPause = Self.audioSent(h).count
        h.handle(Self.partial(""))
        #expect(Self.audioSent(h).count == sentAtPause, "too soon to tell")
        h.speech(0.6)
        h.handle(Self.partial(""))
        h.speech(0.1)
        #expect(Self.audioSent(h).count > sentAtPause, "no words after a second: it plays on")
        let item = try #require(h.machine.turnItemID)
        h.silence(0.6)
        h.handle(.transcribed(itemID: item, result: SessionMachineTests.transcript(""), evidence: SessionMachineTests.quiet()))
        #expect(h.stoppedReplies.isEmpty && h.lastResponse == nil)
    }

    @Test func wordsAfterAFalseInterruptionStillStopTheReply() throws {
        var h = Harness()
        let id = Self.replying(&h, "One two three four five six.", seconds: 4)
        h.silence(0.5)
        h.speech(1.1)
        h.handle(Self.partial(""))  // resumed
        h.speech(0.5)
        h.handle(Self.partial("Actually, stop"))
        #expect(h.stoppedReplies == [id])
    }

    @Test func withoutPausingAnySpeechStopsTheReplyAtOnce() {
        var configuration = SessionConfiguration()
        configuration.interruptions.falseInterruptionMs = 0
        var h = Harness(configuration: configuration)
        let id = Self.replying(&h, "One two three four.", seconds: 1)
        h.silence(0.5)
        h.speech(0.3)
        #expect(h.stoppedReplies == [id])
        #expect(h.lastResponse?.status == .cancelled)
    }

    @Test func aBackchannelIsAcknowledgementsOnly() {
        let policy = InterruptionPolicy()
        for text in ["Mm-hmm.", "Yeah.", "Okay, right.", "Uh-huh", "Oh, I see.", "Yes, yes.", "Hmm"] {
            #expect(policy.verdict(text) == .backchannel, "\(text)")
        }
        for text in ["Wait.", "Okay, stop.", "Yeah, but what about Rome?", "No.", "Right, right, right, right, right."] {
            #expect(policy.verdict(text) == .takesTurn, "\(text)")
        }
        #expect(policy.verdict(" ... ") == .noWords)
        var strict = InterruptionPolicy()
        strict.keepsReplyOnBackchannel = false
        #expect(strict.verdict("Yeah.") == .takesTurn)
    }
}

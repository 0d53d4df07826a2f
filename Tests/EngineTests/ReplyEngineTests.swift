import Engine
import Foundation
import Testing

/// Think while speaking on the real SmolLM2: the three modes, cancellation, and the head start
/// that listen-while-think prefilling gives.
@Suite(.serialized) struct ReplyEngineTests {
    static let engine: Result<EmbeddedReplyEngine, any Error> = Result {
        try EmbeddedReplyEngine(model: try LlamaModel(path: try ModelPaths.smolLM, threads: 2))
    }

    static let shortAnswers = "You are a friendly voice assistant. Answer in one or two short, plain sentences."

    /// `system` nil: the chat template's own system prompt (the daemon's default).
    static func history(_ question: String, system: String? = shortAnswers) -> ConversationHistory {
        var h = ConversationHistory(system: system, tokenBudget: 1024, reservedForReply: 224)
        h.appendUser(question)
        return h
    }

    static func run(_ mode: ReplyMode, _ question: String, system: String? = shortAnswers, context: (any ReplyContext)? = nil,
                    cancelAfterAnswerPieces: Int? = nil, answerReadsThoughts: Bool = false) throws -> (events: [ReplyEvent], outcome: ReplyOutcome) {
        let context = try context ?? engine.get().makeContext()
        var settings = ReplySettings()
        settings.mode = mode
        settings.answerReadsThoughts = answerReadsThoughts
        settings.maxReasoningTokens = 32
        settings.maxAnswerTokens = 48
        let cancellation = CancellationFlag()
        var events: [ReplyEvent] = []
        let outcome = context.reply(to: history(question, system: system), evidence: "[voice: pitch 120 Hz, rising at the end (a question?); quiet room]",
                                    settings: settings, cancellation: cancellation) { event in
            events.append(event)
            if let n = cancelAfterAnswerPieces, events.filter({ if case .answer = $0 { true } else { false } }).count >= n { cancellation.cancel() }
        }
        return (events, outcome)
    }

    static func text(_ events: [ReplyEvent]) -> (reasoning: String, answer: String) {
        var r = "", a = ""
        for e in events {
            switch e {
            case .reasoning(let t): r += t
            case .answer(let t): a += t
            case .answerComplete, .functionCall: break
            }
        }
        return (r, a)
    }

    @Test func thinkBeforeSpeakingThinksThenAnswers() throws {
        let (events, outcome) = try Self.run(.thinkBeforeSpeaking, "Why is the sky blue?")
        let (reasoning, answer) = Self.text(events)
        #expect(outcome.status == .completed)
        #expect(!reasoning.isEmpty && !answer.isEmpty, "reasoning '\(reasoning)' answer '\(answer)'")
        // Every thought comes before the first word of the answer, and no tag is ever spoken.
        let firstAnswer = events.firstIndex { if case .answer = $0 { true } else { false } } ?? 0
        #expect(events[firstAnswer...].allSatisfy { if case .answer = $0 { true } else { false } })
        #expect(!answer.contains("<think>") && !answer.contains("</think>"))
        #expect(outcome.pairedSteps == 0)
    }

    @Test func thinkFirstSpeaksAfterTheFirstThoughtSegmentWithBothStreamsTogether() throws {
        // A question with a long answer: the thinking pauses while the answer's first clause is
        // written, and goes on beside the rest.
        // (The answer reads the thoughts: otherwise the thinking is one sentence, which may end
        // before the answer starts.)
        let (events, outcome) = try Self.run(.thinkFirst, "Tell me a long story about a dragon who learns to sing.", answerReadsThoughts: true)
        let (reasoning, answer) = Self.text(events)
        #expect(outcome.status == .completed)
        #expect(!reasoning.isEmpty && !answer.isEmpty)
        #expect(events.first.map { if case .reasoning = $0 { true } else { false } } == true)
        #expect(outcome.pairedSteps > 0, "the two streams never shared a decode step: \(outcome)")
    }

    @Test func speakFirstStartsWithTheAnswerAndThinksAlongside() throws {
        let (events, outcome) = try Self.run(.speakFirst, "Could you explain how a rainbow forms?")
        let (_, answer) = Self.text(events)
        #expect(outcome.status == .completed)
        #expect(events.first.map { if case .answer = $0 { true } else { false } } == true, "\(events.prefix(3))")
        #expect(answer.count > 20)
        #expect(outcome.reasoningTokens > 0 && outcome.pairedSteps > 0, "\(outcome)")
    }

    @Test func speakingFirstTheThinkingWaitsUntilTheVoiceHasItsFirstClause() throws {
        // Answers whose first clause is long ("The day after Wednesday is a special day in …"):
        // the voice cuts it late, and the thinking's prefill must not come before that clause's
        // synthesis.
        for question in ["What day comes after Wednesday?", "Which is heavier, a feather or a car?"] {
            let (events, outcome) = try Self.run(.speakFirst, question, system: nil)
            #expect(outcome.reasoningTokens > 0, "\(outcome)")
            let firstThought = try #require(events.firstIndex { if case .reasoning = $0 { true } else { false } })
            var voice = ClauseChunker()
            let pieces = events[..<firstThought].compactMap { if case .answer(let a) = $0 { a } else { nil } }
            let cut = try #require(pieces.firstIndex { !voice.feed($0).isEmpty }, "thinking began before the voice had a clause: \(pieces)")
            #expect(pieces.count > cut + 1, "thinking began in the step that cut the clause: \(pieces)")
        }
    }

    @Test func theAnswerReadsTheThoughtsOnlyWhenAsked() throws {
        // Off (the default): every mode speaks the model's own answer, whatever the thinking says.
        let answers = try ReplyMode.allCases.map { Self.text(try Self.run($0, "What is the capital of France?").events).answer }
        #expect(Set(answers).count == 1 && !answers[0].isEmpty, "\(answers)")
        let (_, plain) = try Self.run(.speakFirst, "Tell me a long story about a dragon who learns to sing.")
        #expect(plain.reconditionings == 0 && plain.reasoningTokens > 0, "\(plain)")
        // On: the answer is re-conditioned on newer thoughts as they come.
        let (_, reading) = try Self.run(.speakFirst, "Tell me a long story about a dragon who learns to sing.", answerReadsThoughts: true)
        #expect(reading.reconditionings > 0, "\(reading)")
    }

    @Test func thinkingNobodyReadsEndsWithItsFirstSentence() throws {
        let question = "Tell me a long story about a dragon who learns to sing."
        let (unreadEvents, unread) = try Self.run(.thinkBeforeSpeaking, question)
        let thought = Self.text(unreadEvents).reasoning.trimmingCharacters(in: .whitespacesAndNewlines)
        let sentenceEnds = thought.enumerated().filter { i, c in
            ".!?".contains(c) && (i == thought.count - 1 || thought[thought.index(thought.startIndex, offsetBy: i + 1)].isWhitespace)
        }
        #expect(sentenceEnds.count <= 1 && !thought.isEmpty, "'\(thought)'")
        // Read by the answer, the thinking runs on to its budget or its own end.
        let (_, read) = try Self.run(.thinkBeforeSpeaking, question, answerReadsThoughts: true)
        #expect(read.reasoningTokens > unread.reasoningTokens, "read \(read.reasoningTokens) tokens, unread \(unread.reasoningTokens)")
    }

    @Test func cancellationStopsBetweenTokens() throws {
        let (events, outcome) = try Self.run(.speakFirst, "Tell me a long story about a dragon.", cancelAfterAnswerPieces: 3)
        #expect(outcome.status == .cancelled)
        #expect(events.filter { if case .answer = $0 { true } else { false } }.count <= 4)
    }

    @Test func whatWasPreparedWhileTheUserSpokeIsNotComputedAgain() throws {
        let context = try Self.engine.get().makeContext()
        var partial = Self.history("How many legs does a")
        try context.prepare(partial)
        partial = Self.history("How many legs does a spider have?")
        try context.prepare(partial)
        let (_, prepared) = try Self.run(.thinkBeforeSpeaking, "How many legs does a spider have?", context: context)
        let (_, cold) = try Self.run(.thinkBeforeSpeaking, "How many legs does a spider have?")
        // The cold reply computes the whole prompt (system, question, evidence); the prepared
        // one only the question's last tokens, the evidence and the tags.
        #expect(prepared.prefilledTokens < cold.prefilledTokens - 20, "prepared \(prepared.prefilledTokens), cold \(cold.prefilledTokens)")
    }

    /// semantic_vad's question to the reasoner: how likely the user's message ends here.
    @Test func theReasonerTellsAFinishedSentenceFromAnUnfinishedOne() throws {
        let engine = try Self.engine.get()
        func probability(_ text: String) throws -> Double {
            try #require(try engine.makeContext().endOfTurnProbability(Self.history(text, system: nil)))
        }
        let finished = try ["What is the capital of France?", "How many legs does a spider have?", "Tell me a joke."].map(probability)
        let unfinished = try ["I was wondering what the", "Can you tell me about the moon and", "How far is it from Paris to"].map(probability)
        #expect(finished.min()! > 4 * unfinished.max()!, "finished \(finished), unfinished \(unfinished)")
        // The words it read stay in the cache: the reply that follows does not compute them again.
        let context = engine.makeContext()
        let question = "How many legs does a spider have?"
        try context.prepare(Self.history(question, system: nil))
        _ = try context.endOfTurnProbability(Self.history(question, system: nil))
        let (_, after) = try Self.run(.thinkBeforeSpeaking, question, system: nil, context: context)
        let (_, cold) = try Self.run(.thinkBeforeSpeaking, question, system: nil)
        #expect(after.prefilledTokens < cold.prefilledTokens - 20, "after the estimate \(after.prefilledTokens), cold \(cold.prefilledTokens)")
    }

    /// A long conversation that has just come within a user turn of its budget, as a session
    /// holds it after a reply.
    static func conversationNearItsBudget(_ engine: EmbeddedReplyEngine) -> ConversationHistory {
        var h = history("What is the capital of France?")
        h.appendAssistant("The capital of France is Paris, a city on the Seine known for its museums and cafes.")
        let limit = h.tokenBudget - h.reservedForReply
        var n = 0
        while engine.tokenizer.encode(engine.template.render([ChatMessage(role: .system, content: h.system ?? "")] + h.turns)).count
                < limit - EmbeddedReplyEngine.userTurnAllowance + 8 {
            n += 1
            h.appendUser("Tell me one more fact about city number \(n).")
            h.appendAssistant("City number \(n) has a river, an old bridge, a busy market and a small museum of local history.")
        }
        return h
    }

    @Test func theConversationPreparedBetweenTurnsLeavesTheNextReplyOnlyTheNewWords() throws {
        let engine = try Self.engine.get()
        let settled = Self.conversationNearItsBudget(engine)
        var next = settled
        next.appendUser("And what about Spain?")
        var settings = ReplySettings()
        settings.mode = .speakFirst
        settings.maxReasoningTokens = 8
        settings.maxAnswerTokens = 8
        func reply(_ context: any ReplyContext) -> ReplyOutcome {
            context.reply(to: next, evidence: nil, settings: settings, cancellation: CancellationFlag()) { _ in }
        }
        // Between turns: the conversation so far is prepared, leaving out old turns now (it is
        // within a user turn of the budget), so the reply reads only the new question.
        let prepared = engine.makeContext()
        try prepared.prepare(settled)
        let warm = reply(prepared)
        let cold = reply(engine.makeContext())
        #expect(warm.status == .completed && cold.status == .completed)
        #expect(warm.prefilledTokens < 60, "prepared between turns: \(warm.prefilledTokens) tokens prefilled at the reply")
        #expect(cold.prefilledTokens > 250, "cold: \(cold.prefilledTokens)")
    }
}

import Foundation

/// Think while speaking, after Mind-Paced Speaking: a *formulation* stream writes the thinking
/// and an *articulation* stream writes the words to say, conditioned on the thoughts so far; both
/// run on one set of weights and advance together, one batched decode step for both tokens
/// (decoding streams the weights from memory once per step, so two rows cost little more than one).
///
/// The articulation prompt is the conversation, then `<think>` + the thoughts of the completed
/// segments + `</think>`, then the answer written so far. After each response segment, if a new
/// thought segment is complete, that prompt is rebuilt with the newer thoughts; the cache keeps
/// the common prefix, so only the new thoughts and the answer so far are computed again.
/// Thinking is closed for the model when it writes `</think>`, ends its turn, or reaches its budget.
///
/// Unless `ReplySettings.answerReadsThoughts` is set, the articulation stream reads no thoughts:
/// SmolLM2-135M answered worse when it read its own thoughts (on `rtbench accuracy`'s tuning
/// questions, 12–14 of 22 right against 17 without; docs/accuracy.md), so by default it cannot
/// derail the answer. The thinking is then one sentence, still written and reported (clients see
/// what the model made of the question): more would be computed for nobody, and in
/// `think_before_speaking` the listener would wait for it.
///
/// The acoustic evidence of the turn opens the thinking (`<think>\n[voice: …]\n`): the thoughts
/// can cite it, and the articulation stream's first segment, which sees no thoughts yet, does not
/// wait for its tokens to be computed (they are ~30, a tenth of a second on two cores).
struct MindPacedDecoder {
    /// Decode steps go through it, batched with other sessions' replies; loads take their turn
    /// in its scheduler.
    let batcher: DecodeBatcher
    var model: LlamaModel { batcher.model }
    let tokenizer: Tokenizer
    let settings: ReplySettings
    /// The conversation rendered up to the assistant's turn (generation prompt included).
    let conversation: [Int]
    /// The evidence line that opens the thinking ("" if none).
    let evidenceLine: String

    private let stopTokens: Set<Int>

    init(batcher: DecodeBatcher, tokenizer: Tokenizer, settings: ReplySettings, conversation: [Int], evidence: String? = nil) {
        self.batcher = batcher
        self.tokenizer = tokenizer
        self.settings = settings
        self.conversation = conversation
        evidenceLine = evidence.map { $0 + "\n" } ?? ""
        stopTokens = Set(tokenizer.specialTokens.map(\.id) + [tokenizer.eos].compactMap { $0 })
    }

    /// The articulation stream's prompt for the given thoughts (none unless
    /// `ReplySettings.answerReadsThoughts`).
    /// Without thoughts (speak first, first segment) there is no think block at all: a chat model
    /// answers best from its plain template, and an empty block led SmolLM2 into numbered lists.
    func articulationPrompt(thoughts: String, answer: [Int]) -> [Int] {
        let written = thoughts.trimmingCharacters(in: .whitespacesAndNewlines)
        guard settings.answerReadsThoughts, !written.isEmpty else { return conversation + answer }
        let block = ReasoningSplitter.openTag + "\n" + evidenceLine + written + "\n" + ReasoningSplitter.closeTag + "\n\n"
        return conversation + tokenizer.encode(block, parseSpecial: false, addBOS: false) + answer
    }

    var formulationPrompt: [Int] {
        conversation + tokenizer.encode(ReasoningSplitter.openTag + "\n" + evidenceLine, parseSpecial: false, addBOS: false)
    }

    func run(formulation formulationCache: KVCache, articulation articulationCache: KVCache,
             cancellation: CancellationFlag, onEvent: (ReplyEvent) -> Void) -> ReplyOutcome {
        var outcome = ReplyOutcome(status: .completed)
        var thinker = DecodingStream(cache: formulationCache, sampler: settings.sampler)
        var speaker = DecodingStream(cache: articulationCache, sampler: settings.sampler)
        var speakerStarted = false
        var answerFilter = ReasoningSplitter()
        var thoughtFilter = ReasoningSplitter(startsInReasoning: true)
        /// Thought text at each segment boundary; the articulation stream sees `segments[conditionedOn]`.
        var segments: [String] = [""]
        var conditionedOn = -1
        var answerSinceConditioning = 0
        let window = settings.sampler.repetitionWindow

        // The answer's first clause as the voice cuts it, and the answer tokens written when it
        // was cut: the formulation stream waits for it (see `firstClausePending`).
        var voiceClauses = ClauseChunker()
        var firstClauseAt: Int?
        func emitAnswer(_ text: String) {
            for case .answer(let a) in answerFilter.feed(text) {
                onEvent(.answer(a))
                if firstClauseAt == nil, !voiceClauses.feed(a).isEmpty { firstClauseAt = speaker.generated.count }
            }
        }
        func closeThinking() {
            thinker.finished = true
            let thoughts = Self.thoughts(in: thinker.text)
            if segments.last != thoughts { segments.append(thoughts) }
        }
        let scheduler = batcher.scheduler
        func condition(on segment: Int) throws(EngineError) {
            let prompt = articulationPrompt(thoughts: segments[segment], answer: speaker.generated)
            let (_, computed) = try scheduler.perform(.replyTokens, cancellation: cancellation) { () throws(EngineError) in
                try speaker.load(prompt, model: model, donor: thinker.cache)
            }
            guard let computed else { throw EngineError.cancelled }
            outcome.prefilledTokens += computed
            if conditionedOn >= 0 { outcome.reconditionings += 1 }
            conditionedOn = segment
            answerSinceConditioning = 0
            speakerStarted = true
        }

        do {
            // Speak first: the articulation stream starts at once (its prompt shares the
            // conversation with the formulation cache, prepared while the user spoke); the
            // formulation stream is loaded when it joins, after the first clause.
            var thinkerLoaded = false
            let formulationPrompt = self.formulationPrompt
            func loadThinker() throws(EngineError) {
                let priority: WorkPriority = settings.mode == .speakFirst ? .thinking : .replyTokens
                let (_, computed) = try scheduler.perform(priority, cancellation: cancellation) { () throws(EngineError) in
                    try thinker.load(formulationPrompt, model: model)
                }
                guard let computed else { throw EngineError.cancelled }
                outcome.prefilledTokens += computed
                thinkerLoaded = true
            }
            if settings.mode == .speakFirst {
                try condition(on: 0)
            } else {
                try loadThinker()
            }
            while true {
                if cancellation.isCancelled { outcome.status = .cancelled; break }
                var rows: [(token: Int, cache: KVCache)] = []
                var rowOwners: [Bool] = []  // true: thinker

                // The answer's first clause has priority over thinking (it is what the listener
                // waits for): once the articulation stream has started (at once in speak_first),
                // the formulation stream pauses until that clause is written.
                let firstClausePending = Self.firstClausePending(cutAt: firstClauseAt, written: speaker.generated.count)
                // Speaking first, the thinking is optional: it holds back while other sessions'
                // more urgent work waits (a busy machine sheds it first).
                let optionalThinkingShed = settings.mode == .speakFirst && scheduler.isBusy(above: .thinking)
                let thinkerWaits = firstClausePending && (speakerStarted || settings.mode == .speakFirst) || optionalThinkingShed
                if !thinker.finished, !thinkerWaits, !thinkerLoaded {
                    try loadThinker()
                }
                if !thinker.finished, !thinkerWaits, let token = thinker.choose(penaltyWindow: window) {
                    if stopTokens.contains(token) || thinker.generated.count >= settings.maxReasoningTokens || thinker.cache.isFull {
                        closeThinking()
                    } else {
                        let piece = thinker.accept(token, tokenizer: tokenizer)
                        for case .reasoning(let r) in thoughtFilter.feed(piece) { onEvent(.reasoning(r)) }
                        outcome.reasoningTokens += 1
                        if !thoughtFilter.isReasoning {
                            closeThinking()  // the model wrote </think>
                        } else if !settings.answerReadsThoughts, Self.firstSentenceEnded(thinker.text) {
                            closeThinking()  // nothing reads further thoughts (see the type's notes)
                        } else {
                            if thinker.generated.count % settings.thinkSegmentTokens == 0 {
                                segments.append(Self.thoughts(in: thinker.text))
                            }
                            rows.append((token, thinker.cache))
                            rowOwners.append(true)
                        }
                    }
                }

                if !speakerStarted {
                    let ready = settings.mode == .thinkFirst ? (segments.count > 1 || thinker.finished) : thinker.finished
                    if ready { try condition(on: segments.count - 1) }
                } else if !speaker.finished, let token = speaker.choose(penaltyWindow: window) {
                    if stopTokens.contains(token) || speaker.generated.count >= settings.maxAnswerTokens || speaker.cache.isFull {
                        speaker.finished = true
                    } else {
                        emitAnswer(speaker.accept(token, tokenizer: tokenizer))
                        outcome.answerTokens += 1
                        answerSinceConditioning += 1
                        rows.append((token, speaker.cache))
                        rowOwners.append(false)
                    }
                }
                if speaker.finished { break }
                if rows.isEmpty { continue }  // a stream was just (re)loaded; its logits are pending
                if rows.count == 2 { outcome.pairedSteps += 1 }
                // Steps that write the answer are what the listener waits for; thinking alone
                // (before the answer starts, or after it ended) comes after other work.
                let priority: WorkPriority = rowOwners.contains(false) || !speakerStarted && settings.mode != .speakFirst ? .replyTokens : .thinking
                guard let logits = try batcher.decode(rows, priority: priority, cancellation: cancellation) else {
                    outcome.status = .cancelled
                    break
                }
                for (owner, l) in zip(rowOwners, logits) {
                    if owner { thinker.logits = l } else { speaker.logits = l }
                }
                // Re-condition between response segments when a newer thought segment is complete.
                if speakerStarted, settings.answerReadsThoughts, settings.mode != .thinkBeforeSpeaking, !optionalThinkingShed,
                   answerSinceConditioning >= settings.responseSegmentTokens, conditionedOn < segments.count - 1 {
                    try condition(on: segments.count - 1)
                }
            }
        } catch {
            outcome.status = .failed
            outcome.failure = error
        }
        if outcome.status != .failed {
            emitAnswer(speaker.utf8.flush())
            for case .answer(let a) in answerFilter.finish() { onEvent(.answer(a)) }
        }
        return outcome
    }

    /// Whether the formulation stream still waits for the answer's first clause: until the
    /// voice's `ClauseChunker` has cut it (`cutAt`, the answer tokens written then) and one more
    /// answer token has been decoded. That step gives the voice's thread time to ask for its
    /// turn, so the clause's synthesis (`WorkPriority.firstAudio`) comes before the formulation
    /// stream's prefill, which would otherwise hold the cores for ~100 ms. A guess at the clause
    /// from the text alone (12 tokens, or punctuation after 12 characters) loaded the thinking
    /// before the voice had its clause whenever the first clause was long ("The answer to this
    /// classic question lies in…"), which delayed the first audio by that prefill. An answer that
    /// the voice cannot cut (no spaces) stops holding the thinking back after 32 tokens.
    static func firstClausePending(cutAt: Int?, written: Int) -> Bool {
        guard let cutAt else { return written < 32 }
        return written <= cutAt
    }

    /// Whether a formulation stream's text has a complete first sentence: a full stop, question
    /// or exclamation mark after a letter (not "3." of "3.5") once there are 16 characters, or a
    /// line break after them.
    static func firstSentenceEnded(_ text: String) -> Bool {
        let written = Array(text.drop { $0.isWhitespace })
        guard written.count >= 16, let last = written.last else { return false }
        if last.isNewline { return true }
        guard ".!?".contains(last) else { return false }
        let before = written[written.count - 2]
        return before.isLetter || before == ")" || before == "\"" || before == "'"
    }

    /// The thinking in a formulation stream's text: everything before a closing tag, if any.
    static func thoughts(in text: String) -> String {
        guard let range = text.range(of: ReasoningSplitter.closeTag) else { return text }
        return String(text[..<range.lowerBound])
    }
}

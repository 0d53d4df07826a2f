import Foundation
import Synchronization

/// The in-process reasoner: a llama/qwen2 GGUF (SmolLM2-135M-Instruct by default) on the CPU.
/// The weights are shared by every session; each session's context holds two KV caches, one
/// per decoding stream, which keep its conversation prefilled between turns.
public final class EmbeddedReplyEngine: ReplyEngine {
    public let model: LlamaModel
    /// Decode steps of every session's replies, batched (and queued with all model work).
    public let batcher: DecodeBatcher
    public var scheduler: EngineScheduler { batcher.scheduler }
    public let tokenizer: Tokenizer
    public let template: ChatTemplate
    /// Tokens each stream's cache holds (the conversation budget plus the reply).
    public let contextTokens: Int
    /// Tokens that end a sentence (".", "?", "!", "...", '."' and the like) and the one that ends
    /// a message: where the words of a finished sentence go next.
    let sentenceEnds: [Int]

    public var name: String { "embedded:" + URL(fileURLWithPath: model.file.path).lastPathComponent }
    /// Room kept in a conversation's budget for the user's next turn when deciding which old
    /// turns to leave out, so that the turn, once spoken, rarely makes more of them drop.
    public static let userTurnAllowance = 64

    /// `contextTokens` per stream: a session's two caches take 2 × 23 MB at 1024 for SmolLM2-135M.
    public init(model: LlamaModel, contextTokens: Int = 1024, scheduler: EngineScheduler = EngineScheduler()) throws(EngineError) {
        self.model = model
        batcher = DecodeBatcher(model: model, scheduler: scheduler)
        tokenizer = try Tokenizer(model.file)
        template = try ChatTemplate(model.file)
        self.contextTokens = Swift.min(contextTokens, model.configuration.contextLength)
        sentenceEnds = Self.sentenceEnds(tokenizer, template: template)
    }

    static func sentenceEnds(_ tokenizer: Tokenizer, template: ChatTemplate) -> [Int] {
        var ids = (0..<tokenizer.vocabularySize).filter { id in
            let text = tokenizer.decode([id])
            guard let first = text.first, ".?!".contains(first) else { return false }
            return text.allSatisfy { ".?!\"')".contains($0) || $0.isWhitespace }
        }
        if let end = tokenizer.id(of: template.endOfMessage) { ids.append(end) }
        return ids
    }

    public func makeContext() -> any ReplyContext {
        EmbeddedReplyContext(engine: self)
    }
}

/// One session's caches for the embedded reasoner.
final class EmbeddedReplyContext: ReplyContext, @unchecked Sendable {
    private let engine: EmbeddedReplyEngine
    private let formulation: KVCache
    private let articulation: KVCache
    /// One call at a time (the session's worker); the lock only guards against misuse.
    private let busy = Mutex(())
    /// Oldest turns of the session's history left out of every prompt. It only grows, in steps
    /// that bring the prompt down to half the budget: dropping one turn per reply would change
    /// the prompt's beginning every time and cost a whole prefill (1 s for 300 tokens) each turn.
    private let droppedTurns = Mutex(0)

    init(engine: EmbeddedReplyEngine) {
        self.engine = engine
        formulation = KVCache(configuration: engine.model.configuration, capacity: engine.contextTokens)
        articulation = KVCache(configuration: engine.model.configuration, capacity: engine.contextTokens)
    }

    func prepare(_ history: ConversationHistory, cancellation: CancellationFlag?) throws(EngineError) {
        let ids = stablePrefix(of: fitted(history))
        guard ids.count > 1, ids.count < formulation.capacity else { return }
        try busy.withLock { _ throws(EngineError) in
            let reuse = formulation.commonPrefix(with: ids)
            guard reuse < ids.count else { return }
            formulation.truncate(to: reuse)
            // In pieces of 16 tokens (~50 ms on two cores), each taking its turn after more
            // urgent work (the end of a turn being transcribed, a clause being spoken, other
            // sessions' replies) and stopping when told: this prefill is only a head start.
            for start in stride(from: reuse, to: ids.count, by: 16) {
                let piece = Array(ids[start..<Swift.min(ids.count, start + 16)])
                let (turn, _) = try engine.scheduler.perform(.prefill, cancellation: cancellation) { () throws(EngineError) in
                    try engine.model.prefill(piece, cache: formulation)
                }
                if turn != .ran { return }
            }
        }
    }

    /// One step of the model on the words heard, which the listen-while-think prefill has mostly
    /// computed already: the probability that a sentence-ending mark or the end of the message
    /// comes next. The words are read without their final punctuation: SmolLM2 takes almost any
    /// statement as the start of a longer message, while it tells well whether the words make a
    /// finished sentence ("…of France" → "?", 0.9; "…what the" → 0.0001). The cache keeps the
    /// words, so the reply that follows starts from them.
    func endOfTurnProbability(_ history: ConversationHistory) throws(EngineError) -> Double? {
        guard !engine.sentenceEnds.isEmpty else { return nil }
        let ids = userPrefix(of: fitted(history), withoutFinalPunctuation: true)
        guard ids.count > 1, ids.count < formulation.capacity else { return nil }
        return try busy.withLock { _ throws(EngineError) -> Double? in
            // At least the last word is computed again: its logits are the ones wanted.
            formulation.truncate(to: Swift.min(formulation.commonPrefix(with: ids), ids.count - 1))
            let rest = Array(ids[formulation.count...])
            let (_, logits) = try engine.scheduler.perform(.replyTokens, cancellation: nil) { () throws(EngineError) in
                try engine.model.prefill(rest, cache: formulation)
            }
            guard let logits else { return nil }
            let top = logits.max() ?? 0
            let total = logits.reduce(0.0) { $0 + exp(Double($1 - top)) }
            let ends = engine.sentenceEnds.reduce(0.0) { $0 + ($1 < logits.count ? exp(Double(logits[$1] - top)) : 0) }
            return ends / total
        }
    }

    /// The embedded model reads the transcript and the evidence; it does not take audio.
    func reply(to history: ConversationHistory, evidence: String?, audio: [Float]?, settings: ReplySettings, cancellation: CancellationFlag,
               onEvent: (ReplyEvent) -> Void) -> ReplyOutcome {
        busy.withLock { _ in
            let conversation = fitted(history).prompt(template: engine.template, tokenizer: engine.tokenizer).ids
            let decoder = MindPacedDecoder(batcher: engine.batcher, tokenizer: engine.tokenizer, settings: settings,
                                           conversation: conversation, evidence: evidence)
            return decoder.run(formulation: formulation, articulation: articulation, cancellation: cancellation, onEvent: onEvent)
        }
    }

    /// The history without the turns left out so far. When the settled conversation (before the
    /// user's newest turn) comes within `EmbeddedReplyEngine.userTurnAllowance` of the budget, more old turns are
    /// left out, until it takes at most half of it. Deciding on the settled part only, not on
    /// words still being spoken, makes the prefill between turns (`prepare` of the conversation
    /// after a reply) and the next reply's prompt leave out the same turns.
    private func fitted(_ history: ConversationHistory) -> ConversationHistory {
        droppedTurns.withLock { dropped in
            var h = history
            h.dropOldest(dropped)
            let limit = h.tokenBudget - h.reservedForReply
            let settled = h.settled
            let counts = settled.tokenCounts(template: engine.template, tokenizer: engine.tokenizer)
            var length = counts.fixed + counts.turns.reduce(0, +)
            guard length > limit - EmbeddedReplyEngine.userTurnAllowance else { return h }
            // The same turns `dropOldest` leaves out, one at a time, counted instead of re-rendered.
            var first = 0
            let total = h.turns.count
            while total - first > 1, length > limit / 2 {
                length -= counts.turns[first]
                first += 1
                if first < settled.turns.count, settled.turns[first].role == .assistant, total - first > 1 {
                    length -= counts.turns[first]
                    first += 1
                }
            }
            h.dropOldest(first)
            dropped += first
            return h
        }
    }

    /// The prompt up to the end of the last turn (the user's words heard so far, or the reply
    /// just spoken), minus its last two tokens (a last word may still grow and tokenize
    /// differently): what will not change when the next reply starts.
    private func stablePrefix(of history: ConversationHistory) -> [Int] {
        Array(userPrefix(of: history).dropLast(2))
    }

    /// The prompt's tokens up to the end of the last turn's words (before the token that
    /// closes it), and without the punctuation and spaces they end with if asked.
    private func userPrefix(of history: ConversationHistory, withoutFinalPunctuation: Bool = false) -> [Int] {
        guard let last = history.turns.last, !last.content.isEmpty else { return [] }
        let text = history.prompt(template: engine.template, tokenizer: engine.tokenizer).text
        guard let range = text.range(of: last.content, options: .backwards) else { return [] }
        var prefix = text[..<range.upperBound]
        if withoutFinalPunctuation {
            while let c = prefix.last, c.isWhitespace || c.isPunctuation, prefix.endIndex > range.lowerBound { prefix.removeLast() }
        }
        return engine.tokenizer.encode(String(prefix))
    }
}

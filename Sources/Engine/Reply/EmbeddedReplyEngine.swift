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
        guard let last = history.turns.last, !last.content.isEmpty else { return [] }
        let text = history.prompt(template: engine.template, tokenizer: engine.tokenizer).text
        guard let range = text.range(of: last.content, options: .backwards) else { return [] }
        let ids = engine.tokenizer.encode(String(text[..<range.upperBound]))
        return Array(ids.dropLast(2))
    }
}

/// The conversation a session keeps for its reasoner: a system prompt and alternating user and
/// assistant turns, rendered with the model's chat template and kept within a token budget by
/// dropping the oldest exchanges first.
///
/// What goes in is what was said and heard: a user turn is its transcript, optionally preceded
/// by the acoustic evidence block; an assistant turn is the words that were actually spoken
/// (thinking is never kept, and after a barge-in only the part the user heard).
public struct ConversationHistory: Sendable, Equatable {
    public var system: String?
    public private(set) var turns: [ChatMessage] = []
    /// Most tokens the rendered prompt may take, including `reservedForReply`.
    public var tokenBudget: Int
    /// Tokens kept free for the reply (thinking and answer).
    public var reservedForReply: Int

    public init(system: String? = nil, tokenBudget: Int = 2048, reservedForReply: Int = 512) {
        self.system = system
        self.tokenBudget = tokenBudget
        self.reservedForReply = reservedForReply
    }

    /// Adds the user's turn; `evidence` (the acoustic block) goes after the words, so that the
    /// words, prefilled while the user was still speaking, stay a prefix of the final prompt.
    public mutating func appendUser(_ transcript: String, evidence: String? = nil) {
        let content = [transcript, evidence].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: "\n")
        turns.append(ChatMessage(role: .user, content: content))
    }

    /// Adds what the assistant said aloud.
    public mutating func appendAssistant(_ spoken: String) {
        turns.append(ChatMessage(role: .assistant, content: spoken))
    }

    /// After a barge-in: the last assistant turn becomes only what the user heard (dropped if
    /// nothing was heard).
    public mutating func truncateLastAssistant(toHeard heard: String) {
        guard let index = turns.lastIndex(where: { $0.role == .assistant }) else { return }
        if heard.isEmpty { turns.remove(at: index) } else { turns[index].content = heard }
    }

    public mutating func clear() { turns = [] }

    /// Leaves out the oldest `count` turns (and a leading assistant turn after them, so that
    /// the rest starts with the user).
    public mutating func dropOldest(_ count: Int) {
        turns.removeFirst(Swift.min(count, turns.count))
        if turns.first?.role == .assistant, turns.count > 1 { turns.removeFirst() }
    }

    /// The conversation before the newest user turn: all of it when the assistant spoke last.
    /// While the user is speaking, this part no longer changes.
    public var settled: ConversationHistory {
        var h = self
        if h.turns.last?.role == .user { h.turns.removeLast() }
        return h
    }

    /// Replaces the words of the last user turn (a partial transcript growing into the final one).
    public mutating func replaceLastUser(_ transcript: String, evidence: String? = nil) {
        if let index = turns.indices.last, turns[index].role == .user { turns.removeLast() }
        appendUser(transcript, evidence: evidence)
    }

    /// The prompt for the next reply, and how many old turns were left out to fit the budget.
    /// If even the newest user turn alone is too long, its beginning is cut.
    public func prompt(template: ChatTemplate, tokenizer: Tokenizer) -> (text: String, ids: [Int], droppedTurns: Int) {
        let limit = max(1, tokenBudget - reservedForReply)
        let head = system.map { [ChatMessage(role: .system, content: $0)] } ?? []
        var kept = turns
        var dropped = 0
        while true {
            let text = template.render(head + kept)
            let ids = tokenizer.encode(text)
            if ids.count <= limit { return (text, ids, dropped) }
            if kept.count > 1 {
                // Drop the oldest turn; a leading assistant turn goes with it so the rest still
                // starts with the user.
                kept.removeFirst()
                dropped += 1
                if kept.first?.role == .assistant && kept.count > 1 { kept.removeFirst(); dropped += 1 }
                continue
            }
            guard let last = kept.first, !last.content.isEmpty else { return (text, ids, dropped) }
            // One turn too long on its own: keep the longest end of it that fits (the question
            // is usually at the end), found by bisection on its length.
            let characters = Array(last.content)
            var fits = 0, tooLong = characters.count
            var best = (text: template.render(head + [ChatMessage(role: last.role, content: "")]), ids: [Int]())
            best.ids = tokenizer.encode(best.text)
            while tooLong - fits > 1 {
                let middle = (fits + tooLong) / 2
                let candidate = template.render(head + [ChatMessage(role: last.role, content: String(characters.suffix(middle)))])
                let candidateIDs = tokenizer.encode(candidate)
                if candidateIDs.count <= limit { fits = middle; best = (candidate, candidateIDs) } else { tooLong = middle }
            }
            return (best.text, best.ids, dropped)
        }
    }
}

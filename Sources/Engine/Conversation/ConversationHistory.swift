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

    /// Most turns and bytes of text kept at all: prompts use far less (a 1024-token budget is
    /// about 4 KB), and a client adding items without end must not grow memory without end.
    public static let maximumTurns = 200
    public static let maximumBytes = 256 << 10

    /// The system message, if any: an empty one is none, and the model's chat template puts its
    /// own default in its place (SmolLM2 answers best with the one it was tuned with).
    private var systemMessages: [ChatMessage] {
        guard let system, !system.isEmpty else { return [] }
        return [ChatMessage(role: .system, content: system)]
    }

    public init(system: String? = nil, tokenBudget: Int = 2048, reservedForReply: Int = 512) {
        self.system = system
        self.tokenBudget = tokenBudget
        self.reservedForReply = reservedForReply
    }

    /// Adds a message (a client's item of any kind); the oldest go when the caps are reached.
    public mutating func append(_ message: ChatMessage) {
        turns.append(message)
        var bytes = turns.reduce(0) { $0 + $1.content.utf8.count }
        while turns.count > 1, turns.count > Self.maximumTurns || bytes > Self.maximumBytes {
            bytes -= turns[0].content.utf8.count
            turns.removeFirst()
        }
    }

    /// Adds the user's turn; `evidence` (the acoustic block) goes after the words, so that the
    /// words, prefilled while the user was still speaking, stay a prefix of the final prompt.
    public mutating func appendUser(_ transcript: String, evidence: String? = nil, itemID: String? = nil) {
        let content = [transcript, evidence].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: "\n")
        append(ChatMessage(role: .user, content: content, itemID: itemID))
    }

    /// Adds what the assistant said aloud.
    public mutating func appendAssistant(_ spoken: String, itemID: String? = nil) {
        append(ChatMessage(role: .assistant, content: spoken, itemID: itemID))
    }

    /// The message that is conversation item `itemID`, if it is still kept.
    public func message(itemID: String) -> ChatMessage? {
        turns.last { $0.itemID == itemID }
    }

    /// Removes conversation item `itemID`; false when it is not kept.
    @discardableResult
    public mutating func remove(itemID: String) -> Bool {
        guard let index = turns.lastIndex(where: { $0.itemID == itemID }) else { return false }
        turns.remove(at: index)
        return true
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

    /// Tokens the rendered conversation takes: the part that is always there (the system
    /// message or the template's default one, the assistant's opening, BOS) and each turn's.
    /// They add up to the whole prompt's count exactly: every segment starts and ends with a
    /// special token, across which no merge happens.
    public func tokenCounts(template: ChatTemplate, tokenizer: Tokenizer) -> (fixed: Int, turns: [Int]) {
        let head = systemMessages
        let fixedText = template.preamble(before: head + turns) + head.map(template.segment).joined() + template.generationPrompt
        let fixed = tokenizer.encode(fixedText, addBOS: false).count + (tokenizer.addsBOS && tokenizer.bos != nil ? 1 : 0)
        return (fixed, turns.map { tokenizer.encode(template.segment($0), addBOS: false).count })
    }

    /// The prompt for the next reply, and how many old turns were left out to fit the budget.
    /// If even the newest user turn alone is too long, its beginning is cut.
    public func prompt(template: ChatTemplate, tokenizer: Tokenizer) -> (text: String, ids: [Int], droppedTurns: Int) {
        let limit = max(1, tokenBudget - reservedForReply)
        let head = systemMessages
        let counts = tokenCounts(template: template, tokenizer: tokenizer)
        var kept = turns[...], total = counts.fixed + counts.turns.reduce(0, +), dropped = 0
        // Drop the oldest turns; a leading assistant turn goes with the one before it so that
        // the rest still starts with the user.
        while total > limit, kept.count > 1 {
            total -= counts.turns[kept.startIndex]
            kept.removeFirst()
            dropped += 1
            if kept.first?.role == .assistant, kept.count > 1 {
                total -= counts.turns[kept.startIndex]
                kept.removeFirst()
                dropped += 1
            }
        }
        let text = template.render(head + kept)
        guard total > limit, let last = kept.first, !last.content.isEmpty else { return (text, tokenizer.encode(text), dropped) }
        // One turn too long on its own: keep the longest end of it that fits (the question is
        // usually at the end), found by bisection on its length.
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

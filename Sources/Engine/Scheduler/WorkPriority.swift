/// How urgent a piece of model work is, by what the listener waits for (DESIGN.md): a reply's
/// first audio, then the end of a turn's transcript, then the words of replies being spoken
/// (and thinking a reply waits for), then the next clause's audio, then listening ahead (the
/// reasoner reading the conversation before the next reply needs it), then thinking no one
/// waits for (speak first's formulation stream), then partial transcripts. Lower values run
/// first.
///
/// Listening ahead comes before optional thinking: with four sessions on two cores, a starved
/// prefill left the next reply to read up to a whole conversation (~500 tokens, seconds) after
/// the user had stopped speaking.
public enum WorkPriority: Int, Sendable, Comparable, CaseIterable, CustomStringConvertible {
    /// Synthesis of a reply's first clause: the first packet.
    case firstAudio = 0
    /// The transcript a reply waits for: the end of a turn, or a speculative one at a pause.
    case finalTranscript
    /// Decode steps of replies whose answer is being written (both streams ride along), and
    /// thinking that the answer waits for (think first, think before speaking).
    case replyTokens
    /// Synthesis of later clauses. Promoted to `firstAudio` when the audio already sent is
    /// about to run out (its deadline).
    case nextClause
    /// Listen while thinking: the reasoner reads the conversation and the words heard so far.
    case prefill
    /// Thinking no one waits for (speak first: the answer is already being spoken).
    case thinking
    /// Partial transcripts while the user speaks: skipped first when the machine is busy.
    case partialTranscript

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    public var description: String {
        switch self {
        case .firstAudio: "first_audio"
        case .finalTranscript: "final_transcript"
        case .replyTokens: "reply_tokens"
        case .nextClause: "next_clause"
        case .prefill: "prefill"
        case .thinking: "thinking"
        case .partialTranscript: "partial_transcript"
        }
    }
}

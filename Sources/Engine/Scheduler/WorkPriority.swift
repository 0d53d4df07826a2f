/// How urgent a piece of model work is, by what the listener waits for (DESIGN.md): a reply's
/// first audio, then the end of a turn's transcript, then the words of replies being spoken,
/// then the next clause's audio, then thinking, then listening ahead (prefill of the words heard
/// so far), then partial transcripts. Lower values run first.
public enum WorkPriority: Int, Sendable, Comparable, CaseIterable, CustomStringConvertible {
    /// Synthesis of a reply's first clause: the first packet.
    case firstAudio = 0
    /// The transcript a reply waits for: the end of a turn, or a speculative one at a pause.
    case finalTranscript
    /// Decode steps of replies whose answer is being written (both streams ride along).
    case replyTokens
    /// Synthesis of later clauses. Promoted to `firstAudio` when the audio already sent is
    /// about to run out (its deadline).
    case nextClause
    /// Decode steps with thinking alone (no answer written yet, or the answer is done).
    case thinking
    /// Listen while thinking: the reasoner reads the words heard so far.
    case prefill
    /// Partial transcripts while the user speaks: skipped first when the machine is busy.
    case partialTranscript

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }

    public var description: String {
        switch self {
        case .firstAudio: "first_audio"
        case .finalTranscript: "final_transcript"
        case .replyTokens: "reply_tokens"
        case .nextClause: "next_clause"
        case .thinking: "thinking"
        case .prefill: "prefill"
        case .partialTranscript: "partial_transcript"
        }
    }
}

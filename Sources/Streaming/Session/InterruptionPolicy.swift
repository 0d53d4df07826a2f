/// What speech over a reply does. A real interruption stops the reply; a listener's short
/// acknowledgement ("mm-hmm", "yeah", "right": a backchannel) and a sound without words (a cough,
/// a door) do not. Since which one it is shows only from the words, the reply's audio pauses
/// as soon as speech starts (the fast part), and stops or resumes where it paused once the
/// words are known (`SessionMachine+Interruptions`).
public struct InterruptionPolicy: Sendable, Equatable {
    /// A backchannel lets the reply go on.
    public var keepsReplyOnBackchannel = true
    /// Speech over a reply that has given no words after this long was not a turn: the reply
    /// resumes. 0: any speech over a reply stops it at once (no pause, no resuming).
    public var falseInterruptionMs = 1_000

    public init() {}

    /// Whether speech over a reply pauses it first (else it stops it).
    public var pausesFirst: Bool { falseInterruptionMs > 0 }

    public enum Verdict: Sendable, Equatable {
        /// No words (yet).
        case noWords
        /// Only acknowledgements.
        case backchannel
        /// Words that take the turn.
        case takesTurn
    }

    /// What `text` (a transcript of the speech over the reply) amounts to.
    public func verdict(_ text: String) -> Verdict {
        let words = Self.words(text)
        if words.isEmpty { return .noWords }
        return keepsReplyOnBackchannel && Self.isBackchannel(words) ? .backchannel : .takesTurn
    }

    /// Acknowledgements, as Whisper writes them (lowercased, without punctuation and hyphens).
    static let backchannels: [[String]] = [
        ["mmhmm"], ["mhm"], ["mhmm"], ["mm"], ["mmm"], ["hmm"], ["hm"], ["uhhuh"], ["uh", "huh"], ["aha"], ["ah"], ["oh"],
        ["yeah"], ["yes"], ["yep"], ["yup"], ["ok"], ["okay"], ["right"], ["sure"], ["alright"], ["all", "right"],
        ["i", "see"], ["got", "it"], ["cool"], ["nice"], ["wow"], ["true"], ["exactly"],
    ]
    /// Longer than this is saying something, whatever the words.
    static let longestBackchannel = 4

    static func words(_ text: String) -> [String] {
        text.lowercased().split { !($0.isLetter || $0 == "-" || $0 == "'") }
            .map { $0.filter { $0 != "-" } }.filter { !$0.isEmpty }
    }

    /// Whether `words` are acknowledgements only ("yeah", "mm-hmm, right", "oh, I see").
    static func isBackchannel(_ words: [String]) -> Bool {
        guard words.count <= longestBackchannel else { return false }
        var rest = words[...]
        while !rest.isEmpty {
            guard let phrase = backchannels.first(where: { rest.starts(with: $0) }) else { return false }
            rest = rest.dropFirst(phrase.count)
        }
        return true
    }
}

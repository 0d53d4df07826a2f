import Foundation

/// `semantic_vad`: how much silence ends the user's turn, decided from what was said and how
/// rather than from a fixed duration.
///
/// At a pause the session transcribes the turn so far (it does so anyway, to start the reply
/// early). The words are weighed here: Whisper's punctuation at the end (a question mark is a
/// finished question; a comma or a trailing "…" is not), the last word (a sentence does not end
/// on "and", "because", "the" or "um"), the reasoner's probability that the words make a
/// finished sentence (one step of the model whose cache already holds them), and the pitch at the
/// end (a fall closes a statement). Together they give the probability that the turn is
/// complete, and that probability sets the silence required: the `shortest` for a complete
/// sentence, up to the `longest` for an unfinished one. Until the words are known the neutral
/// probability applies, which asks for about as much silence as `server_vad`'s default.
public struct SemanticEndOfTurn: Sendable, Equatable {
    /// How soon the turn may end (the API's `eagerness`; `auto` is `medium`).
    public enum Eagerness: String, Sendable, CaseIterable {
        case low, medium, high, auto
    }

    /// What is known about the turn up to the pause.
    public struct Evidence: Sendable, Equatable {
        /// The transcript of the turn so far.
        public var text: String
        /// The reasoner's probability that the words of `text` are finished (that a sentence's
        /// end comes next; nil: not computed yet, or an engine that cannot tell).
        public var reasonerProbability: Double?
        /// Pitch slope over the turn's last 0.6 s of voiced speech, Hz per second.
        public var finalPitchSlope: Double?

        public init(text: String, reasonerProbability: Double? = nil, finalPitchSlope: Double? = nil) {
            self.text = text
            self.reasonerProbability = reasonerProbability
            self.finalPitchSlope = finalPitchSlope
        }
    }

    public var eagerness: Eagerness

    /// The silence after which the turn so far is transcribed and its reply started (held), ms:
    /// 60 instead of `server_vad`'s 100. A finished sentence's turn ends as soon as its words
    /// are weighed, so from here on everything is on the way to the first audio (on an AMD EPYC
    /// family 26: transcription ~140 ms, the reasoner's estimate ~15, the first clause's audio
    /// ~100); a pause between words costs one transcription, stopped when speech resumes.
    public static let pauseMs = 60

    public init(eagerness: Eagerness = .auto) { self.eagerness = eagerness }

    /// The least and the most silence that ends a turn, ms. `high` and `medium` answer a
    /// complete sentence after 150 ms; `high` gives an unfinished one 0.7 s, `medium` 1.35 s
    /// (its even chance then needs 450 ms, as `server_vad`); `low` waits 300 ms and up to 1.5 s.
    public var bounds: (shortest: Int, longest: Int) {
        switch eagerness {
        case .high: (150, 700)
        case .medium, .auto: (150, 1_350)
        case .low: (300, 1_500)
        }
    }

    /// Silence, ms, after which a turn whose completeness is `probability` (nil: not known) ends.
    /// The required silence falls with the square of the probability of being unfinished: a
    /// clearly complete sentence gets the shortest, an even chance a quarter of the way up (450 ms
    /// at `medium`, `server_vad`'s default), a clearly unfinished one nearly the longest.
    public func requiredSilenceMs(completeness probability: Double?) -> Int {
        let (shortest, longest) = bounds
        let open = 1 - min(1, max(0, probability ?? 0.5))
        return shortest + Int((Double(longest - shortest) * open * open).rounded())
    }

    /// The probability that the turn is complete, from `evidence`.
    public static func completeness(_ evidence: Evidence) -> Double {
        var logit = textLogit(evidence.text)
        if let p = evidence.reasonerProbability {
            // On a log scale: SmolLM2-135M gives unfinished words 0.0001-0.002 and finished ones
            // 0.005-0.9 (short commands and greetings low, questions high), so 0.01 is about
            // neutral and the weight is bounded both ways.
            logit += min(2.5, max(-4, 1.5 * (log10(max(p, 1e-6)) + 2)))
        }
        if let slope = evidence.finalPitchSlope, slope < -20 { logit += 0.5 }  // a falling end closes a statement
        return 1 / (1 + exp(-logit))
    }

    /// Log-odds of a finished turn from the words alone.
    static func textLogit(_ text: String) -> Double {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard let last = trimmed.last else { return 0 }
        if trimmed.hasSuffix("...") || last == "…" || last == "," || last == "-" || last == "—" || last == ";" || last == ":" {
            return -3
        }
        let words = trimmed.lowercased().split { !$0.isLetter && $0 != "'" }
        if let word = words.last, continuations.contains(String(word)) { return -3 }
        switch last {
        // Whisper ends almost any words with a full stop, "I was wondering." among them; a
        // question or exclamation mark says more.
        case "?", "!": return 2
        case ".": return 0.5
        default: return -0.5  // no punctuation: Whisper usually closes a finished sentence
        }
    }

    /// Words an English sentence hardly ever ends on: conjunctions, articles, possessive
    /// determiners, prepositions that need an object, and fillers. Words that often do end one
    /// ("do", "that", "about", "you", "for") are left out: a wrong guess here cuts a user off.
    static let continuations: Set<String> = [
        "and", "or", "but", "because", "if", "when", "while", "than", "whose",
        "the", "a", "an", "my", "your", "their", "our", "its",
        "of", "to", "with", "from", "into", "between", "at",
        "um", "uh", "erm", "er", "hmm", "uhm",
    ]
}


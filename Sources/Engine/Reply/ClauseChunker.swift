/// Cuts streamed answer text into speakable pieces as it arrives, so the voice can start on the
/// first clause while the model is still writing the rest.
///
/// A piece ends at a sentence end (`.`, `!`, `?` followed by a space or a line break), at a line
/// break, or at clause punctuation (`,`, `;`, `:`) once the piece is long enough to be worth
/// speaking on its own (`minimumClauseCharacters`; the first piece of a reply may be shorter,
/// `minimumFirstCharacters`, to start sooner). A period after a known abbreviation, a single
/// capital (an initial), between digits, or after a list number at the start of a line does not
/// end a sentence. Markdown emphasis and
/// heading marks are dropped: they are not meant to be read out.
public struct ClauseChunker: Sendable {
    public var minimumClauseCharacters = 40
    public var minimumFirstCharacters = 12
    /// The first piece is cut early once it is this long without punctuation ("The answer to this
    /// classic question is …"): the listener is waiting for it. It is cut where a phrase begins
    /// (before "and", "because", "while", a preposition, …), never inside one ("…while I am" +
    /// "away." sounds like two sentences). Later pieces wait for punctuation, which sounds
    /// better, since they are ready before the audio ahead of them ends.
    public var maximumFirstCharacters = 32
    /// A first piece with no phrase boundary at all is cut at its last whole word once it is this
    /// long (the listener should not wait for the whole sentence).
    public var firstCutWithoutBoundary = 72
    /// Whether the first piece is cut before punctuation at all: not for a text that is already
    /// complete (`StreamingSpeech.say`), which is spoken in its own clauses.
    public var cutsFirstPieceEarly = true
    private var buffer = ""
    private var emittedAny = false

    /// Words that open a phrase: a first piece may end just before one of them.
    static let phraseOpeners: Set<String> = [
        "and", "but", "or", "so", "because", "while", "when", "where", "if", "that", "which", "who", "although", "though",
        "unless", "until", "since", "after", "before", "as", "than", "to", "in", "on", "at", "for", "with", "from", "of",
        "about", "into", "by", "during", "without", "through", "like",
    ]
    static let abbreviations: Set<String> = ["mr", "mrs", "ms", "dr", "prof", "st", "vs", "etc", "e.g", "i.e", "approx", "no", "jr", "sr"]

    public init() {}

    /// Adds text; returns the pieces completed by it.
    public mutating func feed(_ text: String) -> [String] {
        buffer += text.filter { $0 != "*" && $0 != "#" && $0 != "`" && $0 != "_" }
        var pieces = [String]()
        while let end = nextBoundary() {
            let piece = String(buffer[..<end]).trimmingCharacters(in: .whitespacesAndNewlines)
            buffer = String(buffer[end...])
            if !piece.isEmpty {
                pieces.append(piece)
                emittedAny = true
            }
        }
        return pieces
    }

    /// Ends the stream: what is left, if anything, is the last piece.
    public mutating func finish() -> String? {
        let rest = buffer.trimmingCharacters(in: .whitespacesAndNewlines)
        buffer = ""
        return rest.isEmpty ? nil : rest
    }

    /// The index just after the first boundary in the buffer, if there is one.
    private func nextBoundary() -> String.Index? {
        let chars = Array(buffer)
        var offset = 0
        for (i, c) in chars.enumerated() {
            offset = i + 1
            let next: Character? = i + 1 < chars.count ? chars[i + 1] : nil
            if c == "\n" { return buffer.index(buffer.startIndex, offsetBy: offset) }
            guard let next, next == " " || next == "\n" else { continue }  // need what follows to decide
            if c == "!" || c == "?" || (c == "." && !isAbbreviationOrInitial(chars, periodAt: i)) {
                return buffer.index(buffer.startIndex, offsetBy: offset)
            }
            if c == "," || c == ";" || c == ":" {
                let needed = emittedAny ? minimumClauseCharacters : minimumFirstCharacters
                if i + 1 >= needed { return buffer.index(buffer.startIndex, offsetBy: offset) }
            }
        }
        guard !emittedAny, cutsFirstPieceEarly, chars.count > maximumFirstCharacters else { return nil }
        // The first piece, long enough and still without punctuation: cut before the first
        // phrase-opening word that is complete (a space after it) and leaves enough before it.
        var wordStart = 0
        for (i, c) in chars.enumerated() where c == " " {
            defer { wordStart = i + 1 }
            guard wordStart >= minimumFirstCharacters, i > wordStart else { continue }
            let word = String(chars[wordStart..<i]).lowercased()
            if Self.phraseOpeners.contains(word) { return buffer.index(buffer.startIndex, offsetBy: wordStart) }
        }
        // No boundary in sight: at some length the listener has waited enough; the last whole word.
        if chars.count > firstCutWithoutBoundary, let space = chars.lastIndex(of: " "), space >= minimumFirstCharacters {
            return buffer.index(buffer.startIndex, offsetBy: space + 1)
        }
        return nil
    }

    private func isAbbreviationOrInitial(_ chars: [Character], periodAt i: Int) -> Bool {
        var start = i
        while start > 0, chars[start - 1].isLetter || chars[start - 1].isNumber || chars[start - 1] == "." { start -= 1 }
        let word = String(chars[start..<i]).lowercased()
        if Self.abbreviations.contains(word) { return true }
        if word.count == 1, chars[start].isUppercase { return true }  // an initial: "J. R. R. Tolkien"
        // A list number at the start of a line ("1. Sleep early"), unlike "The answer is 4."
        let atLineStart = start == 0 || chars[start - 1] == "\n"
        return atLineStart && !word.isEmpty && word.allSatisfy(\.isNumber)
    }
}

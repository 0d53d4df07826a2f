/// Splits text into the words that byte-level BPE encodes one by one, following the
/// pre-tokenizer a GGUF names in `tokenizer.ggml.pre` (as llama.cpp does).
///
/// GPT-2's rule is the regex `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`;
/// it is implemented by hand here on Unicode scalars so that the lookahead and the character
/// classes behave exactly as in the reference, without a regex engine's differences.
public enum PreTokenizer: Sendable, Equatable {
    /// GPT-2's rule.
    case gpt2
    /// Every digit its own word first, then GPT-2's rule (SmolLM, StarCoder, Refact, Command-R).
    case digitsThenGPT2

    public init(ggufName: String?) throws(EngineError) {
        switch ggufName ?? "default" {
        case "default", "gpt2", "gpt-2", "mpt", "olmo", "jais": self = .gpt2
        case "smollm", "starcoder", "refact", "command-r", "codeshell", "exaone", "minerva": self = .digitsThenGPT2
        case let other:
            throw .unsupportedModel(path: "", message: "tokenizer pre-tokenizer '\(other)' (supported: gpt2 and its variants, smollm/starcoder)")
        }
    }

    public func split(_ text: String) -> [String] {
        let scalars = Array(text.unicodeScalars)
        var words = [String]()
        switch self {
        case .gpt2:
            Self.gpt2(scalars[...], into: &words)
        case .digitsThenGPT2:
            var start = 0
            for (i, s) in scalars.enumerated() where Self.isNumber(s) {
                if start < i { Self.gpt2(scalars[start..<i], into: &words) }
                words.append(String(String.UnicodeScalarView([s])))
                start = i + 1
            }
            if start < scalars.count { Self.gpt2(scalars[start...], into: &words) }
        }
        return words
    }

    static func isLetter(_ s: Unicode.Scalar) -> Bool {
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return true
        default: return false
        }
    }

    static func isNumber(_ s: Unicode.Scalar) -> Bool {
        switch s.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }

    static func isSpace(_ s: Unicode.Scalar) -> Bool { s.properties.isWhitespace }

    /// GPT-2's rule over one piece; the piece's end counts as the end of text for `(?!\S)`.
    static func gpt2(_ piece: ArraySlice<Unicode.Scalar>, into words: inout [String]) {
        let end = piece.endIndex
        var i = piece.startIndex
        func emit(_ from: Int, _ to: Int) { words.append(String(String.UnicodeScalarView(piece[from..<to]))) }
        func at(_ k: Int) -> Unicode.Scalar? { k < end ? piece[k] : nil }
        while i < end {
            let c = piece[i]
            // Contractions: 's 't 'm 'd 're 've 'll (case-sensitive, as in GPT-2).
            if c == "'", let n = at(i + 1) {
                if n == "s" || n == "t" || n == "m" || n == "d" { emit(i, i + 2); i += 2; continue }
                if let n2 = at(i + 2), (n == "r" && n2 == "e") || (n == "v" && n2 == "e") || (n == "l" && n2 == "l") {
                    emit(i, i + 3); i += 3; continue
                }
            }
            let lead = c == " " ? i + 1 : i
            if let first = at(lead) {
                if isLetter(first) {
                    var j = lead + 1
                    while let s = at(j), isLetter(s) { j += 1 }
                    emit(i, j); i = j; continue
                }
                if isNumber(first) {
                    var j = lead + 1
                    while let s = at(j), isNumber(s) { j += 1 }
                    emit(i, j); i = j; continue
                }
                if !isSpace(first) {
                    var j = lead + 1
                    while let s = at(j), !isSpace(s), !isLetter(s), !isNumber(s) { j += 1 }
                    emit(i, j); i = j; continue
                }
            }
            // Whitespace: \s+(?!\S) keeps the last space for the next word, else \s+.
            var j = i
            while let s = at(j), isSpace(s) { j += 1 }
            if j - i > 1, j < end { j -= 1 }
            emit(i, j)
            i = j
        }
    }
}

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
    /// Llama 3's rule (case-insensitive contractions, numbers in runs of at most `maxDigits`,
    /// newlines kept with the whitespace before them); Qwen2 uses it with single digits:
    /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,n}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
    case llama3(maxDigits: Int)

    public init(ggufName: String?) throws(EngineError) {
        switch ggufName ?? "default" {
        case "default", "gpt2", "gpt-2", "mpt", "olmo", "jais": self = .gpt2
        case "smollm", "starcoder", "refact", "command-r", "codeshell", "exaone", "minerva": self = .digitsThenGPT2
        case "llama3", "llama-v3", "llama-bpe", "smaug-bpe", "falcon3", "pixtral": self = .llama3(maxDigits: 3)
        case "qwen2", "deepseek-r1-qwen", "stablelm2", "hunyuan", "megrez": self = .llama3(maxDigits: 1)
        case let other:
            throw .unsupportedModel(path: "", message: "tokenizer pre-tokenizer '\(other)' (supported: gpt2 and its variants, smollm/starcoder, llama3, qwen2)")
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
        case .llama3(let maxDigits):
            Self.llama3(scalars[...], maxDigits: maxDigits, into: &words)
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

    static func isNewline(_ s: Unicode.Scalar) -> Bool { s == "\r" || s == "\n" }

    /// Llama 3's rule; the alternatives are tried in the regex's order at each position.
    static func llama3(_ text: ArraySlice<Unicode.Scalar>, maxDigits: Int, into words: inout [String]) {
        let end = text.endIndex
        var i = text.startIndex
        func emit(_ from: Int, _ to: Int) { words.append(String(String.UnicodeScalarView(text[from..<to]))) }
        func at(_ k: Int) -> Unicode.Scalar? { k < end ? text[k] : nil }
        func lower(_ s: Unicode.Scalar?) -> Unicode.Scalar? { s.map { $0.properties.lowercaseMapping.unicodeScalars.first ?? $0 } }
        while i < end {
            let c = text[i]
            // (?i:'s|'t|'re|'ve|'m|'ll|'d)
            if c == "'", let n = lower(at(i + 1)) {
                if n == "s" || n == "t" || n == "m" || n == "d" { emit(i, i + 2); i += 2; continue }
                if let n2 = lower(at(i + 2)), (n == "r" && n2 == "e") || (n == "v" && n2 == "e") || (n == "l" && n2 == "l") {
                    emit(i, i + 3); i += 3; continue
                }
            }
            // [^\r\n\p{L}\p{N}]?\p{L}+
            let letterStart = isLetter(c) ? i : ((!isNewline(c) && !isNumber(c) && at(i + 1).map(isLetter) == true) ? i + 1 : nil)
            if let start = letterStart {
                var j = start + 1
                while let s = at(j), isLetter(s) { j += 1 }
                emit(i, j); i = j; continue
            }
            // \p{N}{1,maxDigits}
            if isNumber(c) {
                var j = i + 1
                while j - i < maxDigits, let s = at(j), isNumber(s) { j += 1 }
                emit(i, j); i = j; continue
            }
            //  ?[^\s\p{L}\p{N}]+[\r\n]*
            let lead = c == " " ? i + 1 : i
            if let first = at(lead), !isSpace(first), !isLetter(first), !isNumber(first) {
                var j = lead + 1
                while let s = at(j), !isSpace(s), !isLetter(s), !isNumber(s) { j += 1 }
                while let s = at(j), isNewline(s) { j += 1 }
                emit(i, j); i = j; continue
            }
            // \s*[\r\n]+ : the whitespace run up to its last newline, if it has one.
            var runEnd = i
            var lastNewline: Int?
            while let s = at(runEnd), isSpace(s) {
                if isNewline(s) { lastNewline = runEnd }
                runEnd += 1
            }
            if let last = lastNewline {
                emit(i, last + 1); i = last + 1; continue
            }
            // \s+(?!\S) keeps the last space for the next word, else \s+.
            if runEnd > i {
                var j = runEnd
                if j - i > 1, j < end { j -= 1 }
                emit(i, j); i = j; continue
            }
            emit(i, i + 1)
            i += 1
        }
    }
}

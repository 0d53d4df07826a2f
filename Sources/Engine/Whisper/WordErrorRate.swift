/// Word error rate between reference and hypothesis texts after a light normalisation
/// (case, punctuation, small numbers, British spellings), as transcripts are compared when
/// measuring a recogniser: what is scored is the words, not their formatting.
public enum WordErrorRate {
    /// (substitutions + deletions + insertions) / reference words, summed over all pairs.
    public static func rate(references: [String], hypotheses: [String]) -> Double {
        precondition(references.count == hypotheses.count)
        var errors = 0, words = 0
        for (reference, hypothesis) in zip(references, hypotheses) {
            let r = normalizedWords(reference), h = normalizedWords(hypothesis)
            errors += EditDistance.levenshtein(r, h)
            words += r.count
        }
        return words == 0 ? 0 : Double(errors) / Double(words)
    }

    private static let numbers = ["0": "zero", "1": "one", "2": "two", "3": "three", "4": "four", "5": "five",
                                  "6": "six", "7": "seven", "8": "eight", "9": "nine", "10": "ten", "11": "eleven",
                                  "12": "twelve", "20": "twenty", "100": "hundred"]
    private static let spellings = ["favourite": "favorite", "colour": "color", "centre": "center", "metre": "meter", "grey": "gray"]

    public static func normalizedWords(_ text: String) -> [String] {
        let cleaned = String(text.lowercased().map { c -> Character in
            (c.isLetter || c.isNumber || c == "'") ? c : " "
        })
        return cleaned.split(separator: " ").map { word in
            let w = String(word)
            let n = numbers[w] ?? w
            return spellings[n] ?? n
        }
    }
}

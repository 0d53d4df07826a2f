/// Scores a reply against a question's accepted answers, as text: lower case, number words as
/// digits ("twenty-four" → "24"), punctuation as spaces, phrases matched as whole words.
enum AnswerScore {
    static func isRight(_ reply: String, _ question: AccuracyQuestion) -> Bool {
        let words = " " + normalize(reply) + " "
        func firstAt(_ phrases: [String]) -> String.Index? {
            phrases.compactMap { words.range(of: " " + normalize($0) + " ")?.lowerBound }.min()
        }
        // The reply's first word on the matter counts: "No, … not …" is a no; "Tom is shorter
        // than Sam" is wrong although it names Sam.
        guard let right = firstAt(question.accepted) else { return false }
        guard let wrong = firstAt(question.rejected) else { return true }
        return right < wrong
    }

    /// Lower case, apostrophes kept, every other non-alphanumeric a space, number words as digits.
    static func normalize(_ text: String) -> String {
        let plain = String(text.lowercased().replacingOccurrences(of: "\u{2019}", with: "'").map { $0.isLetter || $0.isNumber || $0 == "'" ? $0 : " " })
        var out: [String] = []
        var words = plain.split(separator: " ").map(String.init)[...]
        while let word = words.popFirst() {
            if word == "hundred" {
                // "one hundred", "a hundred", "two hundred"
                if let last = out.last, last == "a" || Int(last).map({ $0 > 0 && $0 < 10 }) == true {
                    out[out.count - 1] = String((Int(last) ?? 1) * 100)
                } else {
                    out.append("100")
                }
            } else if let tens = tensWords[word] {
                if let next = words.first, let unit = unitWords[next], unit < 10, unit > 0 {
                    words.removeFirst()
                    out.append(String(tens + unit))
                } else {
                    out.append(String(tens))
                }
            } else if let unit = unitWords[word] {
                out.append(String(unit))
            } else {
                out.append(word)
            }
        }
        return out.joined(separator: " ")
    }

    private static let unitWords: [String: Int] = [
        "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
        "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
        "seventeen": 17, "eighteen": 18, "nineteen": 19,
    ]
    private static let tensWords: [String: Int] = ["twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90]
}

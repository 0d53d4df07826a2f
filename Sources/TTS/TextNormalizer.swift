import Foundation

/// Rewrites what espeak-ng reads badly into words it reads well: URLs and e-mail addresses,
/// currency amounts, percentages, units after numbers, common abbreviations, symbols, ordinal
/// suffixes, and emoji or other pictographs (dropped). Plain numbers are left to espeak-ng, which
/// reads them correctly in English.
public enum TextNormalizer {
    public static func normalize(_ text: String) -> String {
        var s = text
        s = replace(s, #"\bhttps?://"#, "")
        s = replace(s, #"\bwww\."#, "w w w dot ")
        s = replace(s, #"([A-Za-z0-9._%+-]+)@([A-Za-z0-9-]+)\.([A-Za-z]{2,})"#) { m in "\(spellOut(m[1])) at \(m[2]) dot \(m[3])" }
        s = replace(s, #"\b([A-Za-z0-9-]+)\.(com|org|net|io|dev|edu|gov|co\.uk|de|fr)((?:/[^\s]*)?)"#) { m in
            let path = m[3].split(separator: "/").map(String.init).joined(separator: " slash ")
            return "\(m[1]) dot \(m[2].replacingOccurrences(of: ".", with: " dot "))" + (path.isEmpty ? "" : " slash " + path)
        }
        for (symbol, singular, plural, cent) in [("$", "dollar", "dollars", "cents"), ("€", "euro", "euros", "cents"), ("£", "pound", "pounds", "pence")] {
            s = replace(s, NSRegularExpression.escapedPattern(for: symbol) + #"\s?(\d[\d,]*)(?:\.(\d{2}))?\b"#) { m in
                let whole = m[1].replacingOccurrences(of: ",", with: "")
                let unit = whole == "1" ? singular : plural
                if m[2].isEmpty || m[2] == "00" { return "\(whole) \(unit)" }
                return "\(whole) \(unit) and \(Int(m[2]) ?? 0) \(cent)"
            }
        }
        s = replace(s, #"(\d)\s?%"#, "$1 percent")
        for (pattern, words) in units { s = replace(s, #"(\d)\s?"# + pattern + #"(?![A-Za-z])"#, "$1 " + words) }
        for (pattern, words) in abbreviations { s = replace(s, pattern, words) }
        s = replace(s, #"\b(\d+)(st|nd|rd|th)\b"#) { m in ordinal(m[0]) }
        for (symbol, words) in symbols { s = s.replacingOccurrences(of: symbol, with: " \(words) ") }
        s = String(String.UnicodeScalarView(s.unicodeScalars.filter { !isPictograph($0) }))
        return replace(s, #"[ \t]{2,}"#, " ").trimmingCharacters(in: .whitespaces)
    }

    static let units: [(String, String)] = [
        ("km/h", "kilometres per hour"), ("mph", "miles per hour"), ("m/s", "metres per second"),
        ("°C", "degrees Celsius"), ("°F", "degrees Fahrenheit"), ("kWh", "kilowatt hours"),
        ("km", "kilometres"), ("cm", "centimetres"), ("mm", "millimetres"), ("kg", "kilograms"),
        ("mg", "milligrams"), ("GB", "gigabytes"), ("MB", "megabytes"), ("kB", "kilobytes"), ("TB", "terabytes"),
        ("GHz", "gigahertz"), ("MHz", "megahertz"), ("kHz", "kilohertz"), ("Hz", "hertz"),
        ("ms", "milliseconds"), ("ml", "millilitres"), ("lbs?", "pounds"), ("ft", "feet"), ("°", "degrees"),
    ]

    static let abbreviations: [(String, String)] = [
        (#"\bDr\.(?=\s+[A-Z])"#, "Doctor"), (#"\bMr\."#, "Mister"), (#"\bMrs\."#, "Missus"), (#"\bMs\."#, "Miz"),
        (#"\bProf\.(?=\s+[A-Z])"#, "Professor"), (#"\bSt\.(?=\s+[A-Z])"#, "Saint"), (#"\bvs\.?(?=\s)"#, "versus"),
        (#"\betc\."#, "et cetera"), (#"\be\.g\."#, "for example"), (#"\bi\.e\."#, "that is"), (#"\bapprox\."#, "approximately"),
        (#"\bNo\.(?=\s*\d)"#, "number"), (#"\bJan\."#, "January"), (#"\bFeb\."#, "February"), (#"\bAug\."#, "August"),
        (#"\bSept?\."#, "September"), (#"\bOct\."#, "October"), (#"\bNov\."#, "November"), (#"\bDec\."#, "December"),
    ]

    static let symbols: [(String, String)] = [
        ("&", "and"), ("+", "plus"), ("=", "equals"), ("@", "at"), ("#", "number"), ("×", "times"),
        ("÷", "divided by"), ("≈", "about"), ("→", "to"), ("…", ", "), ("*", " "), ("_", " "), ("~", "about"),
    ]

    static func ordinal(_ token: String) -> String {
        let digits = token.filter(\.isNumber)
        guard let n = Int(digits) else { return token }
        let words = ["", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
                     "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth",
                     "eighteenth", "nineteenth", "twentieth"]
        if n > 0 && n < words.count { return words[n] }
        if n % 10 == 0 || n > 100 { return digits + "th" }
        // 21st → "twenty first": espeak reads the tens, we give the ordinal of the unit.
        return "\(n - n % 10) \(words[n % 10])"
    }

    static func spellOut(_ word: String) -> String {
        word.replacingOccurrences(of: ".", with: " dot ").replacingOccurrences(of: "_", with: " underscore ")
    }

    static func isPictograph(_ scalar: Unicode.Scalar) -> Bool {
        let p = scalar.properties
        if p.isEmojiPresentation { return true }
        if p.isEmoji && scalar.value > 0x2000 && !("0"..."9").contains(Character(scalar)) { return true }
        return scalar.value == 0xFE0F || scalar.value == 0x200D || (0x1F3FB...0x1F3FF).contains(scalar.value)
    }

    private static func replace(_ s: String, _ pattern: String, _ template: String) -> String {
        guard let regex = try? NSRegularExpression(pattern: pattern) else { return s }
        return regex.stringByReplacingMatches(in: s, range: NSRange(s.startIndex..., in: s), withTemplate: template)
    }

    private static func replace(_ s: String, _ pattern: String, _ transform: ([String]) -> String) -> String {
        guard let regex = try? NSRegularExpression(pattern: pattern) else { return s }
        var result = ""
        var last = s.startIndex
        for match in regex.matches(in: s, range: NSRange(s.startIndex..., in: s)) {
            guard let range = Range(match.range, in: s) else { continue }
            let groups = (0..<match.numberOfRanges).map { i -> String in
                Range(match.range(at: i), in: s).map { String(s[$0]) } ?? ""
            }
            result += s[last..<range.lowerBound] + transform(groups)
            last = range.upperBound
        }
        return result + s[last...]
    }
}

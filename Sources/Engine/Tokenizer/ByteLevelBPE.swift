/// Byte-level BPE (GPT-2 style): a word's UTF-8 bytes are mapped to printable characters, then
/// adjacent symbols are merged by rank until no ranked pair remains.
struct ByteLevelBPE: Sendable {
    /// GPT-2's reversible map from bytes to printable characters, and back.
    static let byteToCharacter: [Character] = {
        var printable = Array(33...126) + Array(161...172) + Array(174...255)
        var codes = printable
        var extra = 0
        for b in 0..<256 where !printable.contains(b) {
            printable.append(b)
            codes.append(256 + extra)
            extra += 1
        }
        var table = [Character](repeating: " ", count: 256)
        for (b, c) in zip(printable, codes) { table[b] = Character(Unicode.Scalar(UInt16(c)) ?? " ") }
        return table
    }()

    static let characterToByte: [Character: UInt8] = {
        var map = [Character: UInt8]()
        for (b, c) in byteToCharacter.enumerated() { map[c] = UInt8(b) }
        return map
    }()

    let ranks: [String: Int]

    /// `merges` as GGUF stores them: "left right", in priority order.
    init(merges: [String]) {
        var ranks = [String: Int](minimumCapacity: merges.count)
        for (i, m) in merges.enumerated() where ranks[m] == nil { ranks[m] = i }
        self.ranks = ranks
    }

    static func encodeBytes(_ word: String) -> String {
        String(word.utf8.map { byteToCharacter[Int($0)] })
    }

    /// The symbols of one byte-encoded word after all merges.
    func merge(_ encoded: String) -> [String] {
        var symbols = encoded.map { String($0) }
        guard symbols.count > 1 else { return symbols }
        while true {
            var best = Int.max, bestIndex = -1
            for i in 0..<(symbols.count - 1) {
                if let r = ranks[symbols[i] + " " + symbols[i + 1]], r < best {
                    best = r
                    bestIndex = i
                }
            }
            guard bestIndex >= 0 else { break }
            let left = symbols[bestIndex], right = symbols[bestIndex + 1]
            var merged = [String]()
            merged.reserveCapacity(symbols.count)
            var i = 0
            while i < symbols.count {
                if i < symbols.count - 1, symbols[i] == left, symbols[i + 1] == right {
                    merged.append(left + right)
                    i += 2
                } else {
                    merged.append(symbols[i])
                    i += 1
                }
            }
            symbols = merged
        }
        return symbols
    }
}

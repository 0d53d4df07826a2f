import Synchronization

/// The tokenizer stored in a GGUF file (`tokenizer.ggml.*`): byte-level BPE with the model's
/// pre-tokenizer, special tokens recognised in prompt text (as llama.cpp's `parse_special`),
/// and decoding back to text.
public final class Tokenizer: Sendable {
    public let tokens: [String]
    public let bos: Int?
    public let eos: Int?
    /// Whether the model's metadata asks for BOS at the start of a prompt.
    public let addsBOS: Bool
    /// Control and user-defined tokens, longest first (matched greedily in prompt text).
    public let specialTokens: [(text: String, id: Int)]
    let tokenTypes: [Int]
    let preTokenizer: PreTokenizer
    let bpe: ByteLevelBPE
    let ids: [String: Int]
    private let cache = Mutex<[String: [Int]]>([:])

    public static let typeControl = 3
    public static let typeUserDefined = 4

    public init(_ file: GGUFFile) throws(EngineError) {
        guard let model = file.metadata["tokenizer.ggml.model"]?.string else {
            throw .malformedModel(path: file.path, message: "no tokenizer in the file (tokenizer.ggml.model missing)")
        }
        guard model == "gpt2" else {
            throw .unsupportedModel(path: file.path, message: "tokenizer model '\(model)' (supported: gpt2 byte-level BPE)")
        }
        guard let tokenValues = file.metadata["tokenizer.ggml.tokens"]?.array,
              let mergeValues = file.metadata["tokenizer.ggml.merges"]?.array else {
            throw .malformedModel(path: file.path, message: "tokenizer tokens or merges missing")
        }
        let tokens = tokenValues.map { $0.string ?? "" }
        let tokenTypes = file.metadata["tokenizer.ggml.token_type"]?.array?.map { $0.int ?? 1 } ?? Array(repeating: 1, count: tokens.count)
        guard tokenTypes.count == tokens.count else {
            throw .malformedModel(path: file.path, message: "\(tokenTypes.count) token types for \(tokens.count) tokens")
        }
        self.tokens = tokens
        self.tokenTypes = tokenTypes
        do {
            preTokenizer = try PreTokenizer(ggufName: file.metadata["tokenizer.ggml.pre"]?.string)
        } catch {
            throw .unsupportedModel(path: file.path, message: "\(error)")
        }
        bpe = ByteLevelBPE(merges: mergeValues.compactMap(\.string))
        var ids = [String: Int](minimumCapacity: tokens.count)
        for (i, t) in tokens.enumerated() where ids[t] == nil { ids[t] = i }
        self.ids = ids
        bos = file.metadata["tokenizer.ggml.bos_token_id"]?.int
        eos = file.metadata["tokenizer.ggml.eos_token_id"]?.int
        addsBOS = file.metadata["tokenizer.ggml.add_bos_token"]?.bool ?? false
        specialTokens = tokens.enumerated()
            .filter { i, t in !t.isEmpty && (tokenTypes[i] == Self.typeControl || tokenTypes[i] == Self.typeUserDefined) }
            .map { (text: $0.element, id: $0.offset) }
            .sorted { $0.text.utf8.count > $1.text.utf8.count }
    }

    public var vocabularySize: Int { tokens.count }

    public func id(of token: String) -> Int? { ids[token] }

    /// Encodes text. With `parseSpecial`, special-token texts in `text` become their ids;
    /// otherwise they are encoded as ordinary text. BOS is added when `addBOS` (default: as the
    /// model's metadata says).
    public func encode(_ text: String, parseSpecial: Bool = true, addBOS: Bool? = nil) -> [Int] {
        var out = [Int]()
        if addBOS ?? addsBOS, let bos { out.append(bos) }
        for fragment in parseSpecial ? partition(text) : [.text(text)] {
            switch fragment {
            case .special(let id): out.append(id)
            case .text(let t): out += encodeOrdinary(t)
            }
        }
        return out
    }

    /// `word` in pieces of at most `longestWordBytes` UTF-8 bytes, cut between characters.
    static func pieces(_ word: String) -> [String] {
        guard word.utf8.count > longestWordBytes else { return [word] }
        var pieces: [String] = [], current = "", bytes = 0
        for character in word {
            let size = character.utf8.count
            if bytes + size > longestWordBytes, !current.isEmpty {
                pieces.append(current)
                current = ""
                bytes = 0
            }
            current.append(character)
            bytes += size
        }
        if !current.isEmpty { pieces.append(current) }
        return pieces
    }

    enum Fragment { case text(String), special(Int) }

    /// Splits text around special-token occurrences (longest match first at each position).
    func partition(_ text: String) -> [Fragment] {
        guard !specialTokens.isEmpty else { return [.text(text)] }
        let bytes = Array(text.utf8)
        var fragments = [Fragment]()
        var start = 0, i = 0
        outer: while i < bytes.count {
            for special in specialTokens {
                let s = special.text.utf8
                if s.count <= bytes.count - i, bytes[i] == s.first, bytes[i..<i + s.count].elementsEqual(s) {
                    if start < i { fragments.append(.text(String(decoding: bytes[start..<i], as: UTF8.self))) }
                    fragments.append(.special(special.id))
                    i += s.count
                    start = i
                    continue outer
                }
            }
            i += 1
        }
        if start < bytes.count { fragments.append(.text(String(decoding: bytes[start...], as: UTF8.self))) }
        return fragments
    }

    /// Words longer than this many bytes are merged in pieces of this size: BPE's cost grows
    /// with the square of a word's length, and a text of one 16 KB "word" (no real word is
    /// that long) would take the engine for seconds. Real words are never split.
    static let longestWordBytes = 128

    func encodeOrdinary(_ text: String) -> [Int] {
        var out = [Int]()
        for word in preTokenizer.split(text).flatMap(Self.pieces) {
            if let cached = cache.withLock({ $0[word] }) {
                out += cached
                continue
            }
            var wordIds = [Int]()
            for symbol in bpe.merge(ByteLevelBPE.encodeBytes(word)) {
                if let id = ids[symbol] {
                    wordIds.append(id)
                } else {
                    // A merge result missing from the vocabulary: fall back to its characters.
                    for ch in symbol { if let id = ids[String(ch)] { wordIds.append(id) } }
                }
            }
            cache.withLock { cache in
                if cache.count > 50_000 { cache.removeAll() }
                cache[word] = wordIds
            }
            out += wordIds
        }
        return out
    }

    /// The bytes one token stands for (special tokens: their text).
    public func bytes(of id: Int) -> [UInt8] {
        guard tokens.indices.contains(id) else { return [] }
        let t = tokens[id]
        if tokenTypes[id] == Self.typeControl || tokenTypes[id] == Self.typeUserDefined { return Array(t.utf8) }
        var out = [UInt8]()
        for ch in t {
            if let b = ByteLevelBPE.characterToByte[ch] { out.append(b) } else { out += Array(String(ch).utf8) }
        }
        return out
    }

    public func isControl(_ id: Int) -> Bool { tokenTypes.indices.contains(id) && tokenTypes[id] == Self.typeControl }

    /// Text of a sequence of tokens (invalid UTF-8 across an incomplete end is replaced).
    public func decode(_ ids: [Int], skipControl: Bool = false) -> String {
        String(decoding: ids.filter { !(skipControl && isControl($0)) }.flatMap { bytes(of: $0) }, as: UTF8.self)
    }
}

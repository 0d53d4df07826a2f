import Foundation

/// Whisper's token strings (`vocabulary.txt`, one byte-level BPE token per line, as CTranslate2
/// ships it) and the ids of its special tokens, found by name so that English-only and
/// multilingual models (whose special ids differ by one) both work.
public struct WhisperVocabulary: Sendable {
    public let tokens: [String]
    public let endOfText: Int
    public let startOfTranscript: Int
    public let transcribe: Int
    public let translate: Int?
    public let noTimestamps: Int
    public let noSpeech: Int?
    /// Language code ("en") → token id, in vocabulary order.
    public let languages: [(code: String, id: Int)]
    private let index: [String: Int]

    public init(path: String) throws(EngineError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .modelFileMissing(path: path, role: "Whisper vocabulary", fix: "run `realtime-daemon models fetch`")
        }
        var lines = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        try self.init(tokens: lines, path: path)
    }

    public init(tokens: [String], path: String = "vocabulary") throws(EngineError) {
        self.tokens = tokens
        var index: [String: Int] = [:]
        for (i, t) in tokens.enumerated() where index[t] == nil { index[t] = i }
        self.index = index
        func special(_ name: String) throws(EngineError) -> Int {
            guard let id = index[name] else {
                throw .malformedModel(path: path, message: "the vocabulary has no \(name) token")
            }
            return id
        }
        endOfText = try special("<|endoftext|>")
        startOfTranscript = try special("<|startoftranscript|>")
        transcribe = try special("<|transcribe|>")
        noTimestamps = try special("<|notimestamps|>")
        translate = index["<|translate|>"]
        noSpeech = index["<|nospeech|>"] ?? index["<|nocaptions|>"]
        guard transcribe > startOfTranscript else {
            throw .malformedModel(path: path, message: "<|transcribe|> (\(transcribe)) comes before <|startoftranscript|> (\(startOfTranscript))")
        }
        var languages: [(String, Int)] = []
        for id in (startOfTranscript + 1)..<transcribe {
            let t = tokens[id]
            if t.hasPrefix("<|"), t.hasSuffix("|>"), t.count <= 9 {
                languages.append((String(t.dropFirst(2).dropLast(2)), id))
            }
        }
        self.languages = languages
    }

    public var count: Int { tokens.count }
    /// The first timestamp token (`<|0.00|>`).
    public var timestampBegin: Int { noTimestamps + 1 }
    public var isMultilingual: Bool { languages.count > 1 }

    public func language(_ code: String) -> Int? {
        languages.first { $0.code == code }?.id
    }

    public func id(of token: String) -> Int? { index[token] }

    /// The text of `ids`, special tokens left out; invalid UTF-8 (a character cut between
    /// tokens) becomes U+FFFD.
    public func text(_ ids: [Int]) -> String {
        var bytes: [UInt8] = []
        for id in ids where id >= 0 && id < endOfText {
            for c in tokens[id] {
                if let b = ByteLevelBPE.characterToByte[c] { bytes.append(b) }
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Splits streamed model text into reasoning (inside `<think>…</think>`) and answer, as it
/// arrives. A tag cut across tokens is held back until it is complete; a model that never opens
/// the tag writes only answer; one that never closes it writes only reasoning after the tag.
public struct ReasoningSplitter: Sendable {
    public enum Piece: Sendable, Equatable {
        case reasoning(String)
        case answer(String)
    }

    public static let openTag = "<think>"
    public static let closeTag = "</think>"

    public private(set) var isReasoning: Bool
    private var pending = ""

    /// - Parameter startsInReasoning: true when the prompt already opened `<think>` (the
    ///   assistant turn was prefilled with it).
    public init(startsInReasoning: Bool = false) {
        isReasoning = startsInReasoning
    }

    /// Feeds new text; returns what can be told apart so far.
    public mutating func feed(_ text: String) -> [Piece] {
        pending += text
        var out = [Piece]()
        while !pending.isEmpty {
            let tag = isReasoning ? Self.closeTag : Self.openTag
            if let range = pending.range(of: tag) {
                emit(String(pending[..<range.lowerBound]), into: &out)
                pending = String(pending[range.upperBound...])
                isReasoning.toggle()
                continue
            }
            // Hold back a suffix that could be the start of the tag.
            let keep = Self.longestSuffixThatPrefixes(pending, tag)
            let cut = pending.index(pending.endIndex, offsetBy: -keep)
            emit(String(pending[..<cut]), into: &out)
            pending = String(pending[cut...])
            break
        }
        return out
    }

    /// Ends the stream: whatever was held back is emitted as it stands.
    public mutating func finish() -> [Piece] {
        var out = [Piece]()
        emit(pending, into: &out)
        pending = ""
        return out
    }

    private func emit(_ s: String, into out: inout [Piece]) {
        guard !s.isEmpty else { return }
        out.append(isReasoning ? .reasoning(s) : .answer(s))
    }

    static func longestSuffixThatPrefixes(_ s: String, _ tag: String) -> Int {
        var n = min(s.count, tag.count - 1)
        while n > 0 {
            if tag.hasPrefix(s.suffix(n)) { return n }
            n -= 1
        }
        return 0
    }
}

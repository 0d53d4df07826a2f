import Testing
import Engine

@Suite struct ClauseChunkerTests {
    static func chunks(_ pieces: [String], _ configure: (inout ClauseChunker) -> Void = { _ in }) -> [String] {
        var chunker = ClauseChunker()
        configure(&chunker)
        var out = pieces.flatMap { chunker.feed($0) }
        if let rest = chunker.finish() { out.append(rest) }
        return out
    }

    @Test func sentencesSplitAsTokensArrive() {
        let out = Self.chunks(["The cap", "ital is Par", "is. It has", " two million people! Want", " more?"])
        #expect(out == ["The capital is Paris.", "It has two million people!", "Want more?"])
    }

    @Test func abbreviationsInitialsAndDecimalsDoNotEndSentences() {
        let out = Self.chunks(["Dr. Smith met J. R. Tolkien at 3.5 pm, e.g. on Monday. Then he left."])
        #expect(out == ["Dr. Smith met J. R. Tolkien at 3.5 pm,", "e.g. on Monday.", "Then he left."])
        #expect(Self.chunks(["The answer is 4. Anything else?"]) == ["The answer is 4.", "Anything else?"])
    }

    @Test func longClausesSplitAtCommasAndTheFirstOneEarly() {
        let out = Self.chunks(["Sure, here is what I found about the weather tomorrow in the city center, and it looks like rain."])
        #expect(out.first == "Sure, here is what I found about the weather tomorrow in the city center,")
        #expect(out.count == 2)
        let early = Self.chunks(["Well, that depends."], { $0.minimumFirstCharacters = 4 })
        #expect(early == ["Well,", "that depends."])
    }

    @Test func markdownIsNotReadAndLineBreaksEndPieces() {
        let out = Self.chunks(["# Tips\n1. **Sleep** early\n2. Drink `water`"])
        #expect(out == ["Tips", "1. Sleep early", "2. Drink water"])
    }

    @Test func nothingIsLostAtTheEnd() {
        #expect(Self.chunks(["no punctuation at all"]) == ["no punctuation at all"])
        #expect(Self.chunks(["", "  "]).isEmpty)
    }

    @Test func aFirstPieceWithoutPunctuationIsCutWhereAPhraseBegins() {
        // Streamed word by word, as a model writes it.
        let words = "The answer to this classic question is that the sky scatters blue light the most.".split(separator: " ")
        let out = Self.chunks(words.map { $0 + " " })
        #expect(out.first == "The answer to this classic question is", "\(out)")
        #expect(out.joined(separator: " ") == words.joined(separator: " "))
        #expect(out.count == 2, "later pieces wait for punctuation: \(out)")
    }

    @Test func aFirstPieceIsNeverCutInsideAPhrase() {
        // Tokens as a model writes them: "away" arrives in two parts.
        let out = Self.chunks(["I will water ", "your plants ", "while I am a", "way. See you", " soon."])
        #expect(out == ["I will water your plants", "while I am away.", "See you soon."], "\(out)")
        // No phrase boundary at all: cut at a whole word only once the listener has waited long.
        let parts = ["Seven hundred twenty three thousand four hundred fifty six ", "apples ", "seems ", "quite ", "plenty ", "now."]
        let long = Self.chunks(parts)
        #expect(long.count == 2 && (long.first?.count ?? 0) > 60, "\(long)")
        #expect(long.joined(separator: " ") == parts.joined())
    }

    @Test func aCompleteTextIsSpokenInItsOwnClauses() {
        let out = Self.chunks(["I will water your plants while I am away and feed the cat every morning."], { $0.cutsFirstPieceEarly = false })
        #expect(out == ["I will water your plants while I am away and feed the cat every morning."])
    }
}

import Foundation
import Testing
import Engine

/// Token ids identical to llama.cpp's (parse_special on) on the committed corpus, and exact
/// round trips.
@Suite struct TokenizerTests {
    struct Case: Decodable { var text: String; var ids: [Int] }

    static let tokenizer: Tokenizer? = try? Tokenizer(GGUFFile(path: ModelPaths.smolLM))

    @Test func idsEqualLlamaCppOnCorpus() throws {
        let tokenizer = try #require(Self.tokenizer)
        let cases = try JSONDecoder().decode([Case].self, from: Data(contentsOf: URL(fileURLWithPath: Fixtures.path("llm/tokenizer.json"))))
        #expect(cases.count >= 200)
        var mismatches = [String]()
        for c in cases {
            let ours = tokenizer.encode(c.text)
            if ours != c.ids { mismatches.append("\(c.text.debugDescription): ours \(ours) llama.cpp \(c.ids)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) of \(cases.count) differ:\n\(mismatches.prefix(10).joined(separator: "\n"))")
    }

    @Test func decodeRoundTripsExactly() throws {
        let tokenizer = try #require(Self.tokenizer)
        let cases = try JSONDecoder().decode([Case].self, from: Data(contentsOf: URL(fileURLWithPath: Fixtures.path("llm/tokenizer.json"))))
        for c in cases {
            #expect(tokenizer.decode(tokenizer.encode(c.text)) == c.text)
        }
    }

    @Test func specialTokensAreParsedOnlyWhenAsked() throws {
        let tokenizer = try #require(Self.tokenizer)
        let imStart = try #require(tokenizer.id(of: "<|im_start|>"))
        #expect(tokenizer.encode("<|im_start|>") == [imStart])
        #expect(!tokenizer.encode("<|im_start|>", parseSpecial: false).contains(imStart))
        #expect(tokenizer.addsBOS == false)
        #expect(tokenizer.encode("Hi", addBOS: true).first == tokenizer.bos)
    }
}

import Foundation
import Testing
import Engine

/// The Llama 3 and Qwen2 pre-tokenizers split the tokenizer corpus exactly as their regexes do
/// under Python's `regex` module (scripts/fixtures/make-pretokenizer-fixtures.py).
@Suite struct PreTokenizerTests {
    struct File: Decodable {
        struct Case: Decodable { var text: String; var llama3: [String]; var qwen2: [String] }
        var cases: [Case]
    }

    @Test(arguments: ["llama3", "qwen2"])
    func splitsEqualTheRegex(name: String) throws {
        let file = try JSONDecoder().decode(File.self, from: Data(contentsOf: URL(fileURLWithPath: Fixtures.path("llm/pretokenizer.json"))))
        let splitter = try PreTokenizer(ggufName: name)
        var mismatches = [String]()
        for c in file.cases {
            let expected = name == "llama3" ? c.llama3 : c.qwen2
            let ours = splitter.split(c.text)
            if ours != expected { mismatches.append("\(c.text.debugDescription): ours \(ours) regex \(expected)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) differ:\n\(mismatches.prefix(8).joined(separator: "\n"))")
    }

    @Test func unknownPreTokenizerIsNamed() {
        #expect(throws: EngineError.self) { try PreTokenizer(ggufName: "no-such-rule") }
    }
}

import Engine
import Testing

@Suite struct ConversationHistoryTests {
    func tools() throws -> (ChatTemplate, Tokenizer) {
        let file = try GGUFFile(path: try ModelPaths.smolLM)
        return (try ChatTemplate(file), try Tokenizer(file))
    }

    @Test func keepsWhatWasSaidAndHeard() throws {
        let (template, tokenizer) = try tools()
        var history = ConversationHistory(system: "You are a helpful voice assistant.")
        history.appendUser("What is the capital of France?", evidence: "[acoustic evidence, 1.2 s]\n- pitch: median 180 Hz")
        history.appendAssistant("The capital of France is Paris, a city on the Seine with many museums.")
        history.truncateLastAssistant(toHeard: "The capital of France is Paris,")
        let (text, ids, dropped) = history.prompt(template: template, tokenizer: tokenizer)
        #expect(dropped == 0)
        #expect(text.contains("[acoustic evidence"))
        #expect(text.contains("The capital of France is Paris,"))
        #expect(!text.contains("museums"))
        #expect(text.hasSuffix("<|im_start|>assistant\n"))
        #expect(ids == tokenizer.encode(text))
        history.truncateLastAssistant(toHeard: "")
        #expect(history.turns.count == 1)
    }

    @Test func oldTurnsGoFirstToFitTheBudget() throws {
        let (template, tokenizer) = try tools()
        var history = ConversationHistory(system: "Be brief.", tokenBudget: 160, reservedForReply: 40)
        for i in 0..<10 {
            history.appendUser("Question number \(i): tell me something about the number \(i).")
            history.appendAssistant("Here is a fact about \(i): it comes after \(i - 1) and before \(i + 1).")
        }
        history.appendUser("And what about eleven?")
        let (text, ids, dropped) = history.prompt(template: template, tokenizer: tokenizer)
        #expect(ids.count <= 120)
        #expect(dropped > 0)
        #expect(text.contains("Be brief."))
        #expect(text.contains("And what about eleven?"))
        #expect(!text.contains("Question number 0"))
        // The kept part still starts with a user turn after the system prompt.
        #expect(text.components(separatedBy: "<|im_start|>")[2].hasPrefix("user"))
        // A single turn longer than the budget keeps its end.
        var long = ConversationHistory(tokenBudget: 90, reservedForReply: 10)
        long.appendUser(String(repeating: "blah ", count: 200) + "so what time is it?")
        let cut = long.prompt(template: template, tokenizer: tokenizer)
        #expect(cut.ids.count <= 80)
        #expect(cut.text.contains("so what time is it?"))
    }
}

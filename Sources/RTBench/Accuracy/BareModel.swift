import Engine
import Foundation
import ModelStore

/// The reasoner's model on its own, in this process: each question as the one user turn of its
/// chat template (no system prompt, no thinking), greedy, as `realtime-daemon generate --chat`
/// runs it. What the pipeline's answers are measured against.
struct BareModel {
    let model: LlamaModel
    let tokenizer: Tokenizer
    let template: ChatTemplate
    var maxTokens = 96

    init(modelsDirectory: URL, threads: Int = 2) throws {
        let store = ModelStore(directory: modelsDirectory)
        try store.require(.reasoner)
        guard let path = store.path(role: .reasoner, endingWith: ".gguf") else { throw UtteranceError("no reasoner GGUF in \(modelsDirectory.path)") }
        model = try LlamaModel(path: path.path, threads: threads)
        tokenizer = try Tokenizer(model.file)
        template = try ChatTemplate(model.file)
    }

    func answer(_ question: String) throws -> String {
        let ids = tokenizer.encode(template.render([ChatMessage(role: .user, content: question)]))
        var parameters = GenerationParameters()
        parameters.maxTokens = maxTokens
        parameters.sampler.temperature = 0
        let cache = KVCache(configuration: model.configuration, capacity: ids.count + maxTokens + 8)
        let generator = TokenGenerator(model: model, tokenizer: tokenizer, cache: cache, prompt: ids, parameters: parameters)
        for _ in generator {}
        if let failure = generator.failure { throw failure }
        return generator.channels.answer
    }
}

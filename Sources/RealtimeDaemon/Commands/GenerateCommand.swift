import ArgumentParser
import Engine
import ModelStore
import Foundation

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generate text with the reasoner (a llama or qwen2 GGUF).",
        discussion: """
            Without --chat the prompt is used as is (special tokens such as <|im_start|> are \
            recognised; BOS only if the model's metadata asks for it). With --chat it becomes one \
            user turn in the model's chat template. Thinking inside <think>…</think> is reported \
            apart from the answer.
            """
    )

    @OptionGroup var options: GlobalOptions
    @Option(help: ArgumentHelp("GGUF model file (default: the installed reasoner).", valueName: "path")) var model: String?
    @Option(help: "The prompt text.") var prompt: String
    @Option(help: "System message (with --chat; default: the template's own, if any).") var system: String?
    @Flag(help: "Wrap the prompt in the model's chat template as one user turn.") var chat = false
    @Option(help: "Largest number of tokens to generate.") var maxTokens = 128
    @Flag(help: "Always take the most likely token (the default unless --temperature is given).") var greedy = false
    @Option(help: "Sampling temperature (> 0 samples; 0 is greedy).") var temperature: Float?
    @Option(help: "Random seed for sampling.") var seed: UInt64 = 0
    @Option(help: "Top-k filter (0: off).") var topK = 40
    @Option(help: "Top-p (nucleus) filter (1: off).") var topP: Float = 0.95
    @Option(help: "Min-p filter (0: off).") var minP: Float = 0.05
    @Option(help: "Repetition penalty (1: off).") var repeatPenalty: Float = 1
    @Option(help: "Compute threads (default: engine.threads).") var threads: Int?
    @Option(help: "Context window to allocate, in tokens.") var context = 2048
    @Option(help: "Arithmetic of the quantized layers: llama-cpp (8-bit activations, llama.cpp's numbers, fastest) or float.")
    var numerics: NumericsOption = .llamaCpp

    enum NumericsOption: String, ExpressibleByArgument {
        case llamaCpp = "llama-cpp", float
    }
    @Flag(help: "Print one JSON object: ids, text, reasoning, answer, speeds.") var json = false

    func validate() throws {
        if greedy, let t = temperature, t > 0 { throw ValidationError("--greedy and --temperature \(t) contradict each other") }
        guard maxTokens >= 0 else { throw ValidationError("--max-tokens must be at least 0") }
        guard context >= 16 else { throw ValidationError("--context must be at least 16") }
    }

    func run() throws {
        let (_, config) = try options.resolve()
        let path: String
        if let model {
            path = model
        } else {
            let store = ModelStore(directory: config.modelsDirectory)
            try store.require(.reasoner)
            path = store.path(role: .reasoner, endingWith: ".gguf")?.path ?? ""
        }
        let llm = try LlamaModel(path: path, threads: threads ?? config.engineThreads)
        llm.numerics = numerics == .float ? .float : .llamaCpp
        let tokenizer = try Tokenizer(llm.file)
        var text = prompt
        if chat {
            let template = try ChatTemplate(llm.file)
            var messages = [ChatMessage]()
            if let system { messages.append(ChatMessage(role: .system, content: system)) }
            messages.append(ChatMessage(role: .user, content: prompt))
            text = template.render(messages)
        }
        let ids = tokenizer.encode(text)
        var parameters = GenerationParameters()
        parameters.maxTokens = maxTokens
        parameters.sampler.temperature = greedy ? 0 : (temperature ?? 0)
        parameters.sampler.seed = seed
        parameters.sampler.topK = topK
        parameters.sampler.topP = topP
        parameters.sampler.minP = minP
        parameters.sampler.repetitionPenalty = repeatPenalty
        let cache = KVCache(configuration: llm.configuration, capacity: min(context, llm.configuration.contextLength))
        let generator = TokenGenerator(model: llm, tokenizer: tokenizer, cache: cache, prompt: ids, parameters: parameters)
        for step in generator where !json {
            FileHandle.standardOutput.write(Data(step.text.utf8))
        }
        if let failure = generator.failure { throw failure }
        let (reasoning, answer) = generator.channels
        let prefillRate = Double(generator.prefilledTokens) / max(generator.prefillSeconds, 1e-9)
        // The first generated token comes from the prefill's logits; each later one costs a decode step.
        let decodeRate = Double(max(0, generator.generated.count - 1)) / max(generator.decodeSeconds, 1e-9)
        if json {
            let object: [String: Any] = [
                "prompt_ids": ids, "generated_ids": generator.generated, "text": generator.text,
                "reasoning": reasoning, "answer": answer, "finish_reason": generator.finishReason?.rawValue ?? "",
                "prefill_tokens_per_s": (prefillRate * 10).rounded() / 10, "decode_tokens_per_s": (decodeRate * 10).rounded() / 10,
            ]
            try JSONLine.print(object)
        } else {
            print("")
            FileHandle.standardError.write(Data(String(format: "[%d prompt tokens at %.1f tok/s, %d generated at %.1f tok/s, %@]\n",
                ids.count, prefillRate, generator.generated.count, decodeRate, generator.finishReason?.rawValue ?? "").utf8))
        }
    }
}

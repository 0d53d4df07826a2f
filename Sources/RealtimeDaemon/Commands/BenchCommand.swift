import ArgumentParser
import Engine
import Foundation

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the engine's speed (used by scripts/bench-*.sh next to the reference).",
        subcommands: [Reasoner.self]
    )

    struct Reasoner: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Prefill and decode tokens per second of the reasoner, and the cost of decoding two sequences together.",
            discussion: "The prompt is BOS followed by ' hello' repeated, as llm_reference.py bench builds it.")

        @OptionGroup var options: GlobalOptions
        @Option(help: ArgumentHelp("GGUF model file (default: the installed reasoner).", valueName: "path")) var model: String?
        @Option(help: "Compute threads.") var threads = 2
        @Option(help: "Prompt length in tokens.") var promptTokens = 256
        @Option(help: "Tokens to decode.") var genTokens = 128
        @Option(help: "Repetitions; the best is reported.") var repeats = 3
        @Flag(help: "Print JSON.") var json = false

        func run() throws {
            let (_, config) = try options.resolve()
            let path = try model ?? {
                let store = ModelStore(directory: config.modelsDirectory)
                try store.require(.reasoner)
                return store.path(role: .reasoner, endingWith: ".gguf")?.path ?? ""
            }()
            let llm = try LlamaModel(path: path, threads: threads)
            let tokenizer = try Tokenizer(llm.file)
            let hello = tokenizer.encode(" hello", parseSpecial: false).first ?? 0
            let prompt = [tokenizer.bos ?? 0] + Array(repeating: hello, count: promptTokens - 1)
            let capacity = promptTokens + genTokens + 8
            var bestPrefill = Double.infinity, bestDecode = Double.infinity, bestPair = Double.infinity
            for _ in 0..<repeats {
                let cache = KVCache(configuration: llm.configuration, capacity: capacity)
                var t = Date()
                var logits = try llm.prefill(prompt, cache: cache)
                bestPrefill = min(bestPrefill, Date().timeIntervalSince(t))
                t = Date()
                for _ in 0..<genTokens {
                    logits = try llm.decode([(Sampler.argmax(logits), cache)])[0]
                }
                bestDecode = min(bestDecode, Date().timeIntervalSince(t))
                // Two sequences decoded together, each continuing from the same prompt.
                let a = KVCache(configuration: llm.configuration, capacity: capacity)
                let b = KVCache(configuration: llm.configuration, capacity: capacity)
                var la = try llm.prefill(prompt, cache: a)
                var lb = la
                _ = try llm.prefill(prompt, cache: b)
                t = Date()
                for _ in 0..<genTokens {
                    let out = try llm.decode([(Sampler.argmax(la), a), (Sampler.argmax(lb), b)])
                    la = out[0]; lb = out[1]
                }
                bestPair = min(bestPair, Date().timeIntervalSince(t))
            }
            let result: [String: Any] = [
                "prefill_tokens_per_s": (Double(promptTokens) / bestPrefill * 10).rounded() / 10,
                "decode_tokens_per_s": (Double(genTokens) / bestDecode * 10).rounded() / 10,
                "two_sequence_step_ratio": (bestPair / bestDecode * 1000).rounded() / 1000,
                "threads": threads, "prompt_tokens": promptTokens, "gen_tokens": genTokens,
                "resident_mb": Self.residentMegabytes(),
            ]
            if json {
                try JSONLine.print(result)
            } else {
                for (k, v) in result.sorted(by: { $0.key < $1.key }) { print("\(k): \(v)") }
            }
        }

        /// Resident set size from /proc/self/status (VmRSS).
        static func residentMegabytes() -> Double {
            guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
                  let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
                  let kb = Double(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
            return (kb / 1024 * 10).rounded() / 10
        }
    }
}

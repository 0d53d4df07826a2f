import ArgumentParser
import Engine
import ModelStore
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
            discussion: """
                The prompt is BOS followed by ' hello' repeated, as llm_reference.py bench builds it. \
                Prefill and decode report the best of the repeats. two_sequence_step_ratio is the median, over \
                every generated position of every repeat, of a two-sequence step's time over a one-sequence \
                step's at the same position, the two alternating; the quartiles show its spread. It decodes \
                two sequences with caches of their own; two_sequence_shared_prompt_step_ratio decodes two \
                that share the prompt's keys and values, as the two streams of a reply share the conversation.
                """)

        @OptionGroup var options: GlobalOptions
        @Option(help: ArgumentHelp("GGUF model file (default: the installed reasoner).", valueName: "path")) var model: String?
        @Option(help: "Compute threads.") var threads = 2
        @Option(help: "Prompt length in tokens.") var promptTokens = 256
        @Option(help: "Tokens to decode.") var genTokens = 128
        @Option(help: "Repetitions; the best prefill and decode are reported.") var repeats = 3
        @Flag(help: "Print JSON.") var json = false

        func validate() throws {
            guard promptTokens >= 1, genTokens >= 1, repeats >= 1, threads >= 1 else {
                throw ValidationError("--prompt-tokens, --gen-tokens, --repeats and --threads must be at least 1")
            }
        }

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
            var bestPrefill = Double.infinity, bestDecode = Double.infinity
            var stepRatios: [Double] = [], sharedStepRatios: [Double] = []
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
                stepRatios += try twoSequenceStepRatios(llm, prompt: prompt, capacity: capacity, sharingPrompt: false)
                sharedStepRatios += try twoSequenceStepRatios(llm, prompt: prompt, capacity: capacity, sharingPrompt: true)
            }
            func median(_ r: [Double]) -> Double { (r.sorted()[r.count / 2] * 1000).rounded() / 1000 }
            func quartiles(_ r: [Double]) -> [Double] { let s = r.sorted(); return [s[s.count / 4], s[s.count * 3 / 4]].map { ($0 * 1000).rounded() / 1000 } }
            let result: [String: Any] = [
                "prefill_tokens_per_s": (Double(promptTokens) / bestPrefill * 10).rounded() / 10,
                "decode_tokens_per_s": (Double(genTokens) / bestDecode * 10).rounded() / 10,
                "two_sequence_step_ratio": median(stepRatios),
                "two_sequence_step_ratio_quartiles": quartiles(stepRatios),
                "two_sequence_shared_prompt_step_ratio": median(sharedStepRatios),
                "two_sequence_shared_prompt_step_ratio_quartiles": quartiles(sharedStepRatios),
                "threads": threads, "prompt_tokens": promptTokens, "gen_tokens": genTokens,
                "resident_mb": Self.residentMegabytes(),
            ]
            if json {
                try JSONLine.print(result)
            } else {
                for (k, v) in result.sorted(by: { $0.key < $1.key }) { print("\(k): \(v)") }
            }
        }

        /// The time of a step of two sequences over that of a step of one, at each position: three
        /// caches hold the prompt, and a one-sequence step and a two-sequence step alternate, so
        /// that both see the same machine (a shared host's other load comes and goes within
        /// seconds, which made separately timed phases disagree by up to 15%). With `sharingPrompt`
        /// the second of the pair reads the prompt from the first's cache (`KVCache.sharePrefix`,
        /// as `DecodingStream.load` shares the conversation) and prefills only its last token.
        func twoSequenceStepRatios(_ llm: LlamaModel, prompt: [Int], capacity: Int, sharingPrompt: Bool) throws -> [Double] {
            let one = KVCache(configuration: llm.configuration, capacity: capacity)
            let a = KVCache(configuration: llm.configuration, capacity: capacity)
            let b = KVCache(configuration: llm.configuration, capacity: capacity)
            var lone = try llm.prefill(prompt, cache: one)
            var la = try llm.prefill(prompt, cache: a)
            if sharingPrompt { b.sharePrefix(of: a, count: prompt.count - 1) }
            var lb = try llm.prefill(Array(prompt[b.count...]), cache: b)
            var ratios: [Double] = []
            for _ in 0..<genTokens {
                var t = Date()
                lone = try llm.decode([(Sampler.argmax(lone), one)])[0]
                let single = Date().timeIntervalSince(t)
                t = Date()
                let out = try llm.decode([(Sampler.argmax(la), a), (Sampler.argmax(lb), b)])
                ratios.append(Date().timeIntervalSince(t) / single)
                la = out[0]; lb = out[1]
            }
            return ratios
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

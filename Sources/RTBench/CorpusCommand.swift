import ArgumentParser
import Engine
import ModelStore
import Foundation

extension RTBenchCommand {
    struct CorpusCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "corpus",
            abstract: "Write the built-in spoken questions (WAV plus transcript) for `rtbench run`.",
            discussion: """
                \(Corpus.questions.count) everyday questions, spoken by the project's Piper voice and \
                espeak-ng voices in turn (question i by voice i mod the number of voices, or by \
                every voice with --every-voice). Each NN-voice.wav has its words in NN-voice.txt. \
                A voice is `piper` (the voice installed by `realtime-daemon models fetch`), a \
                Piper .onnx path, or espeak:VOICE (`espeak-ng --voices` lists them), with @SPEED \
                after it to speak faster or slower (piper@1.2, espeak:en-us@0.85).

                With --turn-taking it writes the turn-taking corpus instead: \
                \(TurnTakingCorpus.complete.count) complete questions and statements (NN-voice.wav), \
                and \(TurnTakingCorpus.paused.count) unfinished ones with a pause of \
                \(TurnTakingCorpus.pauses.map(String.init).joined(separator: ", ")) ms inside \
                (NN-pauseMS-voice.wav), spoken at several speeds. `rtbench run` reports how many \
                turns the server ended before their last word (cut_early).
                """
        )

        @Option(help: "Directory to write into (created if missing).") var out: String
        @Option(help: "Voices, comma-separated.") var voices = Corpus.defaultVoices.joined(separator: ",")
        @Flag(help: "Every voice speaks every question.") var everyVoice = false
        @Flag(help: "Write the turn-taking corpus (complete utterances, and unfinished ones with pauses inside).") var turnTaking = false
        @Option(help: "A text file with one question per line instead of the built-in ones.") var questions: String?
        @Option(help: "Only the first N questions.") var count: Int?
        @Option(help: "Where the models are (default: $RTD_MODELS_DIR, else ~/.local/share/realtime-daemon/models).")
        var modelsDirectory: String?

        /// The turn-taking corpus's voices when none are named: each voice at a few speeds.
        static let turnTakingVoices = ["piper", "espeak:en-us@0.85", "espeak:en-gb-x-rp", "piper@1.2", "espeak:en-us+f3@1.15", "piper@0.85"]

        func run() throws {
            BLASStartup.ensureSuitableKernels()  // the voice's products need the right kernels
            if turnTaking {
                let names = voices == Corpus.defaultVoices.joined(separator: ",") ? Self.turnTakingVoices
                    : voices.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
                guard !names.isEmpty else { throw ValidationError("--voices names no voice") }
                let models = modelsDirectory.map { URL(fileURLWithPath: $0) } ?? ModelStore.defaultDirectory()
                let files = try TurnTakingCorpus.write(voices: names, to: URL(fileURLWithPath: out), modelsDirectory: models) { progress($0) }
                print("wrote \(files.count) utterances to \(out)")
                return
            }
            var texts = Corpus.questions
            if let questions {
                guard let content = try? String(contentsOfFile: questions, encoding: .utf8) else {
                    throw ValidationError("cannot read \(questions)")
                }
                texts = content.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            }
            if let count { texts = Array(texts.prefix(max(0, count))) }
            guard !texts.isEmpty else { throw ValidationError("no questions to speak") }
            let names = voices.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            guard !names.isEmpty else { throw ValidationError("--voices names no voice") }
            let models = modelsDirectory.map { URL(fileURLWithPath: $0) } ?? ModelStore.defaultDirectory()
            let files = try Corpus.write(questions: texts, voices: names, everyVoice: everyVoice, to: URL(fileURLWithPath: out),
                                         modelsDirectory: models) { progress($0) }
            print("wrote \(files.count) utterances to \(out)")
        }
    }
}

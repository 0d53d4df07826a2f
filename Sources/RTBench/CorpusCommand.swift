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
                Piper .onnx path, or espeak:VOICE (`espeak-ng --voices` lists them).
                """
        )

        @Option(help: "Directory to write into (created if missing).") var out: String
        @Option(help: "Voices, comma-separated.") var voices = Corpus.defaultVoices.joined(separator: ",")
        @Flag(help: "Every voice speaks every question.") var everyVoice = false
        @Option(help: "A text file with one question per line instead of the built-in ones.") var questions: String?
        @Option(help: "Only the first N questions.") var count: Int?
        @Option(help: "Where the models are (default: $RTD_MODELS_DIR, else ~/.local/share/realtime-daemon/models).")
        var modelsDirectory: String?

        func run() throws {
            BLASStartup.ensureSuitableKernels()  // the voice's products need the right kernels
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

import ArgumentParser
import AudioIO
import Engine
import Foundation
import ModelStore
import TTS

extension RTBenchCommand {
    struct Accuracy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "How often the replies are right, per reasoning mode, after Big Bench Audio's speech-to-speech format.",
            discussion: """
                Questions with checkable answers (arithmetic, facts, yes/no, a choice between two, \
                short reasoning) are spoken by the installed Piper voice at each --speeds and sent to \
                --url like a microphone's audio, one new session per question; the reply's transcript \
                is scored against the accepted answers (number words read as numbers). Each mode is \
                also asked every question as text (conversation.item.create), so that the reply \
                follows the truth transcript: recognition errors and reasoning errors are told apart. \
                The same model on its own (the reasoner's GGUF in this process, its chat template, \
                greedy, no system prompt) answers the text too, as the bar: a pipeline should not \
                make the model's answers worse. The first-packet latency of the spoken turns is in \
                the same report.

                The set has a tuning split (for changing prompts and settings) and a held-out split \
                (reported): --split held_out is the default.
                """
        )

        @Option(help: "The server's realtime endpoint.") var url = "ws://127.0.0.1:8765/v1/realtime"
        @Option(help: "Bearer token (default: $RTBENCH_TOKEN).") var token: String?
        @Option(help: "Reasoning modes, comma-separated.") var mode = "speak_first,think_first,think_before_speaking"
        @Option(help: "tuning, held_out or all.") var split = "held_out"
        @Option(help: "Only the first N questions of the split (a quick look; the figures are the whole split's).") var count: Int?
        @Option(help: "Speaking speeds of the Piper voice, comma-separated (1 = the voice's own).") var speeds = "1,1.25"
        @Flag(help: "Only the text questions (truth transcripts) and the bare model, no audio.") var textOnly = false
        @Flag(help: "Do not run the bare model in this process (for a remote server with another model).") var noBareModel = false
        @Option(help: "Name of the server configuration in the report.") var label = "embedded"
        @Option(help: "Instructions (system prompt) sent in session.update (default: the server's).") var instructions: String?
        @Option(help: "Where the models are (default: $RTD_MODELS_DIR, else ~/.local/share/realtime-daemon/models).")
        var modelsDirectory: String?
        @Option(help: "Seconds a turn may take from the end of speech to response.done.") var turnTimeout = 60.0
        @Option(help: "Write every question's replies and scores as JSON.") var json: String?
        @Option(help: "Score the replies of a saved report again (with this version's answer keys) and print its table; nothing is asked.")
        var rescore: String?

        var modes: [String] { mode.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
        var speedValues: [Double] { speeds.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) } }

        func validate() throws {
            for m in modes where ReplyMode(rawValue: m) == nil {
                throw ValidationError("unknown mode \(m); use speak_first, think_first or think_before_speaking")
            }
            guard ["tuning", "held_out", "all"].contains(split) else { throw ValidationError("--split must be tuning, held_out or all") }
            if let count, count < 1 { throw ValidationError("--count must be at least 1") }
            guard !speedValues.isEmpty, speedValues.allSatisfy({ $0 >= 0.5 && $0 <= 2 }) else {
                throw ValidationError("--speeds must be numbers between 0.5 and 2, such as 1,1.25")
            }
            guard URL(string: url)?.scheme.map({ ["ws", "wss"].contains($0) }) == true else {
                throw ValidationError("--url must be a ws:// or wss:// URL")
            }
        }

        func run() async throws {
            if let rescore {
                var report = try AccuracyReport.load(rescore)
                report.rescore()
                print(report.table())
                if let json { try report.json().write(to: URL(fileURLWithPath: json)) }
                return
            }
            BLASStartup.ensureSuitableKernels()
            var questions = AccuracyQuestion.builtIn.filter { split == "all" || $0.split.rawValue == split }
            if let count { questions = Array(questions.prefix(count)) }
            let models = modelsDirectory.map { URL(fileURLWithPath: $0) } ?? ModelStore.defaultDirectory()
            var report = AccuracyReport(label: label, split: split, questions: questions)

            if !noBareModel {
                progress("# bare model: \(questions.count) questions as text")
                let bare = try BareModel(modelsDirectory: models)
                for q in questions {
                    let answer = try bare.answer(q.text)
                    report.bare.append(.init(question: q.text, reply: answer, right: AnswerScore.isRight(answer, q)))
                }
            }
            let spoken = textOnly ? [] : try SpokenQuestions.make(questions, speeds: speedValues, modelsDirectory: models)
            for mode in modes {
                var settings = RunSettings(url: url, token: token ?? ProcessInfo.processInfo.environment["RTBENCH_TOKEN"])
                settings.mode = mode
                settings.instructions = instructions
                settings.turnTimeout = turnTimeout
                settings.trailingSilence = 1.0
                settings.pauseBetweenTurns = 0
                var result = AccuracyReport.ModeResult(mode: mode)
                progress("# \(label)/\(mode): \(questions.count) questions as text (truth transcripts)")
                for q in questions {
                    let reply = try await TextTurn(settings: settings).ask(q.text)
                    result.truth.append(.init(question: q.text, reply: reply.answer, right: AnswerScore.isRight(reply.answer, q), reasoning: reply.reasoning))
                }
                if !spoken.isEmpty { progress("# \(label)/\(mode): \(spoken.count) spoken questions") }
                for s in spoken {
                    let recorder = TurnRecorder(configuration: "\(label)/\(mode)", origin: .now)
                    let records = await SessionDriver(settings: settings, utterances: [s.utterance], recorder: recorder) { _ in }.run()
                    let events = records.first?.events ?? []
                    let answer = events.last { $0.kind == .answerText }?.detail ?? ""
                    let heard = events.last { $0.kind == .finalTranscript }?.detail ?? ""
                    let metrics = records.first.map(TurnMetrics.init)
                    result.spoken.append(.init(question: s.question.text, reply: answer, right: AnswerScore.isRight(answer, s.question),
                                               heard: heard, heardRight: AnswerScore.normalize(heard) == AnswerScore.normalize(s.question.text),
                                               speed: s.speed, firstPacketMs: metrics?.firstPacketMs, metrics: metrics))
                }
                report.modes.append(result)
            }
            print(report.table())
            if let json { try report.json().write(to: URL(fileURLWithPath: json)) }
        }
    }
}

/// The questions spoken by the Piper voice at several speeds, at the wire's rate.
struct SpokenQuestions {
    var question: AccuracyQuestion
    var speed: Double
    var utterance: Utterance

    static func make(_ questions: [AccuracyQuestion], speeds: [Double], modelsDirectory: URL) throws -> [SpokenQuestions] {
        guard let voice = try Corpus.voice("piper", modelsDirectory: modelsDirectory) as? PiperVoice else { return [] }
        let natural = voice.scales.length
        var made: [SpokenQuestions] = []
        for speed in speeds {
            voice.scales.length = natural / Float(speed)
            for (i, q) in questions.enumerated() {
                let audio = [Float](repeating: 0, count: voice.sampleRate / 5) + (try voice.synthesize(q.text, cancellation: nil))
                let samples = try Resampler.resample(audio, from: voice.sampleRate, to: RunSettings.WireFormat.pcm.sampleRate)
                made.append(.init(question: q, speed: speed,
                                  utterance: Utterance(name: String(format: "q%02d@%g", i + 1, speed), text: q.text, samples: samples,
                                                       sampleRate: RunSettings.WireFormat.pcm.sampleRate)))
            }
        }
        return made
    }
}

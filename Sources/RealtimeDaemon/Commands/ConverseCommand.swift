import ArgumentParser
import Engine
import Foundation
import AudioIO
import Streaming

struct ConverseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "converse",
        abstract: "One spoken turn through the whole pipeline: question audio in, spoken reply out.",
        discussion: """
            The question is fed to a session exactly as a client's microphone would feed it: in \
            20 ms frames at real-time pace, then silence until the server's turn detection ends \
            the turn. The session transcribes while the question plays, thinks and speaks as the \
            chosen mode says, and the reply's audio is written to --out. Prints the transcript, \
            the reasoning, the answer and the timings (ms from the end of the turn).
            """
    )

    @OptionGroup var options: GlobalOptions
    @Option(name: .customLong("in"), help: ArgumentHelp("The question: a WAV, FLAC or Ogg file (any rate, mono or stereo).", valueName: "file"))
    var input: String
    @Option(help: ArgumentHelp("Where to write the reply (WAV, 24 kHz).", valueName: "file")) var out: String
    @Option(help: "speak_first, think_first or think_before_speaking (default: reply.mode).") var mode: String?
    @Option(help: "Feed the question this many times faster than real time (1 = a person speaking).") var pace: Double = 1
    @Flag(help: "Print one JSON object.") var json = false

    func validate() throws {
        if let mode, ReplyMode(rawValue: mode) == nil {
            throw ValidationError("--mode must be speak_first, think_first or think_before_speaking (got \(mode))")
        }
        guard pace >= 1, pace <= 100 else { throw ValidationError("--pace must be between 1 and 100") }
    }

    func run() throws {
        let (_, config) = try options.resolve()
        let logger = LogSetup.bootstrap(level: config.logLevel)
        let question = try AudioFile.read(path: input, sampleRate: 24_000)
        let mono = question.samples
        let services = try ModelSet.load(config, logger: logger)
        var defaults = config.sessionDefaults
        if let mode { defaults.reply.mode = ReplyMode(rawValue: mode) ?? defaults.reply.mode }

        let result = SpokenTurn.run(question: mono, services: services, configuration: defaults, pace: pace)
        try AudioFile.write(result.reply, sampleRate: 24_000, to: out)
        guard let done = result.done else { throw ValidationError("no reply within 60 s of the question (errors: \(result.errors))") }
        let timings = done.timingsMs
        if json {
            try JSONLine.print([
                "transcript": result.transcript, "reasoning": result.reasoning, "answer": result.answer,
                "status": done.status.rawValue, "mode": defaults.reply.mode.rawValue,
                "reply_seconds": Double(result.reply.count) / 24_000, "timings_ms": timings,
                "errors": result.errors,
            ])
        } else {
            print("transcript: \(result.transcript)")
            print("reasoning:  \(result.reasoning.trimmingCharacters(in: .whitespacesAndNewlines))")
            print("answer:     \(result.answer.trimmingCharacters(in: .whitespacesAndNewlines))")
            let ordered = ["transcript_final", "first_reasoning_token", "first_answer_token", "first_audio", "done"]
            print("timings:    " + ordered.compactMap { key in timings[key].map { "\(key) \(Int($0)) ms" } }.joined(separator: ", "))
            print("reply:      \(String(format: "%.2f", Double(result.reply.count) / 24_000)) s of audio written to \(out)")
        }
    }
}

import ArgumentParser
import Engine
import Foundation
import Logging
import Streaming

struct TranscribeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transcribe",
        abstract: "Transcribe audio files with the recogniser (a CTranslate2 Whisper model).",
        discussion: """
            Any format and sample rate libsndfile reads (WAV, FLAC, Ogg); stereo is mixed down. \
            Each file is encoded on a window sized to its audio (at least --min-window seconds) \
            instead of always 30 s; longer files are cut at quiet moments into 30 s windows. \
            With --stream the file is fed at real-time pace to the streaming transcriber and \
            its partial hypotheses are printed as they come, with the time from the last sample \
            to the final transcript.
            """
    )

    @OptionGroup var options: GlobalOptions
    @Argument(help: ArgumentHelp("Audio files.", valueName: "file")) var files: [String]
    @Option(help: ArgumentHelp("CTranslate2 Whisper model directory (default: the installed recogniser).", valueName: "dir")) var model: String?
    @Option(help: "Language code, or `auto` to detect it.") var language = "en"
    @Option(help: "Smallest encoder window in seconds (30 is stock Whisper).") var minWindow: Double = 10
    @Option(help: "Compute threads (default: engine.threads).") var threads: Int?
    @Flag(help: "Print one JSON object per file: file, text, audio_s, seconds.") var json = false
    @Flag(help: "Feed each file at real-time pace to the streaming transcriber and print timed partials.") var stream = false

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("give at least one audio file") }
        guard (1...30).contains(minWindow) else { throw ValidationError("--min-window must be between 1 and 30 seconds") }
    }

    func run() throws {
        let (_, config) = try options.resolve()
        let logger = LogSetup.bootstrap(level: config.logLevel)
        let directory: String
        if let model {
            directory = model
        } else {
            let store = ModelStore(directory: config.modelsDirectory)
            try store.require(.recognizer)
            directory = store.path(role: .recognizer, endingWith: "model.bin")?.deletingLastPathComponent().path ?? ""
        }
        let whisper = try WhisperModel(directory: directory, threads: threads ?? config.engineThreads)
        var transcriberOptions = WhisperTranscriber.Options()
        transcriberOptions.language = language == "auto" ? nil : language
        transcriberOptions.minimumWindow = minWindow
        let transcriber = WhisperTranscriber(model: whisper, options: transcriberOptions)
        var failures = 0
        for file in files {
            do {
                let audio = try AudioFile.read(path: file, sampleRate: LogMelSpectrogram.sampleRate)
                let started = ContinuousClock.now
                let transcript = try transcriber.transcribeLong(audio.samples)
                let seconds = (ContinuousClock.now - started).seconds
                if json {
                    let object: [String: Any] = ["file": file, "text": transcript.text, "audio_s": round3(transcript.audioSeconds), "seconds": round3(seconds)]
                    let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
                    print(String(decoding: data, as: UTF8.self))
                } else {
                    logger.debug("transcribed", metadata: [
                        "file": "\(file)", "window_s": "\(Double(transcript.windowFrames) / 100)",
                        "encode_ms": "\(Int(transcript.encodeSeconds * 1000))", "decode_ms": "\(Int(transcript.decodeSeconds * 1000))",
                        "tokens": "\(transcript.decodedTokens)", "no_speech": "\(transcript.noSpeechProbability)",
                        "avg_logprob": "\(transcript.averageLogProbability)",
                    ])
                    print(files.count > 1 ? "\(file): \(transcript.text)" : transcript.text)
                }
            } catch {
                failures += 1
                FileHandle.standardError.write(Data("error: \(file): \(error)\n".utf8))
            }
        }
        if failures > 0 { throw ExitCode(1) }
    }

    private func round3(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }
}


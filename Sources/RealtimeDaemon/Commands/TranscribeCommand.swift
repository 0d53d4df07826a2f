import ArgumentParser
import Engine
import ModelStore
import Foundation
import Logging
import Synchronization
import AudioIO
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
    @Option(help: "Smallest encoder window in seconds (30 is stock Whisper).") var minWindow: Double = 7
    @Option(help: "Compute threads (default: engine.threads).") var threads: Int?
    @Flag(help: "Print one JSON object per file: file, text, audio_s, seconds (with --stream: final_latency_s, partials, skipped_steps).") var json = false
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
            directory = store.directory(of: .recognizer)?.path ?? ""
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
                if stream {
                    try streamFile(file, samples: audio.samples, transcriber: transcriber)
                    continue
                }
                let started = ContinuousClock.now
                let transcript = try transcriber.transcribeLong(audio.samples)
                let seconds = (ContinuousClock.now - started).seconds
                if json {
                    let object: [String: Any] = ["file": file, "text": transcript.text, "audio_s": round3(transcript.audioSeconds), "seconds": round3(seconds)]
                    try JSONLine.print(object)
                } else {
                    logger.debug("transcribed", metadata: [
                        "file": "\(file)", "language": "\(transcript.language)", "window_s": "\(Double(transcript.windowFrames) / 100)",
                        "encode_ms": "\(Int(transcript.encodeSeconds * 1000))", "decode_ms": "\(Int(transcript.decodeSeconds * 1000))",
                        "tokens": "\(transcript.decodedTokens)", "no_speech": "\(transcript.noSpeechProbability)",
                        "avg_logprob": "\(transcript.averageLogProbability)", "stopped_loop": "\(transcript.stoppedLoop)",
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

    /// Feeds `samples` in 20 ms chunks at real-time pace, printing each partial hypothesis with
    /// the time since the first sample; then ends the utterance and reports how long the final
    /// transcript took after the last sample.
    private func streamFile(_ file: String, samples: [Float], transcriber: WhisperTranscriber) throws {
        let clock = ContinuousClock()
        let start = clock.now
        let printPartials = !json
        let partials = Mutex(0)
        let streaming = StreamingTranscriber(transcriber: transcriber) { hypothesis in
            partials.withLock { $0 += 1 }
            guard printPartials, !hypothesis.isFinal else { return }
            let at = (ContinuousClock.now - start).seconds
            print(String(format: "[%6.2f s] %@ | %@", at, hypothesis.confirmedText, hypothesis.tentativeText))
        }
        defer { streaming.close() }
        let chunk = LogMelSpectrogram.sampleRate / 50
        var offset = 0
        while offset < samples.count {
            let end = min(samples.count, offset + chunk)
            streaming.append(Array(samples[offset..<end]))
            offset = end
            // Real-time pace against the clock, so slow appends do not accumulate drift.
            let due = start + .microseconds(Int64(Double(offset) / Double(LogMelSpectrogram.sampleRate) * 1e6))
            if due > clock.now { Thread.sleep(forTimeInterval: (due - clock.now).seconds) }
        }
        let lastSample = clock.now
        let done = DispatchSemaphore(value: 0)
        let outcome = Mutex<Result<Transcript, EngineError>?>(nil)
        streaming.finish { result in
            outcome.withLock { $0 = result }
            done.signal()
        }
        done.wait()
        let latency = (clock.now - lastSample).seconds
        let transcript = try outcome.withLock { $0! }.get()
        if json {
            let object: [String: Any] = [
                "file": file, "text": transcript.text, "audio_s": round3(transcript.audioSeconds),
                "final_latency_s": round3(latency), "partials": partials.withLock { $0 }, "skipped_steps": streaming.skippedSteps,
            ]
            try JSONLine.print(object)
        } else {
            print(String(format: "[%6.2f s] final (%.0f ms after the last sample): %@", (clock.now - start).seconds, latency * 1000, transcript.text))
        }
    }
}


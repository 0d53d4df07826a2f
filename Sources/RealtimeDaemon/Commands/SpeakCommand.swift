import ArgumentParser
import Engine
import ModelStore
import Foundation
import Logging
import AudioIO
import Streaming
import Synchronization
import TTS

struct SpeakCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "speak",
        abstract: "Say text with the voice (a Piper VITS voice, or espeak-ng's own).",
        discussion: """
            The text is normalised (numbers with units, currency, abbreviations, symbols, URLs), \
            cut into clauses and synthesised clause by clause, as replies are spoken. Without \
            --out the audio plays on the configured ALSA device. --voice takes a Piper .onnx \
            (with its .onnx.json beside it) or espeak:VOICE (e.g. espeak:en-us); the default is \
            the installed Piper voice, else espeak-ng.
            """
    )

    @OptionGroup var options: GlobalOptions
    @Argument(help: "The text to say (`-` reads standard input).") var text: String
    @Option(help: ArgumentHelp("A Piper .onnx voice, or espeak:VOICE.", valueName: "path")) var voice: String?
    @Option(help: ArgumentHelp("Write a WAV (or FLAC/Ogg by extension) instead of playing.", valueName: "file")) var out: String?
    @Option(help: "Output sample rate: 22050, 24000 or 48000 (default: the voice's own, or the device's).") var rate: Int?
    @Option(help: "Phoneme duration multiplier (> 1 is slower; default: the voice's).") var lengthScale: Float?
    @Flag(help: "No randomness (noise scales 0): the same text always gives the same audio.") var deterministic = false
    @Option(help: "Compute threads (default: engine.threads).") var threads: Int?
    @Flag(help: "Print one JSON object: samples, seconds, real_time_factor, first_chunk_ms, chunks, voice, sample_rate.") var json = false

    func validate() throws {
        if let rate, ![22_050, 24_000, 48_000].contains(rate) { throw ValidationError("--rate must be 22050, 24000 or 48000") }
        if let lengthScale, !(0.2...5).contains(lengthScale) { throw ValidationError("--length-scale must be between 0.2 and 5") }
    }

    func run() throws {
        let (_, config) = try options.resolve()
        let logger = LogSetup.bootstrap(level: config.logLevel)
        let input = text == "-" ? String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self) : text
        let speechVoice = try VoiceLoader.load(voice, config: config, threads: threads ?? config.engineThreads, logger: logger)
        if let piper = speechVoice as? PiperVoice {
            if let lengthScale { piper.scales.length = lengthScale }
            if deterministic { piper.scales.noise = 0; piper.scales.noiseW = 0 }
        }
        // As the daemon does at start-up: the timings below are those of a warm voice.
        speechVoice.warmUp()
        var playback: AlsaPlayback?
        var outputRate = rate ?? speechVoice.sampleRate
        if out == nil {
            var device = config.playback
            if let rate { device.sampleRate = rate }
            let alsa = try AlsaPlayback(device)
            outputRate = alsa.sampleRate
            alsa.start()
            playback = alsa
        }
        let player = playback
        let collected = Mutex<(samples: [Float], chunks: Int, first: Double?)>(([], 0, nil))
        let started = ContinuousClock.now
        let speech = try StreamingSpeech(voice: speechVoice, outputRate: outputRate) { chunk in
            let at = (ContinuousClock.now - started).seconds
            collected.withLock { c in
                c.samples += chunk.samples
                if !chunk.text.isEmpty { c.chunks += 1 }
                if c.first == nil { c.first = at }
            }
            if let player { _ = player.ring.write(chunk.samples) }
            logger.debug("chunk", metadata: ["index": "\(chunk.index)", "text": "\(chunk.text)", "ms": "\(Int(chunk.synthesisSeconds * 1000))"])
        }
        speech.say(input)
        if let failure = speech.waitUntilDone() { throw failure }
        let elapsed = (ContinuousClock.now - started).seconds
        speech.close()
        let result = collected.withLock { $0 }
        if let out {
            try AudioFile.write(result.samples, sampleRate: outputRate, to: out)
        }
        if let playback {
            while playback.ring.availableToRead > 0 || playback.isPlaying { Thread.sleep(forTimeInterval: 0.02) }
            playback.stop()
        }
        let seconds = Double(result.samples.count) / Double(outputRate)
        if json {
            let object: [String: Any] = [
                "samples": result.samples.count, "seconds": (seconds * 1000).rounded() / 1000,
                "real_time_factor": seconds > 0 ? (elapsed / seconds * 10000).rounded() / 10000 : 0,
                "first_chunk_ms": ((result.first ?? 0) * 10000).rounded() / 10, "chunks": result.chunks,
                "voice": speechVoice.name, "sample_rate": outputRate,
            ]
            try JSONLine.print(object)
        }
    }
}

/// Chooses the voice: an explicit Piper .onnx or espeak:VOICE, else the installed Piper voice,
/// else espeak-ng (with a notice saying how to install the better one).
enum VoiceLoader {
    static func load(_ choice: String?, config: DaemonConfiguration, threads: Int, logger: Logger) throws -> SpeechVoice {
        if let choice, choice.hasPrefix("espeak:") {
            return try EspeakVoice(voice: String(choice.dropFirst("espeak:".count)))
        }
        if let choice { return try PiperVoice(onnxPath: choice, threads: threads) }
        let store = ModelStore(directory: config.modelsDirectory)
        if let onnx = store.path(role: .voice, endingWith: ".onnx"), FileManager.default.fileExists(atPath: onnx.path) {
            return try PiperVoice(onnxPath: onnx.path, threads: threads)
        }
        logger.notice("no Piper voice installed; speaking with espeak-ng (run `realtime-daemon models fetch` for the natural voice)")
        return try EspeakVoice()
    }
}

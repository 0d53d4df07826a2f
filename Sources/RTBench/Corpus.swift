import Engine
import ModelStore
import Foundation
import AudioIO
import TTS

/// The built-in benchmark corpus: everyday questions of the kind a voice assistant hears,
/// short and long, spoken by the project's Piper voice and espeak-ng voices so that a new user
/// can run a benchmark with one command and no recordings of their own.
enum Corpus {
    static let questions = [
        "What is the capital of France?",
        "Can you tell me a fun fact about the moon?",
        "How many legs does a spider have?",
        "What should I cook for dinner tonight?",
        "Why is the sky blue?",
        "What time is it in Tokyo when it is noon in London?",
        "Could you explain how a rainbow forms?",
        "What is the tallest mountain in the world?",
        "How do bees make honey?",
        "Give me a good name for a black cat.",
        "What is two plus two?",
        "Which planet is closest to the sun?",
        "How long does it take to boil an egg?",
        "What is the largest ocean on Earth?",
        "Can you recommend a book for a long train ride?",
        "Why do leaves change colour in autumn?",
        "How far away is the moon?",
        "What language do people speak in Brazil?",
        "How can I fall asleep faster?",
        "What is the opposite of cold?",
        "Tell me a short joke about computers.",
        "Where do penguins live?",
    ]

    /// The voices used when none are named: the installed Piper voice, then espeak-ng in American,
    /// British (RP) and a female American variant.
    static let defaultVoices = ["piper", "espeak:en-us", "espeak:en-gb-x-rp", "espeak:en-us+f3"]

    /// Loads a voice by its corpus name: `piper` (the installed voice), a Piper `.onnx` path,
    /// or `espeak:VOICE`; `@SPEED` after the name speaks faster (above 1) or slower (below 1).
    static func voice(_ spec: String, modelsDirectory: URL) throws -> SpeechVoice {
        let parts = spec.split(separator: "@", maxSplits: 1).map(String.init)
        let name = parts[0]
        guard let speed = parts.count > 1 ? Double(parts[1]) : 1, speed >= 0.5, speed <= 2 else {
            throw UtteranceError("\(spec): the speed after @ must be a number from 0.5 to 2")
        }
        if name.hasPrefix("espeak:") {
            return try EspeakVoice(voice: String(name.dropFirst("espeak:".count)), rate: Int((170 * speed).rounded()))
        }
        var onnx = URL(fileURLWithPath: name)
        if name == "piper" {
            let store = ModelStore(directory: modelsDirectory)
            guard let installed = store.path(role: .voice, endingWith: ".onnx"), FileManager.default.fileExists(atPath: installed.path) else {
                throw UtteranceError("the Piper voice is not installed in \(modelsDirectory.path) (run `realtime-daemon models fetch`, or pass espeak voices only)")
            }
            onnx = installed
        }
        let piper = try PiperVoice(onnxPath: onnx.path)
        piper.scales.length /= Float(speed)
        return piper
    }

    /// A file-name-safe short name of a voice.
    static func tag(_ voice: String) -> String {
        let base = voice.hasSuffix(".onnx") ? URL(fileURLWithPath: voice).deletingPathExtension().lastPathComponent : voice
        return String(base.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "-" })
    }

    /// Writes `NN-voice.wav` and `NN-voice.txt` (the words) into `directory` for each question.
    /// Question i is spoken by voice i mod the number of voices, or by every voice when
    /// `everyVoice` is set. Returns the audio files written.
    static func write(questions: [String], voices: [String], everyVoice: Bool, to directory: URL, modelsDirectory: URL,
                      progress: (String) -> Void) throws -> [URL] {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var loaded: [String: SpeechVoice] = [:]
        var written: [URL] = []
        for (i, question) in questions.enumerated() {
            let speakers = everyVoice ? voices : [voices[i % voices.count]]
            for name in speakers {
                if loaded[name] == nil { loaded[name] = try voice(name, modelsDirectory: modelsDirectory) }
                let speaker = loaded[name]!
                let audio = try speaker.synthesize(question, cancellation: nil)
                written.append(try save(audio, rate: speaker.sampleRate, text: question, stem: String(format: "%02d-", i + 1) + tag(name),
                                        in: directory, progress: progress))
            }
        }
        return written
    }

    /// Writes one utterance as `stem.wav`, with a little silence before the speech as a
    /// microphone would have, and its words as `stem.txt`; returns the audio file.
    static func save(_ audio: [Float], rate: Int, text: String, stem: String, in directory: URL, progress: (String) -> Void) throws -> URL {
        let padded = [Float](repeating: 0, count: rate / 5) + audio
        let wav = directory.appendingPathComponent(stem + ".wav")
        try AudioFile.write(padded, sampleRate: rate, to: wav.path)
        try (text + "\n").write(to: directory.appendingPathComponent(stem + ".txt"), atomically: true, encoding: .utf8)
        progress("\(wav.lastPathComponent)  \(String(format: "%.1f", Double(padded.count) / Double(rate))) s  \(text)")
        return wav
    }
}

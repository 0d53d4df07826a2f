import AudioIO
import Foundation
import TTS

/// The corpus that measures turn-taking from both sides: complete questions and statements,
/// which should be answered as soon as they end, and unfinished ones with a pause inside (after
/// "and", "because", "the", mid-list, a trailing "um"), which must not be answered at the pause.
///
/// Complete utterances are written as `NN-voice.wav`; paused ones as `NN-pauseMS-voice.wav`, the
/// pause being digital silence of exactly MS milliseconds between the two halves (each trimmed
/// of the voice's own leading and trailing silence). rtbench counts a turn whose end the server
/// declared before the last word as cut early (`cut_early`), and reports it by kind.
enum TurnTakingCorpus {
    static let complete = [
        "What is the capital of France?",
        "How many legs does a spider have?",
        "Why is the sky blue?",
        "What is the tallest mountain in the world?",
        "How do bees make honey?",
        "Which planet is closest to the sun?",
        "How far away is the moon?",
        "What language do people speak in Brazil?",
        "Where do penguins live?",
        "What is the opposite of cold?",
        "Can you recommend a book for a long train ride?",
        "How long does it take to boil an egg?",
        "Tell me a short joke about computers.",
        "I would like to hear a fun fact about octopuses.",
        "Give me a good name for a black cat.",
        "I am planning a trip to Italy next summer.",
        "My favourite colour is green.",
        "Explain how a rainbow forms.",
        "I just finished reading a great book.",
        "Remind me what the opposite of hot is.",
    ]

    /// Unfinished utterances: what is said before the pause, and after it.
    static let paused: [(before: String, after: String)] = [
        ("I was wondering", "what the tallest mountain in the world is."),
        ("Can you tell me about the moon and", "why it has phases?"),
        ("I need to buy eggs, milk,", "and some bread."),
        ("I want to know the", "capital of Italy."),
        ("Tell me a joke because", "I am bored."),
        ("My favourite animal is, um", "the octopus. Do you know why?"),
        ("How far is it from Paris to", "Berlin?"),
        ("Which is bigger, the sun or", "the moon?"),
    ]

    /// Pauses inside the unfinished utterances, ms.
    static let pauses = [400, 700, 1_000]

    /// Writes the corpus into `directory`; utterance i is spoken by voice i mod the number of
    /// voices. Returns the audio files written.
    static func write(voices: [String], to directory: URL, modelsDirectory: URL, progress: (String) -> Void) throws -> [URL] {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var loaded: [String: SpeechVoice] = [:]
        func speaker(_ index: Int) throws -> SpeechVoice {
            let name = voices[index % voices.count]
            if let voice = loaded[name] { return voice }
            let voice = try Corpus.voice(name, modelsDirectory: modelsDirectory)
            loaded[name] = voice
            return voice
        }
        var written: [URL] = []
        func save(_ audio: [Float], rate: Int, text: String, stem: String) throws {
            written.append(try Corpus.save(audio, rate: rate, text: text, stem: stem, in: directory, progress: progress))
        }
        for (i, text) in complete.enumerated() {
            let voice = try speaker(i)
            try save(trimmed(try voice.synthesize(text, cancellation: nil)), rate: voice.sampleRate, text: text,
                     stem: String(format: "%02d-", i + 1) + Corpus.tag(voices[i % voices.count]))
        }
        var index = complete.count
        for pause in pauses {
            for (before, after) in paused {
                let voice = try speaker(index)
                let first = trimmed(try voice.synthesize(before, cancellation: nil))
                let second = trimmed(try voice.synthesize(after, cancellation: nil))
                let gap = [Float](repeating: 0, count: voice.sampleRate * pause / 1000)
                try save(first + gap + second, rate: voice.sampleRate, text: before + " " + after,
                         stem: String(format: "%02d-pause%d-", index + 1, pause) + Corpus.tag(voices[index % voices.count]))
                index += 1
            }
        }
        return written
    }

    /// `audio` without the voice's silence before the first and after the last sound.
    static func trimmed(_ audio: [Float]) -> [Float] {
        guard let first = audio.firstIndex(where: { abs($0) > Utterance.speechThreshold }),
              let last = audio.lastIndex(where: { abs($0) > Utterance.speechThreshold }) else { return audio }
        return Array(audio[first...last])
    }

    /// Whether an utterance of this corpus has a pause inside (by its file name).
    static func isPaused(_ utterance: String) -> Bool { utterance.contains("-pause") }
}

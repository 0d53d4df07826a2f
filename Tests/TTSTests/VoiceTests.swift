import Engine
import ModelStore
import Foundation
import AudioIO
import Streaming
import Synchronization
import TTS
import Testing

/// The voice as a user meets it: intelligible, streamed, cancellable, robust to odd text and
/// bad files.
@Suite(.serialized) struct VoiceTests {
    static let voice: PiperVoice? = try? PiperVoice(onnxPath: VoicePaths.onnx)
    static let whisper: WhisperTranscriber? = {
        let store = ModelStore(directory: ModelStore.defaultDirectory())
        guard let dir = store.directory(of: .recognizer)?.path,
              let model = try? WhisperModel(directory: dir) else { return nil }
        return WhisperTranscriber(model: model)
    }()

    func piper() throws -> PiperVoice { try #require(Self.voice, "the Piper voice did not load from \(VoicePaths.onnx)") }
    func recogniser() throws -> WhisperTranscriber { try #require(Self.whisper, "the Whisper model did not load") }

    static let sentences = [
        "What time does the next train to London leave?", "Please turn the volume down a little.",
        "I would like a cup of coffee with milk.", "The meeting starts at nine in the morning.",
        "Can you remind me to buy bread on the way home?", "It will rain tomorrow afternoon.",
        "My sister lives in a small town by the sea.", "How many days are there in a leap year?",
        "The children are playing in the garden.", "Open the door and let the cat in.",
        "We are going to the cinema tonight.", "She reads a book every week.",
        "Turn right after the bridge and park near the church.", "The soup is too hot to eat.",
        "Could you send me the report by Friday?", "The museum is closed on Mondays.",
        "He forgot his umbrella at the office.", "Let us take a short walk before dinner.",
        "The river flows slowly through the valley.", "Add two spoons of sugar to the mix.",
        "My phone battery is almost empty.", "The concert was louder than I expected.",
        "Please close the window, it is cold.", "They built a new school near the park.",
        "Water the plants twice a week in summer.", "The doctor will see you in ten minutes.",
        "I left my keys on the kitchen table.", "The bus was late again this morning.",
        "Our team won the game last night.", "Thank you very much for your help.",
    ]

    @Test func thirtySentencesAreIntelligibleToOurRecogniser() throws {
        let voice = try piper(), whisper = try recogniser()
        #expect(Self.sentences.count >= 30)
        var heard: [String] = []
        for sentence in Self.sentences {
            let audio = try voice.synthesize(sentence, cancellation: nil)
            let samples = try Resampler.resample(audio, from: voice.sampleRate, to: 16_000)
            heard.append(try whisper.transcribe(samples).text)
        }
        let rate = WordErrorRate.rate(references: Self.sentences, hypotheses: heard)
        print(String(format: "Piper voice → our Whisper on %d sentences: WER %.2f%%", Self.sentences.count, rate * 100))
        for (said, got) in zip(Self.sentences, heard) where WordErrorRate.rate(references: [said], hypotheses: [got]) > 0 {
            print("  said: \(said)\n  got:  \(got)")
        }
        #expect(rate <= 0.05)
    }

    @Test func espeakVoiceSpeaksToo() throws {
        let voice = try EspeakVoice(voice: "en-us")
        let whisper = try recogniser()
        let audio = try voice.synthesize("Please turn the volume down a little.", cancellation: nil)
        #expect(Double(audio.count) / Double(voice.sampleRate) > 1)
        let text = try whisper.transcribe(try Resampler.resample(audio, from: voice.sampleRate, to: 16_000)).text
        #expect(WordErrorRate.rate(references: ["Please turn the volume down a little."], hypotheses: [text]) <= 0.3, "heard: \(text)")
        #expect(throws: TTSError.self) { try EspeakVoice(voice: "no-such-voice") }
    }

    @Test func streamedTextComesOutClauseByClauseInOrder() throws {
        let voice = try piper()
        let chunks = Mutex<[SpeechChunk]>([])
        let speech = try StreamingSpeech(voice: voice, outputRate: 24_000) { chunk in chunks.withLock { $0.append(chunk) } }
        defer { speech.close() }
        let reply = "Sure, the train leaves at nine. It takes about two hours, so you will arrive before noon. Have a good trip!"
        // Fed like tokens from a model: a few characters at a time.
        var rest = Substring(reply)
        while !rest.isEmpty {
            speech.feed(String(rest.prefix(4)))
            rest = rest.dropFirst(4)
        }
        speech.finish()
        #expect(speech.waitUntilDone() == nil)
        let got = chunks.withLock { $0 }
        let clauses = got.map(\.text).filter { !$0.isEmpty }
        #expect(Set(clauses).count >= 3)
        #expect(got.allSatisfy { $0.sampleRate == 24_000 })
        #expect(got.map(\.index) == got.map(\.index).sorted())
        // Pieces join without a click: every clause starts and ends at (near) silence.
        for chunk in got where !chunk.samples.isEmpty && !chunk.text.isEmpty {
            #expect(abs(chunk.samples.first!) < 0.05)
        }
        let audio = got.flatMap(\.samples)
        let heard = try recogniser().transcribe(try Resampler.resample(audio, from: 24_000, to: 16_000)).text
        #expect(WordErrorRate.rate(references: [reply], hypotheses: [heard]) <= 0.15, "heard: \(heard)")
    }

    @Test func cancelStopsDeliveryAtOnceAndTheSpeechCanGoOn() throws {
        let voice = try piper()
        let delivered = Mutex(0)
        let speech = try StreamingSpeech(voice: voice) { _ in delivered.withLock { $0 += 1 } }
        defer { speech.close() }
        // 10,000 characters: minutes of speech. It starts, and stops when cancelled.
        let long = String(repeating: "This is a long reply that nobody wants to hear in full. ", count: 180).prefix(10_000)
        speech.feed(String(long))
        let started = ContinuousClock.now
        while delivered.withLock({ $0 }) == 0 && ContinuousClock.now - started < .seconds(20) { Thread.sleep(forTimeInterval: 0.005) }
        #expect(delivered.withLock { $0 } > 0)
        speech.cancel()
        let afterCancel = delivered.withLock { $0 }
        Thread.sleep(forTimeInterval: 0.3)
        #expect(delivered.withLock { $0 } == afterCancel, "a chunk was delivered after cancel() returned")
        // Still usable: the next reply is spoken.
        speech.feed("Okay.")
        speech.finish()
        #expect(speech.waitUntilDone() == nil)
        #expect(delivered.withLock { $0 } > afterCancel)
    }

    @Test func emptyOddAndEmojiTextHaveDefinedResults() throws {
        let voice = try piper()
        #expect(try voice.synthesize("", cancellation: nil).isEmpty)
        #expect(try voice.synthesize("   \n ", cancellation: nil).isEmpty)
        // Symbols espeak-ng has no phonemes for are skipped, not fatal.
        _ = try voice.synthesize("ʬ ☃ ∰ 𝔘 ⟁", cancellation: nil)
        let withEmoji = try voice.synthesize("Hello 😀 world 👍🏽!", cancellation: nil)
        let plain = try voice.synthesize("Hello world!", cancellation: nil)
        #expect(abs(withEmoji.count - plain.count) < voice.sampleRate / 5)
    }

    @Test func missingOrCorruptVoiceFilesAreClearErrors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("voice-bad-\(getpid())")
        try? FileManager.default.removeItem(at: dir)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        #expect(throws: TTSError.self) { try PiperVoice(onnxPath: dir.appendingPathComponent("none.onnx").path) }
        let config = try Data(contentsOf: URL(fileURLWithPath: VoicePaths.config))
        let real = try Data(contentsOf: URL(fileURLWithPath: VoicePaths.onnx), options: .mappedIfSafe)
        for (name, bytes) in [("truncated", real.prefix(3_000_000)), ("garbage", Data((0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 7919) }))] {
            let onnx = dir.appendingPathComponent("\(name).onnx")
            try bytes.write(to: onnx)
            try config.write(to: URL(fileURLWithPath: onnx.path + ".json"))
            #expect {
                _ = try PiperVoice(onnxPath: onnx.path)
            } throws: { error in
                print("\(name): \(error)")
                return error is TTSError
            }
        }
    }
}

@Suite struct TextNormalizerTests {
    @Test func rewritesWhatEspeakReadsBadly() {
        let cases: [(String, String)] = [
            ("It costs $5.50.", "It costs 5 dollars and 50 cents."),
            ("Only £1", "Only 1 pound"),
            ("Battery at 80%", "Battery at 80 percent"),
            ("Drive 30 km/h or 5 km", "Drive 30 kilometres per hour or 5 kilometres"),
            ("It is 21°C", "It is 21 degrees Celsius"),
            ("Ask Dr. Smith, e.g. today", "Ask Doctor Smith, for example today"),
            ("Tom & Jerry", "Tom and Jerry"),
            ("See https://example.com/docs", "See example dot com slash docs"),
            ("Mail bob@mail.org", "Mail bob at mail dot org"),
            ("The 1st and 22nd", "The first and 20 second"),
            ("Nice 👍🏽 job 😀", "Nice job"),
        ]
        for (input, expected) in cases {
            #expect(TextNormalizer.normalize(input) == expected, "\(input)")
        }
    }
}

import Engine
import ModelStore
import Foundation
import AudioIO
import Streaming
import Synchronization
import Testing

/// The recogniser as users meet it: accuracy on the test set, streaming, and bad input.
@Suite(.serialized) struct WhisperTranscriberTests {
    struct Clip: Decodable { let file: String; let text: String; let source: String }
    struct Reference: Decodable { let file: String; let text: String }

    static let clips: [Clip] = (try? JSONDecoder().decode([Clip].self, from: Data(contentsOf: URL(fileURLWithPath: Fixtures.path("whisper/corpus.json"))))) ?? []

    func transcriber() throws -> WhisperTranscriber {
        _ = try ModelPaths.whisperDirectory
        return WhisperTranscriber(model: try #require(WhisperParityTests.model))
    }

    @Test func wordErrorRateWithinOnePointOfFasterWhisper() throws {
        let transcriber = try transcriber()
        #expect(Self.clips.count >= 30)
        let lines = try String(contentsOfFile: Fixtures.path("whisper/faster-whisper.jsonl"), encoding: .utf8).split(separator: "\n")
        let references = try lines.map { try JSONDecoder().decode(Reference.self, from: Data($0.utf8)) }
        let fasterWhisper = Dictionary(uniqueKeysWithValues: references.map { (URL(fileURLWithPath: $0.file).lastPathComponent, $0.text) })
        var ours: [String] = [], theirs: [String] = [], truth: [String] = []
        var loops = 0
        for clip in Self.clips {
            let transcript = try transcriber.transcribe(try WhisperParityTests.audio(clip.file))
            ours.append(transcript.text)
            theirs.append(try #require(fasterWhisper[clip.file]))
            truth.append(clip.text)
            // Short windows make the decoder repeat the utterance after its end now and then;
            // the guard cuts it, and the rate below shows nothing was lost.
            if transcript.stoppedLoop { loops += 1 }
        }
        let ourRate = WordErrorRate.rate(references: truth, hypotheses: ours)
        let theirRate = WordErrorRate.rate(references: truth, hypotheses: theirs)
        print(String(format: "WER on %d clips: ours %.2f%% (windows of audio + 2 s, at least 7 s; %d loops cut), faster-whisper %.2f%% (30 s)", truth.count, ourRate * 100, loops, theirRate * 100))
        #expect(ourRate <= theirRate + 0.01)
    }

    @Test func streamingConfirmsAGrowingPrefixAndEndsWithTheTranscript() async throws {
        let transcriber = try transcriber()
        let samples = try WhisperParityTests.audio("piper-11.flac")
        let seen = Mutex<[StreamingHypothesis]>([])
        var options = StreamingTranscriber.Options()
        options.cadence = 0.4
        let streaming = StreamingTranscriber(transcriber: transcriber, options: options) { h in seen.withLock { $0.append(h) } }
        defer { streaming.close() }
        // Real-time pace in 100 ms steps; after each half second of audio, wait for the partial
        // run it triggers (however slow a loaded machine makes it), so that several happen.
        var offset = 0
        var steps = 0
        while offset < samples.count {
            let end = min(samples.count, offset + 1_600)
            streaming.append(Array(samples[offset..<end]))
            offset = end
            steps += 1
            let before = seen.withLock { $0.count }
            try await Task.sleep(for: .milliseconds(100))
            if steps % 5 == 0, offset < samples.count {
                for _ in 0..<40 where seen.withLock({ $0.count }) == before { try await Task.sleep(for: .milliseconds(50)) }
            }
        }
        let final = try await streaming.finish()
        let hypotheses = seen.withLock { $0 }
        #expect(hypotheses.filter { !$0.isFinal }.count >= 2)
        for (a, b) in zip(hypotheses, hypotheses.dropFirst()) where !b.isFinal {
            #expect(b.confirmedText.hasPrefix(a.confirmedText), "confirmed text changed: \(a.confirmedText) → \(b.confirmedText)")
        }
        #expect(hypotheses.last?.isFinal == true)
        #expect(WordErrorRate.normalizedWords(final.text) == WordErrorRate.normalizedWords("Which planet is the largest in our solar system?"))
        // Ready for the next utterance at once, with nothing left of the last.
        #expect(streaming.audioSeconds == 0)
        let empty = try await streaming.finish()
        #expect(empty.text.isEmpty)
    }

    @Test func silenceNoiseAndEmptyInputGiveNoWords() throws {
        let transcriber = try transcriber()
        #expect(try transcriber.transcribe([]).text.isEmpty)
        #expect(try transcriber.transcribe([Float](repeating: 0, count: 48_000)).text.isEmpty)
        #expect(try transcriber.transcribe(try WhisperParityTests.audio("noise.flac")).text.isEmpty)
        // Broken samples are treated as silence rather than poisoning the features.
        #expect(try transcriber.transcribe([Float](repeating: .nan, count: 16_000)).text.isEmpty)
    }

    @Test func clippedSpeechIsStillRecognised() throws {
        let transcriber = try transcriber()
        let clip = Self.clips.first { $0.file == "espeak-00.flac" }!
        let clipped = try WhisperParityTests.audio(clip.file).map { max(-1, min(1, $0 * 20)) }
        let text = try transcriber.transcribe(clipped).text
        print("clipped ×20: \(text)")
        #expect(WordErrorRate.rate(references: [clip.text], hypotheses: [text]) <= 0.3)
    }

    @Test func audioLongerThanOneWindowIsCutAtQuietMoments() throws {
        let transcriber = try transcriber()
        var long: [Float] = []
        var texts: [String] = []
        for clip in Self.clips.filter({ $0.source.hasPrefix("espeak") }) + Self.clips.filter({ $0.source.hasPrefix("piper") }) {
            long += try WhisperParityTests.audio(clip.file) + [Float](repeating: 0, count: 4_000)
            texts.append(clip.text)
            if long.count > 40 * 16_000 { break }
        }
        #expect(throws: EngineError.self) { try transcriber.transcribe(long) }
        let transcript = try transcriber.transcribeLong(long)
        let rate = WordErrorRate.rate(references: [texts.joined(separator: " ")], hypotheses: [transcript.text])
        print(String(format: "%.1f s in windows of at most 30 s: WER %.1f%%", transcript.audioSeconds, rate * 100))
        #expect(transcript.audioSeconds > 30)
        #expect(rate < 0.15)
    }

    @Test func otherSampleRatesAreResampled() throws {
        let transcriber = try transcriber()
        let clip = Self.clips.first { $0.file == "piper-05.flac" }!
        let samples = try WhisperParityTests.audio(clip.file)
        for rate in [8_000, 44_100, 48_000] {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("whisper-\(rate).wav").path
            try AudioFile.write(try Resampler.resample(samples, from: 16_000, to: rate), sampleRate: rate, to: path)
            let back = try AudioFile.read(path: path, sampleRate: 16_000).samples
            let text = try transcriber.transcribe(back).text
            #expect(WordErrorRate.rate(references: [clip.text], hypotheses: [text]) <= 0.2, "at \(rate) Hz: \(text)")
        }
    }

    @Test func missingAndCorruptModelFilesAreClearErrors() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("whisper-bad-\(getpid())")
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        #expect {
            _ = try WhisperModel(directory: directory.path)
        } throws: { error in
            if case .modelFileMissing = error as? EngineError { return true }
            return false
        }
        // A model.bin cut short, and one that is not a CTranslate2 file at all.
        let real = try Data(contentsOf: URL(fileURLWithPath: ModelPaths.whisperDirectory + "/model.bin"), options: .mappedIfSafe)
        for (bytes, expectation) in [(real.prefix(5_000_000), "truncated"), (Data("not a model".utf8) + Data(count: 64), "binary version")] {
            try bytes.write(to: directory.appendingPathComponent("model.bin"))
            #expect {
                _ = try CTranslate2Model(path: directory.appendingPathComponent("model.bin").path)
            } throws: { error in
                "\(error)".contains(expectation)
            }
        }
    }
}

@Suite struct RepetitionGuardTests {
    @Test func cutsALoopToOneCopy() {
        let phrase = [17348, 11, 1411, 13]
        #expect(RepetitionGuard.loopCut(phrase + phrase) == nil)
        #expect(RepetitionGuard.loopCut(phrase + phrase + phrase) == 4)
        #expect(RepetitionGuard.loopCut([5, 6] + Array(repeating: 7, count: 11)) == nil)
        #expect(RepetitionGuard.loopCut([5, 6] + Array(repeating: 7, count: 12)) == 3)
        // Legitimate repetition ("no, no, no") is short of the twelve-token span.
        #expect(RepetitionGuard.loopCut([1, 2, 1, 2, 1, 2]) == nil)
    }
}

@Suite struct WordErrorRateTests {
    @Test func countsEditsAfterNormalisation() {
        #expect(WordErrorRate.rate(references: ["Set a timer for ten minutes."], hypotheses: ["set a timer for 10 minutes"]) == 0)
        #expect(WordErrorRate.rate(references: ["front left"], hypotheses: ["Front, right."]) == 0.5)
        #expect(WordErrorRate.rate(references: ["a b c d"], hypotheses: ["a c d e f"]) == 0.75)
        #expect(WordErrorRate.rate(references: ["a b"], hypotheses: [""]) == 1)
        #expect(WordErrorRate.rate(references: [""], hypotheses: [""]) == 0)
    }
}

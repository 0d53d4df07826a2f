import Engine
import Foundation
import AudioIO
import Streaming
import TestSupport
import Testing

/// The recogniser against CTranslate2 / faster-whisper on the same weights and audio
/// (fixtures from scripts/fixtures/make-whisper-fixtures.sh).
@Suite(.serialized) struct WhisperParityTests {
    static let model: WhisperModel? = try? WhisperModel(directory: ModelPaths.whisperDirectory)

    func loadModel() throws -> WhisperModel {
        _ = try ModelPaths.whisperDirectory  // a clear error if the model is missing
        return try #require(Self.model)
    }

    static func audio(_ name: String) throws -> [Float] {
        try AudioFile.read(path: Fixtures.path("whisper/audio/\(name)"), sampleRate: 16_000).samples
    }

    @Test func logMelMatchesFasterWhisper() throws {
        let mel = LogMelSpectrogram(melCount: 80)
        for (audio, fixture) in [("alsa-front_left.flac", "front_left.mel.npy"), ("piper-01.flac", "piper01.mel.npy")] {
            let reference = try NPY(path: Fixtures.path("whisper/" + fixture))
            let (features, frames) = mel(try Self.audio(audio), padding: 0)
            #expect(reference.shape == [80, frames])
            let maxDiff = zip(features, reference.values).map { abs($0 - $1) }.max() ?? .infinity
            print("log-mel \(audio): \(frames) frames, max |diff| \(maxDiff)")
            #expect(maxDiff < 1e-3)
        }
    }

    @Test func encoderMatchesCTranslate2() throws {
        let model = try loadModel()
        let input = try NPY(path: Fixtures.path("whisper/front_left.mel.npy"))
        let reference = try NPY(path: Fixtures.path("whisper/front_left.encoder.npy"))
        let (states, positions) = try model.encoder(input.values, frames: input.shape[1])
        #expect(reference.shape == [positions, model.configuration.width])
        let error = Fixtures.relativeError(states, reference.values)
        let maxDiff = zip(states, reference.values).map { abs($0 - $1) }.max() ?? .infinity
        print("encoder: \(positions) positions, max |diff| \(maxDiff), relative \(error)")
        #expect(error < 1e-4)
    }

    struct GreedyFixture: Decodable { let file: String; let ids: [Int] }

    @Test func greedyIdsEqualCTranslate2On30SecondWindows() throws {
        let model = try loadModel()
        let fixtures = try JSONDecoder().decode([GreedyFixture].self, from: Data(contentsOf: URL(fileURLWithPath: Fixtures.path("whisper/ct2-greedy.json"))))
        #expect(fixtures.count >= 30)
        var options = WhisperTranscriber.Options()
        options.maxTokens = 112  // CTranslate2's limit for max_length 224, as the fixtures were made
        let transcriber = WhisperTranscriber(model: model, options: options)
        var equal = 0
        for fixture in fixtures {
            let (features, frames) = model.melSpectrogram(try Self.audio(fixture.file), padding: 160)
            let window = model.configuration.maxFrames
            let padded = WhisperTranscriber.pad(features, melCount: 80, frames: min(frames, window), to: window)
            let transcript = try transcriber.decode(features: padded, frames: window, audioSeconds: 0)
            if transcript.tokens == fixture.ids { equal += 1 } else {
                print("differs: \(fixture.file): ours \(transcript.tokens) CTranslate2 \(fixture.ids)")
            }
        }
        print("greedy ids equal to CTranslate2 on \(equal)/\(fixtures.count) clips")
        #expect(equal == fixtures.count)
    }
}

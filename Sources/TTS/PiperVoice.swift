import Engine
import Foundation

/// A Piper voice (`.onnx` + `.onnx.json`): text → normalised text → espeak-ng phonemes →
/// Piper's phoneme ids → the Swift VITS generator.
public final class PiperVoice: SpeechVoice, @unchecked Sendable {
    public let model: VITSModel
    public let phonemeIds: PiperPhonemeIds
    public let phonemizer: Phonemizer
    public let sampleRate: Int
    public var scales: VITSScales
    public let name: String

    /// Loads `onnxPath` and its configuration (`onnxPath + ".json"` unless given).
    public init(onnxPath: String, configPath: String? = nil, threads: Int = 2) throws(TTSError) {
        let configPath = configPath ?? onnxPath + ".json"
        guard FileManager.default.fileExists(atPath: configPath) else {
            throw .voiceConfiguration(path: configPath, message: "missing; a Piper voice is an .onnx file with its .onnx.json beside it")
        }
        phonemeIds = try PiperPhonemeIds(configPath: configPath)
        let settings = try Self.settings(configPath)
        sampleRate = settings.sampleRate
        scales = settings.scales
        do {
            model = try VITSModel(onnxPath: onnxPath, threads: threads)
        } catch {
            throw .model("\(error)")
        }
        phonemizer = try Phonemizer(voice: phonemeIds.espeakVoice)
        name = "piper:" + URL(fileURLWithPath: onnxPath).deletingPathExtension().lastPathComponent
    }

    private static func settings(_ path: String) throws(TTSError) -> (sampleRate: Int, scales: VITSScales) {
        struct Config: Decodable {
            struct Audio: Decodable { var sample_rate: Int }
            struct Inference: Decodable { var noise_scale: Float?; var length_scale: Float?; var noise_w: Float? }
            var audio: Audio
            var inference: Inference?
            var num_speakers: Int?
        }
        guard let data = FileManager.default.contents(atPath: path),
              let config = try? JSONDecoder().decode(Config.self, from: data) else {
            throw .voiceConfiguration(path: path, message: "no audio.sample_rate (not a Piper voice configuration)")
        }
        if let speakers = config.num_speakers, speakers > 1 {
            throw .voiceConfiguration(path: path, message: "multi-speaker voices (\(speakers) speakers) are not supported yet")
        }
        let i = config.inference
        return (config.audio.sample_rate, VITSScales(noise: i?.noise_scale ?? 0.667, length: i?.length_scale ?? 1, noiseW: i?.noise_w ?? 0.8))
    }

    /// The id sequences of `text`, one per sentence, after normalisation.
    public func phonemeIdSequences(_ text: String) -> [[Int]] {
        phonemizer.phonemize(TextNormalizer.normalize(text)).map { phonemeIds.ids(for: $0).ids }.filter { $0.count > 3 }
    }

    public func synthesize(_ text: String, cancellation: CancellationFlag?) throws(TTSError) -> [Float] {
        var audio: [Float] = []
        try run(text, cancellation: cancellation, firstAudioEarly: false) { piece, _ in audio += piece }
        return audio
    }

    public func synthesize(_ text: String, cancellation: CancellationFlag?, onAudio: ([Float], _ isLast: Bool) -> Void) throws(TTSError) {
        try run(text, cancellation: cancellation, firstAudioEarly: true, onAudio: onAudio)
    }

    private func run(_ text: String, cancellation: CancellationFlag?, firstAudioEarly: Bool,
                     onAudio: ([Float], _ isLast: Bool) -> Void) throws(TTSError) {
        let sentences = phonemeIdSequences(text)
        for (i, ids) in sentences.enumerated() {
            if cancellation?.isCancelled == true { throw .cancelled }
            do {
                try model.synthesize(ids, scales: scales, seed: UInt64(i), cancellation: cancellation,
                                     firstAudioEarly: firstAudioEarly && i == 0) { piece, last in
                    onAudio(piece, last && i == sentences.count - 1)
                }
            } catch .cancelled {
                throw .cancelled
            } catch {
                throw .model("\(error)")
            }
        }
        if sentences.isEmpty { onAudio([], true) }
    }
}

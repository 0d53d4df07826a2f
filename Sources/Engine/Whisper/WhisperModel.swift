import Foundation

/// A Whisper model in CTranslate2's format, loaded from its directory (`model.bin`,
/// `config.json`, `vocabulary.txt`): any size from tiny to large-v3, float32, float16 or int8.
public final class WhisperModel: @unchecked Sendable {
    public let directory: String
    public let configuration: WhisperConfiguration
    public let vocabulary: WhisperVocabulary
    public let melSpectrogram: LogMelSpectrogram
    public let encoder: WhisperEncoder
    public let decoder: WhisperDecoder
    public let threads: Int

    public init(directory: String, threads: Int = 2) throws(EngineError) {
        self.directory = directory
        self.threads = max(1, threads)
        let modelPath = directory + "/model.bin"
        guard FileManager.default.fileExists(atPath: modelPath) else {
            throw .modelFileMissing(path: modelPath, role: "Whisper", fix: "run `realtime-daemon models fetch`, or pass the directory of a CTranslate2 Whisper model")
        }
        let model = try CTranslate2Model(path: modelPath)
        let configPath = directory + "/config.json"
        configuration = try WhisperConfiguration(model: model, configPath: FileManager.default.fileExists(atPath: configPath) ? configPath : nil)
        vocabulary = try WhisperVocabulary(path: directory + "/vocabulary.txt")
        guard vocabulary.count == configuration.vocabularySize else {
            throw .malformedModel(path: directory + "/vocabulary.txt", message: "has \(vocabulary.count) tokens, the model has \(configuration.vocabularySize)")
        }
        melSpectrogram = LogMelSpectrogram(melCount: configuration.melCount)
        // All parallelism is ours (rows and heads split over a ComputePool): OpenBLAS runs
        // single-threaded, so its idle threads never spin against ours.
        BLAS.useOneThreadPerCall()
        encoder = try WhisperEncoder(model: model, configuration: configuration, threads: self.threads)
        decoder = try WhisperDecoder(model: model, configuration: configuration, threads: self.threads)
    }
}

/// Stops greedy decoding that has fallen into a loop: the tail of the output is one n-gram
/// repeated at least three times and at least twelve tokens long ("the the the …", or a phrase
/// over and over). Whisper does this on short windows and on silence.
public enum RepetitionGuard {
    /// The length to cut `tokens` to (keeping one copy of the repeated n-gram), or nil.
    public static func loopCut(_ tokens: [Int], maxGram: Int = 16, minRepeats: Int = 3, minSpan: Int = 12) -> Int? {
        for n in 1...maxGram {
            let repeats = max(minRepeats, (minSpan + n - 1) / n)
            guard tokens.count >= n * repeats else { continue }
            let tail = tokens.count - n
            var ok = true
            for r in 1..<repeats where ok {
                for j in 0..<n where tokens[tail + j] != tokens[tail - r * n + j] { ok = false; break }
            }
            if ok { return tokens.count - (repeats - 1) * n }
        }
        return nil
    }
}

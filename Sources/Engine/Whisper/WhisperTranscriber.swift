import Foundation

/// One utterance's transcript and how it was made.
public struct Transcript: Sendable, Equatable {
    public var text: String
    /// The generated text tokens (no special tokens).
    public var tokens: [Int]
    public var language: String
    public var audioSeconds: Double
    /// Encoder window in mel frames (100 per second).
    public var windowFrames: Int
    /// Decoding was stopped by the repetition guard.
    public var stoppedLoop: Bool
    /// Probability of the no-speech token after start-of-transcript (as Whisper's no_speech_prob).
    public var noSpeechProbability: Float = 0
    /// Mean log-probability of the generated tokens.
    public var averageLogProbability: Float = 0
    public var encodeSeconds: Double = 0
    public var decodeSeconds: Double = 0
    /// Tokens run through the decoder (prompt, forced prefix and generated).
    public var decodedTokens = 0
}

/// Greedy Whisper decoding on a window sized to the audio rather than always 30 s.
///
/// Stock Whisper pads every input to 30 s, so a 2 s turn costs as much encoder time as a 30 s
/// one. Here the features are zero-padded (in the log-mel domain, as faster-whisper pads) only to
/// `audio + trailingPadding`, and at least `minimumWindow`. Measured on two test sets of
/// 1.3–3.2 s clips (the 32-clip recogniser set; 30 Piper sentences), word error rates by minimum
/// window: 5 s: 5.0% / 7.0% (decoding loops and dropped endings on the second set); 6 s:
/// 6.5% / 3.9%; 7 s: 6.0% / 0.4%; 8–9 s: 6.5% / 0.4%; 10 s: 7.5% / 0.4%; 30 s (faster-whisper):
/// 5.5% / 0.4%. On 15 s and 25 s utterances audio + 2 s gave the 30 s transcript word for word.
/// Hence at least 7 s, and 2 s after longer audio.
public final class WhisperTranscriber: @unchecked Sendable {
    public struct Options: Sendable {
        /// Language code, or nil to detect it from the audio.
        public var language: String? = "en"
        /// Smallest encoder window, in seconds.
        public var minimumWindow: Double = 7
        /// Padding after the audio, in seconds, when the audio is longer than the minimum window.
        public var trailingPadding: Double = 2
        /// Most tokens generated per window (CTranslate2's default for max_length 448 is 224).
        public var maxTokens = 224
        /// A window whose no-speech probability is above this and whose mean token
        /// log-probability is below `logProbabilityThreshold` is taken as silence (Whisper's rule,
        /// which keeps it from "hearing" words in noise).
        public var noSpeechThreshold: Float = 0.6
        public var logProbabilityThreshold: Float = -1
        public init() {}
    }

    public let model: WhisperModel
    public var options: Options

    public init(model: WhisperModel, options: Options = Options()) {
        self.model = model
        self.options = options
    }

    /// Transcribes 16 kHz mono samples of at most 30 s (longer audio: see `transcribeLong`).
    public func transcribe(_ samples: [Float], prefix: [Int] = [], cancellation: CancellationFlag? = nil) throws(EngineError) -> Transcript {
        let maxSamples = model.configuration.maxFrames * LogMelSpectrogram.hopLength
        guard samples.count <= maxSamples else {
            throw .invalidArgument("\(samples.count) samples is more than one 30 s window; use transcribeLong")
        }
        let audioSeconds = Double(samples.count) / Double(LogMelSpectrogram.sampleRate)
        guard !samples.isEmpty else {
            return Transcript(text: "", tokens: [], language: options.language ?? "", audioSeconds: 0, windowFrames: 0, stoppedLoop: false)
        }
        // NaN or infinite samples (a broken source) would poison every feature: make them silence.
        let samples = samples.allSatisfy(\.isFinite) ? samples : samples.map { $0.isFinite ? $0 : 0 }
        let (features, frames) = model.melSpectrogram(samples)
        let window = windowFrames(forAudioFrames: frames)
        let padded = Self.pad(features, melCount: model.configuration.melCount, frames: frames, to: window)
        var transcript = try decode(features: padded, frames: window, audioSeconds: audioSeconds, prefix: prefix, cancellation: cancellation)
        if prefix.isEmpty && transcript.noSpeechProbability > options.noSpeechThreshold && transcript.averageLogProbability < options.logProbabilityThreshold {
            transcript.text = ""
            transcript.tokens = []
        }
        return transcript
    }

    /// Audio longer than one window, cut at the quietest moment of each window's last 5 s.
    public func transcribeLong(_ samples: [Float]) throws(EngineError) -> Transcript {
        let maxSamples = model.configuration.maxFrames * LogMelSpectrogram.hopLength
        var pieces: [Transcript] = []
        var start = 0
        while start < samples.count {
            var end = min(samples.count, start + maxSamples)
            if end < samples.count { end = Self.quietestCut(samples, from: end - 5 * LogMelSpectrogram.sampleRate, to: end) }
            pieces.append(try transcribe(Array(samples[start..<end])))
            start = end
        }
        guard var result = pieces.first else { return try transcribe([]) }
        for piece in pieces.dropFirst() {
            result.text = [result.text, piece.text].filter { !$0.isEmpty }.joined(separator: " ")
            result.tokens += piece.tokens
            result.stoppedLoop = result.stoppedLoop || piece.stoppedLoop
            result.windowFrames = max(result.windowFrames, piece.windowFrames)
        }
        result.audioSeconds = Double(samples.count) / Double(LogMelSpectrogram.sampleRate)
        return result
    }

    /// The window (in frames, even) for `frames` of audio features.
    public func windowFrames(forAudioFrames frames: Int) -> Int {
        let perSecond = Double(LogMelSpectrogram.sampleRate / LogMelSpectrogram.hopLength)
        let wanted = max(Int(options.minimumWindow * perSecond), frames + Int(options.trailingPadding * perSecond))
        let window = min(model.configuration.maxFrames, wanted)
        return window + window % 2
    }

    public static func pad(_ features: [Float], melCount: Int, frames: Int, to window: Int) -> [Float] {
        guard window > frames else { return features }
        var out = [Float](repeating: 0, count: melCount * window)
        for m in 0..<melCount {
            for t in 0..<frames { out[m * window + t] = features[m * frames + t] }
        }
        return out
    }

    /// Greedy decoding of mel-major `features` after the standard prompt (start of transcript,
    /// language, transcribe, no timestamps), continuing after `prefix` text tokens if given.
    public func decode(features: [Float], frames: Int, audioSeconds: Double, prefix: [Int] = [], cancellation: CancellationFlag? = nil) throws(EngineError) -> Transcript {
        let vocabulary = model.vocabulary, configuration = model.configuration
        let clock = ContinuousClock()
        let started = clock.now
        let (states, positions) = try model.encoder(features, frames: frames, cancellation: cancellation)
        let state = model.decoder.makeState(encoderStates: states, positions: positions)
        let encoded = clock.now
        // The start-of-transcript step alone first: its logits give the no-speech probability
        // and, on request, the language.
        let startLogits = try model.decoder([vocabulary.startOfTranscript], state: state)
        let noSpeech = vocabulary.noSpeech.map { Self.logSoftmax(startLogits, at: $0) }.map { Float(exp(Double($0))) } ?? 0
        let language = try languageToken(startLogits: startLogits)
        var prompt = [vocabulary.startOfTranscript]
        if vocabulary.isMultilingual { prompt.append(language.id) }
        prompt += [vocabulary.transcribe, vocabulary.noTimestamps]
        var logits = try model.decoder(Array(prompt.dropFirst()) + prefix, state: state)
        var generated = prefix
        var stoppedLoop = false
        var logProbabilitySum: Float = 0
        let limit = min(options.maxTokens, configuration.textContext - prompt.count)
        while generated.count < limit {
            if cancellation?.isCancelled == true { throw .cancelled }
            if generated.count % 4 == 0 { EngineScheduler.checkpoint() }
            for id in configuration.suppressIDs where id < logits.count { logits[id] = -.infinity }
            if generated.isEmpty {
                for id in configuration.suppressIDsAtBegin where id < logits.count { logits[id] = -.infinity }
            }
            let next = Sampler.argmax(logits)
            logProbabilitySum += Self.logSoftmax(logits, at: next)
            if next == vocabulary.endOfText { break }
            generated.append(next)
            if let cut = RepetitionGuard.loopCut(generated) {
                generated.removeLast(generated.count - cut)
                stoppedLoop = true
                break
            }
            logits = try model.decoder([next], state: state)
        }
        let text = vocabulary.text(generated).trimmingCharacters(in: .whitespaces)
        let newTokens = generated.count - prefix.count + 1
        var transcript = Transcript(text: text, tokens: generated, language: language.code, audioSeconds: audioSeconds,
                                    windowFrames: frames, stoppedLoop: stoppedLoop)
        transcript.noSpeechProbability = noSpeech
        transcript.averageLogProbability = logProbabilitySum / Float(max(1, newTokens))
        transcript.encodeSeconds = (encoded - started).seconds
        transcript.decodeSeconds = (clock.now - encoded).seconds
        transcript.decodedTokens = state.length
        return transcript
    }

    /// The requested language's token, or the most likely one after the start-of-transcript token.
    private func languageToken(startLogits logits: [Float]) throws(EngineError) -> (code: String, id: Int) {
        let vocabulary = model.vocabulary
        if let code = options.language {
            guard let id = vocabulary.language(code) else {
                if !vocabulary.isMultilingual, code == "en" { return ("en", -1) }
                throw .invalidArgument("unknown language \(code); the model knows \(vocabulary.languages.map(\.code).joined(separator: ", "))")
            }
            return (code, id)
        }
        guard vocabulary.isMultilingual else { return ("en", -1) }
        let best = vocabulary.languages.max { logits[$0.id] < logits[$1.id] }!
        return best
    }

    /// log softmax(x)[index], accumulated in double.
    static func logSoftmax(_ x: [Float], at index: Int) -> Float {
        var maximum = -Float.infinity
        for v in x { maximum = max(maximum, v) }
        var sum: Double = 0
        for v in x where v > -.infinity { sum += exp(Double(v - maximum)) }
        return x[index] - maximum - Float(log(sum))
    }

    static func quietestCut(_ samples: [Float], from start: Int, to end: Int) -> Int {
        let step = LogMelSpectrogram.sampleRate / 10
        var best = end, bestEnergy = Float.infinity
        var position = max(0, start)
        while position + step <= end {
            var energy: Float = 0
            for i in position..<(position + step) { energy += samples[i] * samples[i] }
            if energy < bestEnergy { bestEnergy = energy; best = position + step / 2 }
            position += step
        }
        return best
    }
}

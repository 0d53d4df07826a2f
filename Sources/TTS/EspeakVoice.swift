import CEspeakNG
import Engine
import Foundation

/// espeak-ng's own formant synthesiser behind the `SpeechVoice` interface: robotic, but tiny
/// and instant, and there whenever libespeak-ng is, so the daemon can talk before (or without)
/// a Piper voice being installed.
public final class EspeakVoice: SpeechVoice, @unchecked Sendable {
    public let sampleRate: Int
    public let voiceName: String
    /// Words per minute.
    public var rate: Int
    public var name: String { "espeak-ng:" + voiceName }

    public init(voice: String = "en-us", rate: Int = 170) throws(TTSError) {
        sampleRate = try EspeakNGLibrary.initialize()
        voiceName = voice
        self.rate = rate
        let status = EspeakNGLibrary.lock.withLock { _ in espeak_SetVoiceByName(voice) }
        guard status == EE_OK else { throw .espeakNG("unknown voice \(voice)") }
    }

    /// Collects the samples espeak-ng hands to its callback during one synthesis.
    private final class Collector {
        var samples: [Float] = []
        let cancellation: CancellationFlag?
        init(cancellation: CancellationFlag?) { self.cancellation = cancellation }
    }

    public func synthesize(_ text: String, cancellation: CancellationFlag?) throws(TTSError) -> [Float] {
        let normalized = TextNormalizer.normalize(text)
        guard !normalized.isEmpty else { return [] }
        let collector = Collector(cancellation: cancellation)
        let status = EspeakNGLibrary.lock.withLock { _ -> espeak_ERROR in
            espeak_SetVoiceByName(voiceName)
            espeak_SetParameter(espeakRATE, Int32(rate), 0)
            espeak_SetSynthCallback { wav, count, events in
                guard let events, let user = events.pointee.user_data else { return 0 }
                let collector = Unmanaged<Collector>.fromOpaque(user).takeUnretainedValue()
                if let wav, count > 0 {
                    for i in 0..<Int(count) { collector.samples.append(Float(wav[i]) / 32768) }
                }
                // A non-zero return tells espeak-ng to stop.
                return collector.cancellation?.isCancelled == true ? 1 : 0
            }
            let unmanaged = Unmanaged.passUnretained(collector)
            return normalized.withCString { text in
                espeak_Synth(text, strlen(text) + 1, 0, POS_CHARACTER, 0, UInt32(espeakCHARS_UTF8), nil, unmanaged.toOpaque())
            }
        }
        if cancellation?.isCancelled == true { throw .cancelled }
        guard status == EE_OK else { throw .espeakNG("synthesis failed (status \(status.rawValue))") }
        return collector.samples
    }
}

/// How audio travels on a connection (`session.audio.input.format` / `.output.format`).
public enum AudioFormat: String, Sendable, Equatable {
    /// Base64 little-endian 16-bit mono PCM at 24 kHz inside JSON events (the default).
    case pcm24k = "audio/pcm"
    /// Raw Opus packets (48 kHz, mono) in binary frames.
    case opus = "audio/opus"

    public var sampleRate: Int { self == .pcm24k ? 24_000 : 48_000 }

    public var json: [String: any Sendable] { ["type": rawValue, "rate": sampleRate] }

    /// Reads `{"type": "audio/pcm", "rate": 24000}` (the rate may be left out).
    static func parse(_ fields: JSONFields) throws(ProtocolError) -> AudioFormat {
        let type = try fields.string("type")
        guard let format = AudioFormat(rawValue: type) else {
            throw .invalidValue(fields.path("type"), "unsupported audio format \"\(type)\"; use audio/pcm (24000 Hz) or audio/opus (48000 Hz)")
        }
        if let rate = try fields.optionalInt("rate"), rate != format.sampleRate {
            throw .invalidValue(fields.path("rate"), "\(type) is \(format.sampleRate) Hz only (got \(rate))")
        }
        return format
    }
}

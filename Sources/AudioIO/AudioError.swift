/// Every failure of the audio plumbing, each carrying what a person needs to fix it.
public enum AudioError: Error, Equatable, CustomStringConvertible {
    /// A file could not be opened or decoded (libsndfile's message included).
    case audioFile(path: String, message: String)
    /// A file could not be written.
    case audioFileWrite(path: String, message: String)
    /// A sample rate the component does not support.
    case unsupportedSampleRate(Int, supported: [Int])
    /// The resampler failed (libsoxr's message included).
    case resampler(String)
    /// The Opus codec rejected a call (libopus's message included).
    case opus(operation: String, message: String)
    /// A PCM buffer whose length is not what the codec needs.
    case badFrameSize(got: Int, expected: String)
    /// Bytes that are not a valid Ogg Opus stream.
    case oggOpus(String)
    /// An ALSA call failed (libasound's message included).
    case alsa(device: String, operation: String, message: String)
    /// Base64 or raw PCM that cannot be decoded.
    case malformedPCM(String)
    /// The echo canceller could not be set up.
    case echoCanceller(String)

    public var description: String {
        switch self {
        case let .audioFile(path, message): return "cannot read audio file \(path): \(message)"
        case let .audioFileWrite(path, message): return "cannot write audio file \(path): \(message)"
        case let .unsupportedSampleRate(rate, supported):
            return "unsupported sample rate \(rate) Hz (supported: \(supported.map(String.init).joined(separator: ", ")))"
        case let .resampler(message): return "resampler error: \(message)"
        case let .opus(operation, message): return "opus \(operation) failed: \(message)"
        case let .badFrameSize(got, expected): return "bad audio frame size \(got) samples (expected \(expected))"
        case let .oggOpus(message): return "invalid Ogg Opus data: \(message)"
        case let .alsa(device, operation, message): return "ALSA device '\(device)': \(operation) failed: \(message)"
        case let .malformedPCM(message): return "malformed PCM audio: \(message)"
        case let .echoCanceller(message): return "echo canceller: \(message)"
        }
    }
}

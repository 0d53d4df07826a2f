import CSndfile
import Foundation

/// Reading and writing audio files through libsndfile (WAV, FLAC, Ogg Vorbis/Opus, and the
/// other formats it knows). Whatever comes in (any rate, any channel count) leaves as mono
/// float at the rate the caller asks for.
public enum AudioFile {
    /// What a file holds, from its header.
    public struct Info: Sendable, Equatable {
        public var sampleRate: Int
        public var channels: Int
        public var frames: Int
        public var duration: Double { Double(frames) / Double(sampleRate) }

        public init(sampleRate: Int, channels: Int, frames: Int) {
            self.sampleRate = sampleRate
            self.channels = channels
            self.frames = frames
        }
    }

    /// The container and encoding chosen for a written file, from its extension.
    public enum Container: String, Sendable, CaseIterable {
        case wav, flac, ogg, opus

        init(path: String) throws(AudioError) {
            let ext = (path as NSString).pathExtension.lowercased()
            guard let c = Container(rawValue: ext) else {
                throw .audioFileWrite(path: path, message: "unknown extension '.\(ext)' (use .wav, .flac, .ogg or .opus)")
            }
            self = c
        }

        var format: Int32 {
            switch self {
            case .wav: return Int32(SF_FORMAT_WAV | SF_FORMAT_PCM_16)
            case .flac: return Int32(SF_FORMAT_FLAC | SF_FORMAT_PCM_16)
            case .ogg: return Int32(SF_FORMAT_OGG | SF_FORMAT_VORBIS)
            case .opus: return Int32(SF_FORMAT_OGG | SF_FORMAT_OPUS)
            }
        }
    }

    public static func info(path: String) throws(AudioError) -> Info {
        let file = try SoundFile(readingFrom: path)
        return file.info
    }

    /// Reads a whole file as mono float, resampled to `sampleRate` (or at the file's own rate
    /// when `sampleRate` is nil). A file whose data ends before its header says is an error.
    public static func read(path: String, sampleRate: Int? = nil) throws(AudioError) -> PCMFrame {
        let file = try SoundFile(readingFrom: path)
        let info = file.info
        let interleaved = try file.readAll()
        let mono = SampleConversion.downmix(interleaved: interleaved, channels: info.channels)
        let rate = sampleRate ?? info.sampleRate
        let samples = try Resampler.resample(mono, from: info.sampleRate, to: rate)
        return PCMFrame(samples: samples, sampleRate: rate)
    }

    /// Writes mono float samples; the format comes from the extension (.wav and .flac are
    /// 16-bit PCM, .ogg is Vorbis, .opus is Ogg Opus).
    public static func write(_ samples: [Float], sampleRate: Int, to path: String) throws(AudioError) {
        let container = try Container(path: path)
        var info = SF_INFO()
        info.samplerate = Int32(sampleRate)
        info.channels = 1
        info.format = container.format
        guard sf_format_check(&info) != 0 else {
            throw .audioFileWrite(path: path, message: "libsndfile cannot write \(container.rawValue) at \(sampleRate) Hz")
        }
        guard let handle = sf_open(path, Int32(SFM_WRITE), &info) else {
            throw .audioFileWrite(path: path, message: String(cString: sf_strerror(nil)))
        }
        defer { sf_close(handle) }
        // Clip rather than let libsndfile wrap out-of-range floats.
        _ = sf_command(handle, Int32(SFC_SET_CLIPPING), nil, Int32(SF_TRUE))
        let written = samples.withUnsafeBufferPointer { sf_writef_float(handle, $0.baseAddress, sf_count_t($0.count)) }
        guard written == samples.count else {
            throw .audioFileWrite(path: path, message: String(cString: sf_strerror(handle)))
        }
    }
}

/// One open libsndfile handle, closed on deinit.
final class SoundFile {
    let path: String
    let info: AudioFile.Info
    private let handle: OpaquePointer

    init(readingFrom path: String) throws(AudioError) {
        self.path = path
        var raw = SF_INFO()
        guard FileManager.default.fileExists(atPath: path) else {
            throw .audioFile(path: path, message: "no such file")
        }
        guard let h = sf_open(path, Int32(SFM_READ), &raw) else {
            throw .audioFile(path: path, message: String(cString: sf_strerror(nil)))
        }
        handle = h
        guard raw.samplerate > 0, raw.channels > 0 else {
            sf_close(h)
            throw .audioFile(path: path, message: "header declares \(raw.samplerate) Hz, \(raw.channels) channels")
        }
        info = AudioFile.Info(sampleRate: Int(raw.samplerate), channels: Int(raw.channels), frames: Int(raw.frames))
    }

    deinit { sf_close(handle) }

    /// All frames, interleaved. Throws when fewer frames can be read than the header declares.
    func readAll() throws(AudioError) -> [Float] {
        let expected = info.frames
        guard expected >= 0, expected < Int(Int32.max) else {
            throw .audioFile(path: path, message: "header declares \(expected) frames")
        }
        // In pieces, so memory follows the samples really there, not what a header claims.
        var buffer: [Float] = []
        var chunk = [Float](repeating: 0, count: 65_536 * info.channels)
        var got = 0
        while got < expected {
            let want = min(65_536, expected - got)
            let n = Int(chunk.withUnsafeMutableBufferPointer { sf_readf_float(handle, $0.baseAddress, sf_count_t(want)) })
            guard n > 0 else { break }
            buffer += chunk[0..<(n * info.channels)]
            got += n
        }
        if got < expected {
            throw .audioFile(path: path, message: "truncated: header declares \(expected) frames but only \(got) could be read")
        }
        if truncatedAccordingToLog {
            throw .audioFile(path: path, message: "truncated: the data chunk is shorter than its header declares")
        }
        return buffer
    }

    /// libsndfile opens a WAV whose data chunk is cut short and quietly reports the frames that
    /// are there; its log says so. We treat such a file as damaged rather than play half of it.
    private var truncatedAccordingToLog: Bool {
        var log = [CChar](repeating: 0, count: 4096)
        let n = log.withUnsafeMutableBufferPointer { sf_command(handle, Int32(SFC_GET_LOG_INFO), $0.baseAddress, Int32($0.count)) }
        guard n > 0 else { return false }
        let text = String(decoding: log.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return text.contains("should be") && text.contains("data")
    }
}

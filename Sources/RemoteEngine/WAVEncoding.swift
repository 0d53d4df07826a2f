import AudioIO
import Engine
import Foundation

/// 16-bit PCM mono WAV files in memory: what the audio-input API takes in `input_audio`.
enum WAVEncoding {
    static func encode(_ samples: ArraySlice<Float>, sampleRate: Int) -> Data {
        var data = Data(capacity: 44 + samples.count * 2)
        func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) } }
        data.append(contentsOf: Array("RIFF".utf8))
        append(UInt32(36 + samples.count * 2))
        data.append(contentsOf: Array("WAVEfmt ".utf8))
        append(UInt32(16))                // fmt chunk size
        append(UInt16(1))                 // PCM
        append(UInt16(1))                 // mono
        append(UInt32(sampleRate))
        append(UInt32(sampleRate * 2))    // bytes per second
        append(UInt16(2))                 // block align
        append(UInt16(16))                // bits per sample
        data.append(contentsOf: Array("data".utf8))
        append(UInt32(samples.count * 2))
        for x in samples { append(PCM16.sample(x)) }
        return data
    }

    /// Cuts `samples` into consecutive pieces of at most `maxSeconds`, each a WAV file.
    static func pieces(_ samples: [Float], sampleRate: Int, maxSeconds: Double) -> [Data] {
        let size = max(1, Int(maxSeconds * Double(sampleRate)))
        return stride(from: 0, to: max(samples.count, 1), by: size).map { start in
            encode(samples[start..<min(samples.count, start + size)], sampleRate: sampleRate)
        }
    }
}

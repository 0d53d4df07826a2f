import Foundation
import Testing
import AudioIO
import Streaming

@Suite struct OpusTests {
    /// Encodes `samples` (48 kHz) in 20 ms frames and decodes them again.
    static func roundTrip(_ samples: [Float], bitrate: Int) throws -> (decoded: [Float], bytes: Int) {
        let encoder = try OpusEncoder(bitrate: bitrate)
        let decoder = try OpusDecoder()
        var decoded = [Float]()
        var bytes = 0
        var i = 0
        while i + OpusFormat.frameSamples <= samples.count {
            let packet = try encoder.encode(Array(samples[i..<i + OpusFormat.frameSamples]))
            bytes += packet.count
            decoded += try decoder.decode(packet)
            i += OpusFormat.frameSamples
        }
        return (decoded, bytes)
    }

    /// Speech → Opus 20 ms at 24 kbit/s → decoded: after aligning for the codec delay the
    /// waveform correlation is at least 0.9 and the SNR at least 7 dB (measured: see the log).
    @Test func speechSurvivesAt24kbps() throws {
        let speech = try AudioFile.read(path: TestAudio.speechPath, sampleRate: 48_000).samples
        let (decoded, bytes) = try Self.roundTrip(speech, bitrate: 24_000)
        let (lag, correlation) = TestAudio.bestAlignment(speech, decoded, maxLag: 1_000)
        var signal = 0.0, noise = 0.0
        for i in 0..<(decoded.count - lag) {
            let s = Double(speech[i]), e = Double(decoded[i + lag]) - s
            signal += s * s; noise += e * e
        }
        let snr = 10 * log10(signal / noise)
        let kbps = Double(bytes * 8) / (Double(decoded.count) / 48_000) / 1000
        print("opus 24 kbit/s speech: delay \(lag) samples, correlation \(correlation), SNR \(snr) dB, actual \(kbps) kbit/s")
        #expect(correlation >= 0.9)
        #expect(snr >= 7)
        #expect(kbps < 30)
    }

    @Test func bitrateIsConfigurable() throws {
        #expect(try OpusEncoder(bitrate: 16_000).bitrate == 16_000)
        #expect(try OpusEncoder(bitrate: 64_000).bitrate == 64_000)
    }

    @Test func missingPacketIsConcealed() throws {
        let tone = TestAudio.tone(hz: 300, rate: 48_000, seconds: 0.2)
        let encoder = try OpusEncoder()
        let decoder = try OpusDecoder()
        for f in 0..<5 { _ = try decoder.decode(try encoder.encode(Array(tone[f * 960..<(f + 1) * 960]))) }
        let concealed = try decoder.concealLoss()
        #expect(concealed.count == 960)
        // Concealment continues the tone rather than dropping to silence.
        #expect(TestAudio.rms(concealed[...]) > 0.05)
    }

    @Test func garbagePacketIsAnErrorAndDecoderSurvives() throws {
        let decoder = try OpusDecoder()
        // TOC byte 0xff declares code 3 (arbitrary frames) with a frame count byte of 0: invalid.
        #expect(throws: AudioError.self) { try decoder.decode([0xff, 0x00]) }
        #expect(throws: AudioError.self) { try decoder.decode([]) }
        #expect(throws: AudioError.self) { try decoder.decode([UInt8](repeating: 0x55, count: 5000)) }
        let encoder = try OpusEncoder()
        let ok = try decoder.decode(try encoder.encode([Float](repeating: 0, count: 960)))
        #expect(ok.count == 960)
    }

    @Test func wrongFrameSizeIsAnError() throws {
        let encoder = try OpusEncoder()
        #expect(throws: AudioError.badFrameSize(got: 100, expected: "960 (20 ms at 48 kHz)")) {
            try encoder.encode([Float](repeating: 0, count: 100))
        }
    }

    @Test func decodesOtherFrameSizes() throws {
        // A 60 ms packet from libopus through the same decoder (clients may send any size).
        let encoder = try OpusEncoder()
        let packet = try encoder.encode([Float](repeating: 0.01, count: 960))
        let decoder = try OpusDecoder()
        #expect(try decoder.decode(packet).count == 960)
    }
}

import Foundation
import Testing
import AudioIO
import Streaming

@Suite struct AudioFileTests {
    @Test(arguments: ["wav", "flac", "ogg", "opus"])
    func writeThenReadBack(ext: String) throws {
        let dir = TestAudio.temporaryDirectory()
        let path = dir.appendingPathComponent("tone.\(ext)").path
        let rate = ext == "opus" ? 48_000 : 22_050
        let tone = TestAudio.tone(hz: 440, rate: rate, seconds: 0.5)
        try AudioFile.write(tone, sampleRate: rate, to: path)
        let back = try AudioFile.read(path: path)
        #expect(back.sampleRate == rate)
        #expect(abs(back.samples.count - tone.count) < rate / 20)
        let lossless = ext == "wav" || ext == "flac"
        if lossless {
            let maxDiff = zip(back.samples, tone).map { abs($0 - $1) }.max() ?? 1
            #expect(maxDiff <= 1.0 / 32768 + 1e-6)
        } else {
            let level = TestAudio.decibels(TestAudio.rms(back.samples[rate / 10..<rate * 4 / 10]) / TestAudio.rms(tone[rate / 10..<rate * 4 / 10]))
            #expect(abs(level) < 1.0)
        }
    }

    /// Any rate and channel count in; mono float at the requested rate out.
    @Test func stereo44kReadsAsMono16k() throws {
        let dir = TestAudio.temporaryDirectory()
        let path = dir.appendingPathComponent("stereo.wav").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/sox")
        process.arguments = ["-n", "-r", "44100", "-c", "2", "-b", "16", path, "synth", "1", "sine", "1000"]
        try process.run()
        process.waitUntilExit()
        #expect(try AudioFile.info(path: path) == AudioFile.Info(sampleRate: 44_100, channels: 2, frames: 44_100))
        let mono = try AudioFile.read(path: path, sampleRate: 16_000)
        #expect(mono.sampleRate == 16_000)
        #expect(abs(mono.samples.count - 16_000) <= 2)
    }

    @Test func realSpeechRecordingLoads() throws {
        let speech = try AudioFile.read(path: TestAudio.speechPath, sampleRate: 16_000)
        #expect(speech.duration > 1.3 && speech.duration < 1.5)
        #expect(TestAudio.rms(speech.samples[...]) > 0.01)
    }

    @Test func missingFileIsAnError() {
        #expect(throws: AudioError.audioFile(path: "/nonexistent/a.wav", message: "no such file")) {
            try AudioFile.read(path: "/nonexistent/a.wav")
        }
    }

    @Test func truncatedWavIsAnError() throws {
        let dir = TestAudio.temporaryDirectory()
        let path = dir.appendingPathComponent("whole.wav").path
        try AudioFile.write(TestAudio.tone(hz: 440, rate: 16_000, seconds: 1), sampleRate: 16_000, to: path)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let cut = dir.appendingPathComponent("cut.wav").path
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: cut))
        let headerOnly = dir.appendingPathComponent("header.wav").path
        try bytes.prefix(20).write(to: URL(fileURLWithPath: headerOnly))
        for p in [cut, headerOnly] {
            #expect(throws: AudioError.self) { try AudioFile.read(path: p) }
        }
    }

    @Test func unsupportedFormatIsAnError() throws {
        let dir = TestAudio.temporaryDirectory()
        let path = dir.appendingPathComponent("text.wav").path
        try Data("this is not audio, only text pretending to be a wav file".utf8).write(to: URL(fileURLWithPath: path))
        do {
            _ = try AudioFile.read(path: path)
            Issue.record("a text file was read as audio")
        } catch {
            #expect(error.description.contains(path))
        }
        #expect(throws: AudioError.self) { try AudioFile.write([0], sampleRate: 16_000, to: dir.appendingPathComponent("x.mp9").path) }
    }

    /// A header that claims a billion frames over 100 bytes of data: an error, found without
    /// first allocating what the header claims (4 GB).
    @Test func aHeaderClaimingMoreThanTheFileHoldsIsRefused() throws {
        func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
        let dataBytes: UInt32 = 0x7FFF_FFF0
        var wav = Array("RIFF".utf8) + le(UInt32(36) &+ dataBytes) + Array("WAVEfmt ".utf8)
        wav += le(UInt32(16)) + le(UInt16(1)) + le(UInt16(1)) + le(UInt32(16_000)) + le(UInt32(32_000)) + le(UInt16(2)) + le(UInt16(16))
        wav += Array("data".utf8) + le(dataBytes) + [UInt8](repeating: 1, count: 100)
        let path = TestAudio.temporaryDirectory().appendingPathComponent("liar.wav").path
        try Data(wav).write(to: URL(fileURLWithPath: path))
        #expect { _ = try AudioFile.read(path: path) } throws: { "\($0)".contains("truncated") || "\($0)".contains("declares") }
    }
}

import Testing
import AudioIO
import Streaming

@Suite struct ResamplerTests {
    /// 48 kHz → 16 kHz → 48 kHz keeps a 1 kHz tone's level within 0.1 dB.
    @Test func roundTripKeepsToneLevel() throws {
        let tone = TestAudio.tone(hz: 1000, rate: 48_000, seconds: 1)
        let down = try Resampler.resample(tone, from: 48_000, to: 16_000)
        let up = try Resampler.resample(down, from: 16_000, to: 48_000)
        #expect(abs(down.count - 16_000) <= 2)
        #expect(abs(up.count - 48_000) <= 2)
        // Compare the steady-state middle, away from the filters' edges.
        let change = TestAudio.decibels(TestAudio.rms(up[8_000..<40_000]) / TestAudio.rms(tone[8_000..<40_000]))
        print("48k→16k→48k, 1 kHz tone: level change \(change) dB")
        #expect(abs(change) < 0.1, "level changed by \(change) dB")
    }

    @Test(arguments: [(16_000, 22_050), (16_000, 24_000), (22_050, 24_000), (22_050, 48_000), (24_000, 48_000), (48_000, 22_050), (24_000, 16_000)])
    func everyPipelineRatePairKeepsLengthAndLevel(pair: (Int, Int)) throws {
        let (from, to) = pair
        let tone = TestAudio.tone(hz: 440, rate: from, seconds: 1)
        let out = try Resampler.resample(tone, from: from, to: to)
        #expect(abs(out.count - to) <= 2)
        let change = TestAudio.decibels(TestAudio.rms(out[to / 4..<3 * to / 4]) / TestAudio.rms(tone[from / 4..<3 * from / 4]))
        #expect(abs(change) < 0.1)
    }

    /// Chunk-by-chunk output equals the one-shot output: no seams at chunk boundaries.
    @Test func streamingHasNoSeams() throws {
        let signal = TestAudio.tone(hz: 700, rate: 24_000, seconds: 0.8)
        let whole = try Resampler.resample(signal, from: 24_000, to: 48_000)
        let streaming = try Resampler(from: 24_000, to: 48_000)
        var pieces = [Float]()
        var offset = 0
        var size = 37
        while offset < signal.count {
            let end = min(signal.count, offset + size)
            pieces += try streaming.process(Array(signal[offset..<end]))
            offset = end
            size = size * 7 % 911 + 13
        }
        pieces += try streaming.flush()
        #expect(pieces.count == whole.count)
        let maxDiff = zip(pieces, whole).map { abs($0 - $1) }.max() ?? 1
        #expect(maxDiff < 1e-5, "largest difference between chunked and whole output: \(maxDiff)")
    }

    @Test func sameRateIsIdentity() throws {
        let x: [Float] = [0.1, 0.2, 0.3]
        #expect(try Resampler.resample(x, from: 16_000, to: 16_000) == x)
    }

    @Test func invalidRatesAreErrors() {
        #expect(throws: AudioError.self) { try Resampler(from: 0, to: 16_000) }
        #expect(throws: AudioError.self) { try Resampler(from: 16_000, to: -1) }
    }
}

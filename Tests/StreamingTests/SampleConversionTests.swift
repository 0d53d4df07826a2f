import Testing
import AudioIO
@testable import Streaming

@Suite struct SampleConversionTests {
    @Test func int16RoundTripIsExact() {
        let ints: [Int16] = [-32768, -12345, -1, 0, 1, 12345, 32767]
        #expect(SampleConversion.floatToInt16(SampleConversion.int16ToFloat(ints)) == ints)
    }

    @Test func floatToInt16ClipsAndRejectsNaN() {
        #expect(SampleConversion.floatToInt16([2, -2, .nan, .infinity, -.infinity]) == [32767, -32768, 0, 32767, -32768])
    }

    @Test func pcm16LittleEndianBytes() throws {
        let bytes: [UInt8] = [0x01, 0x00, 0xff, 0xff, 0x00, 0x80]
        let floats = try SampleConversion.pcm16LEToFloat(bytes)
        #expect(floats == [1 / 32768, -1 / 32768, -1])
        #expect(SampleConversion.floatToPCM16LE(floats) == bytes)
    }

    @Test func base64RoundTrip() throws {
        let samples: [Float] = [0, 0.25, -0.5, 0.999]
        let text = SampleConversion.floatToBase64PCM16(samples)
        let back = try SampleConversion.base64PCM16ToFloat(text)
        for (a, b) in zip(samples, back) { #expect(abs(a - b) < 1.0 / 32768) }
    }

    @Test func malformedPCMIsAnError() {
        #expect(throws: AudioError.self) { try SampleConversion.pcm16LEToFloat([1, 2, 3]) }
        #expect(throws: AudioError.self) { try SampleConversion.base64PCM16ToFloat("not base64 at all!") }
    }

    @Test func downmixAveragesChannels() {
        #expect(SampleConversion.downmix(interleaved: [1, 0, 0.5, 0.5, -1, 1], channels: 2) == [0.5, 0.5, 0])
    }
}

import Foundation
import Testing
import AudioIO
import Streaming

@Suite struct OggOpusTests {
    static func packets(_ count: Int) throws -> [[UInt8]] {
        let encoder = try OpusEncoder()
        let tone = TestAudio.tone(hz: 440, rate: 48_000, seconds: Double(count) * 0.02)
        return try (0..<count).map { try encoder.encode(Array(tone[$0 * 960..<($0 + 1) * 960])) }
    }

    @Test func writerOutputReadsBackPacketForPacket() throws {
        let packets = try Self.packets(120)
        let writer = try OggOpusWriter(serial: 7)
        var bytes = writer.headerPages()
        for (i, p) in packets.enumerated() { bytes += writer.append(packet: p, isLast: i == packets.count - 1) }

        // Fed in arbitrary pieces, as WebSocket frames would bring it.
        let reader = OggOpusReader()
        var read = [[UInt8]]()
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + 777)
            read += try reader.push(Array(bytes[offset..<end]))
            offset = end
        }
        #expect(read == packets)
        #expect(reader.preSkip == 312)
    }

    /// The pages are a valid Ogg Opus file for another decoder: libsndfile reads it back.
    /// (libsndfile refuses streams whose first audio page is also the last, so this one spans several.)
    @Test func libsndfileReadsOurOggOpus() throws {
        let packets = try Self.packets(150)
        let writer = try OggOpusWriter()
        var bytes = writer.headerPages()
        for (i, p) in packets.enumerated() { bytes += writer.append(packet: p, isLast: i == packets.count - 1) }
        let path = TestAudio.temporaryDirectory().appendingPathComponent("ours.opus")
        try Data(bytes).write(to: path)
        let audio = try AudioFile.read(path: path.path)
        #expect(abs(audio.duration - 3.0) < 0.03)
        #expect(TestAudio.rms(audio.samples[4_800..<40_000]) > 0.2)
    }

    @Test func garbageIsAnError() throws {
        let reader = OggOpusReader()
        #expect(throws: AudioError.self) { try reader.push(Array("definitely not an ogg stream".utf8)) }
    }

    @Test func nonOpusOggIsAnError() throws {
        // An Ogg Vorbis file from libsndfile: valid pages, wrong codec.
        let path = TestAudio.temporaryDirectory().appendingPathComponent("v.ogg").path
        try AudioFile.write(TestAudio.tone(hz: 440, rate: 16_000, seconds: 0.2), sampleRate: 16_000, to: path)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(throws: AudioError.self) { try OggOpusReader().push(bytes) }
    }
}

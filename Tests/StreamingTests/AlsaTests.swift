import Foundation
import Testing
import AudioIO
import Streaming

/// Real libasound code, no sound card: ALSA's `file` plugin feeds a raw file as the capture
/// stream (over the `null` PCM) and records playback into a file.
@Suite struct AlsaTests {
    static func captureConfig(name: String, infile: String) -> String {
        "pcm.\(name) { type file; slave.pcm \"null\"; file \"/dev/null\"; infile \"\(infile)\"; format \"raw\" }"
    }

    static func playbackConfig(name: String, outfile: String) -> String {
        "pcm.\(name) { type file; slave.pcm \"null\"; file \"\(outfile)\"; format \"raw\" }"
    }

    /// A ramp of distinct 16-bit values, so order and loss are visible sample by sample.
    static func rampFile(samples: Int) throws -> (path: String, values: [Int16]) {
        let values = (0..<samples).map { Int16(truncatingIfNeeded: ($0 % 60_000) - 30_000) }
        let path = TestAudio.temporaryDirectory().appendingPathComponent("ramp.raw").path
        let bytes = values.flatMap { v -> [UInt8] in let u = UInt16(bitPattern: v); return [UInt8(u & 0xff), UInt8(u >> 8)] }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return (path, values)
    }

    static func readAll(_ ring: SPSCRingBuffer<Float>, count: Int, timeout: Double) -> [Float] {
        var out = [Float]()
        let deadline = Date().addingTimeInterval(timeout)
        while out.count < count, Date() < deadline {
            out += ring.read(maxCount: count - out.count)
            usleep(5_000)
        }
        return out
    }

    @Test func captureYieldsExactlyTheFedSamples() throws {
        let (path, values) = try Self.rampFile(samples: 16_000)
        let config = AlsaDeviceConfiguration(device: "rt_capture", sampleRate: 16_000, configText: Self.captureConfig(name: "rt_capture", infile: path))
        let capture = try AlsaCapture(config)
        #expect(capture.pcm.hasClock == false)
        #expect(capture.pcm.periodFrames == 320)
        capture.start()
        let got = Self.readAll(capture.ring, count: values.count, timeout: 10)
        capture.stop()
        #expect(got.count == values.count)
        #expect(SampleConversion.floatToInt16(got) == values)
        #expect(capture.ring.droppedCount == 0)
        #expect(capture.status.failureCode == 0)
    }

    /// The reader stalls for longer than the ring holds: the overflow is counted, capture keeps
    /// going, and what arrives afterwards is the file's continuation, in order, with exactly the
    /// counted samples missing.
    @Test func stalledReaderIsCountedAndRecovered() throws {
        let (path, values) = try Self.rampFile(samples: 32_000)
        let config = AlsaDeviceConfiguration(device: "rt_stall", sampleRate: 16_000, periodMs: 10, configText: Self.captureConfig(name: "rt_stall", infile: path))
        let capture = try AlsaCapture(config, ringSeconds: 0.25)
        capture.start()
        var got = Self.readAll(capture.ring, count: 1_600, timeout: 5)
        Thread.sleep(forTimeInterval: 0.7)  // the stall: 0.7 s against a 0.256 s ring
        let dropped = capture.ring.droppedCount
        got += Self.readAll(capture.ring, count: values.count - dropped - got.count, timeout: 10)
        capture.stop()
        #expect(dropped > 0)
        #expect(capture.status.failureCode == 0)
        let ints = SampleConversion.floatToInt16(got)
        // Everything read is the file with one gap whose length is the drop count.
        let gapAt = (0..<ints.count).first { ints[$0] != values[$0] } ?? ints.count
        #expect(gapAt >= 1_600)
        let resumeAt = gapAt + dropped
        let afterGap = Array(ints[gapAt...])
        let expectedAfterGap = Array(values[resumeAt..<(resumeAt + afterGap.count)])
        #expect(afterGap == expectedAfterGap)
    }

    @Test func playbackWritesExactlyTheQueuedSamples() throws {
        let out = TestAudio.temporaryDirectory().appendingPathComponent("played.raw").path
        let config = AlsaDeviceConfiguration(device: "rt_play", sampleRate: 24_000, configText: Self.playbackConfig(name: "rt_play", outfile: out))
        let playback = try AlsaPlayback(config)
        let tone = SampleConversion.int16ToFloat(SampleConversion.floatToInt16(TestAudio.tone(hz: 500, rate: 24_000, seconds: 0.3)))
        playback.ring.write(tone)
        playback.start()
        let deadline = Date().addingTimeInterval(5)
        while playback.status.frameCount < tone.count + 2 * 480, Date() < deadline { usleep(10_000) }
        playback.stop()
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: out)))
        let played = try SampleConversion.pcm16LEToFloat(bytes)
        #expect(played.count >= tone.count)
        #expect(Array(played.prefix(tone.count)) == tone)
        #expect(played.dropFirst(tone.count).allSatisfy { $0 == 0 })  // silence after the reply
    }

    @Test func interruptStopsPlaybackWithinAPeriod() throws {
        let out = TestAudio.temporaryDirectory().appendingPathComponent("cut.raw").path
        let config = AlsaDeviceConfiguration(device: "rt_cut", sampleRate: 24_000, configText: Self.playbackConfig(name: "rt_cut", outfile: out))
        let playback = try AlsaPlayback(config)
        playback.ring.write([Float](repeating: 0.5, count: 24_000 * 3))
        playback.start()
        Thread.sleep(forTimeInterval: 0.3)
        #expect(playback.isPlaying)
        playback.interrupt()
        Thread.sleep(forTimeInterval: 0.1)
        #expect(!playback.isPlaying)
        #expect(playback.ring.availableToRead == 0)
        playback.stop()
    }

    @Test func missingDeviceIsATypedError() {
        do {
            _ = try AlsaCapture(AlsaDeviceConfiguration(device: "no_such_device_here", sampleRate: 16_000))
            Issue.record("opened a device that does not exist")
        } catch {
            guard case let .alsa(device, operation, _) = error else { Issue.record("wrong error \(error)"); return }
            #expect(device == "no_such_device_here")
            #expect(operation == "open")
        }
    }

    @Test func malformedConfigIsATypedError() {
        #expect(throws: AudioError.self) {
            try AlsaPlayback(AlsaDeviceConfiguration(device: "x", sampleRate: 16_000, configText: "pcm.x { type"))
        }
    }
}

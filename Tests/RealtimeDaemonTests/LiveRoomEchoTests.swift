import AudioIO
import Foundation
import Testing
import TestSupport

/// The echo canceller on live ALSA devices, without models: a reply played through the room's
/// speaker (ALSA's file plugin into a FIFO), its echo read back from the room's microphone, and
/// the loop's pairing of the two (what the speaker was sent, its reported delay) measured and
/// cancelled as the daemon's loop does it. The room's own delay and the FIFOs' buffering are not
/// reported by the device, so the alignment has to find them.
@Suite(.serialized) struct LiveRoomEchoTests {
    @Test func theLoopFindsAndCancelsTheEchoOfALiveSpeaker() throws {
        let room = try LiveRoom()
        room.start()
        defer { room.stop() }
        let config = try String(contentsOf: room.alsaConfig, encoding: .utf8)
        let capture = try AlsaCapture(AlsaDeviceConfiguration(device: "roommic", sampleRate: LiveRoom.rate, configText: config))
        let playback = try AlsaPlayback(AlsaDeviceConfiguration(device: "roomspeaker", sampleRate: LiveRoom.rate, configText: config))
        capture.start()
        playback.start()
        defer { capture.stop(); playback.stop() }
        let canceller = try AligningEchoCanceller()
        let reply = try (0..<6).flatMap { try EchoRoomTests.speech("piper-0\($0).flac") + [Float](repeating: 0, count: LiveRoom.rate / 10) }
        Thread.sleep(forTimeInterval: 0.5)
        _ = playback.ring.write(reply)

        var near: [Float] = [], out: [Float] = [], far: [Float] = []
        var buffer = [Float](repeating: 0, count: LiveRoom.rate), sent = buffer
        let deadline = Date().addingTimeInterval(Double(reply.count) / Double(LiveRoom.rate) + 1)
        while Date() < deadline {
            Thread.sleep(forTimeInterval: 0.02)
            let n = buffer.withUnsafeMutableBufferPointer { capture.ring.read(into: $0) }
            let m = sent.withUnsafeMutableBufferPointer { playback.sent.read(into: $0) }
            canceller.appendFar(Array(sent[0..<m]))
            near += buffer[0..<n]
            far += sent[0..<m]
            out += canceller.process(near: Array(buffer[0..<n]), deviceDelay: playback.status.delayFrames)
        }
        let alignment = canceller.alignment
        print("live room: \(near.count) microphone and \(far.count) speaker samples; echo measured \(alignment.measured) at \((alignment.echoDelay ?? -1) * 1000 / LiveRoom.rate) ms (correlation \(String(format: "%.2f", alignment.correlation))); device delay \(playback.status.delayFrames); ERLE estimate \(String(format: "%.1f", canceller.canceller.statistics.enhancementDB)) dB")
        #expect(alignment.measured)
        #expect(canceller.canceller.statistics.enhancementDB >= 25)
    }
}

import AudioIO
import Foundation
import Synchronization
import TestSupport

/// The daemon's speaker and microphone joined through a simulated room, in real time: ALSA's file
/// plugin writes what the speaker plays into one FIFO and reads the microphone from another, and a
/// thread here turns every 20 ms the speaker played into the 20 ms the microphone hears (the
/// room's echo and noise, plus the user's voice when the test speaks). The daemon's playback
/// thread is the clock: the microphone hears exactly as much as the speaker played.
final class LiveRoom: @unchecked Sendable {
    static let rate = 16_000
    let directory: URL
    let alsaConfig: URL
    private let room: TestRoom
    private let speakerFD: Int32
    private let microphoneFD: Int32
    private let state = Mutex(State())
    private var thread: Thread?

    private struct State {
        var user: [Float] = []
        var running = true
        /// Mean power of the echo over the last second, and how long the speaker has played
        /// without a pause of 0.5 s.
        var echoPower = 0.0
        var speakingSamples = 0
        var quietSamples = 0
    }

    init(room: TestRoom = TestRoom(delayMilliseconds: 40, reverberationSeconds: 0.3, echoGainDB: -6)) throws {
        self.room = room
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("rtd-room-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let speaker = directory.appendingPathComponent("speaker.fifo").path
        let microphone = directory.appendingPathComponent("microphone.fifo").path
        guard mkfifo(speaker, 0o600) == 0, mkfifo(microphone, 0o600) == 0 else { throw CocoaError(.fileWriteUnknown) }
        // Opened read-write so that neither side's open blocks waiting for the other.
        speakerFD = open(speaker, O_RDWR)
        microphoneFD = open(microphone, O_RDWR)
        // One page each (128 ms of audio), as a device's buffer would hold, not the default
        // 64 KiB (2 s): what waits in them is delay the daemon is not told about.
        let setPipeSize: Int32 = 1031  // F_SETPIPE_SZ
        _ = fcntl(speakerFD, setPipeSize, 4096)
        _ = fcntl(microphoneFD, setPipeSize, 4096)
        alsaConfig = directory.appendingPathComponent("asound.conf")
        try """
            pcm.roommic { type file; slave.pcm "null"; file "/dev/null"; infile "\(microphone)"; format "raw" }
            pcm.roomspeaker { type file; slave.pcm "null"; file "\(speaker)"; format "raw" }
            """.write(to: alsaConfig, atomically: true, encoding: .utf8)
    }

    deinit {
        stop()
        close(speakerFD)
        close(microphoneFD)
        try? FileManager.default.removeItem(at: directory)
    }

    /// `realtime-daemon serve` settings for these devices.
    var daemonSettings: [String] {
        ["--set", "audio.enabled=on", "--set", "audio.capture_device=roommic", "--set", "audio.playback_device=roomspeaker",
         "--set", "audio.alsa_config=\(alsaConfig.path)", "--set", "audio.capture_rate=\(Self.rate)",
         "--set", "audio.playback_rate=\(Self.rate)"]
    }

    func start() {
        let t = Thread { [self] in run() }
        t.name = "test-room"
        thread = t
        t.start()
    }

    /// Ends the room's thread: it may be waiting for the speaker (given a chunk of silence here)
    /// or for room in the microphone's FIFO (emptied here).
    func stop() {
        guard state.withLock({ let was = $0.running; $0.running = false; return was }) else { return }
        var silence = [Int16](repeating: 0, count: Self.rate / 50)
        _ = silence.withUnsafeMutableBytes { write(speakerFD, $0.baseAddress!, $0.count) }
        _ = fcntl(microphoneFD, F_SETFL, fcntl(microphoneFD, F_GETFL) | O_NONBLOCK)
        var sink = [UInt8](repeating: 0, count: 65_536)
        while read(microphoneFD, &sink, sink.count) > 0 {}
    }

    /// The user says `samples` (16 kHz) from the next 20 ms on, at their own level.
    func say(_ samples: [Float]) { state.withLock { $0.user += samples } }

    /// The user says `samples` at `decibels` relative to the echo's level over the last second.
    func say(_ samples: [Float], relativeToEcho decibels: Double) {
        let own = SignalLevel.decibels(samples)
        let echo = echoLevelDB
        say(samples.map { $0 * Float(pow(10, (echo + decibels - own) / 20)) })
    }

    var echoLevelDB: Double { 10 * log10(max(state.withLock { $0.echoPower }, 1e-12)) }
    /// Seconds the speaker has been playing (pauses under 0.5 s included); 0 when it is quiet.
    var speakingSeconds: Double { Double(state.withLock { $0.speakingSamples }) / Double(Self.rate) }
    var userIsSpeaking: Bool { state.withLock { !$0.user.isEmpty } }

    private func run() {
        var stream = TestRoom.Stream(room: room)
        let chunk = Self.rate / 50
        var raw = [Int16](repeating: 0, count: chunk)
        while state.withLock({ $0.running }) {
            guard readFully(&raw) else { return }
            let speaker = raw.map { Float($0) / 32768 }
            var microphone = stream.process(speaker)
            let speakerLoud = SignalLevel.decibels(speaker) > -50
            state.withLock { s in
                let echoPower = microphone.reduce(0.0) { $0 + Double($1 * $1) } / Double(chunk)
                if speakerLoud { s.echoPower = 0.98 * s.echoPower + 0.02 * echoPower }
                if speakerLoud { s.quietSamples = 0; s.speakingSamples += chunk } else {
                    s.quietSamples += chunk
                    if s.quietSamples >= Self.rate / 2 { s.speakingSamples = 0 } else if s.speakingSamples > 0 { s.speakingSamples += chunk }
                }
                let n = min(chunk, s.user.count)
                for i in 0..<n { microphone[i] += s.user[i] }
                s.user.removeFirst(n)
            }
            var out = microphone.map { Int16(max(-32768, min(32767, ($0 * 32768).rounded()))) }
            guard writeFully(&out) else { return }
        }
    }

    private func readFully(_ buffer: inout [Int16]) -> Bool {
        buffer.withUnsafeMutableBytes { raw in Self.transferAll(raw.count) { read(speakerFD, raw.baseAddress! + $0, $1) } }
    }

    private func writeFully(_ buffer: inout [Int16]) -> Bool {
        buffer.withUnsafeBytes { raw in Self.transferAll(raw.count) { write(microphoneFD, raw.baseAddress! + $0, $1) } }
    }

    /// Repeats `transfer(offset, remaining)` (a read or a write) until `bytes` have moved; false
    /// if the descriptor ends or fails first.
    private static func transferAll(_ bytes: Int, _ transfer: (Int, Int) -> Int) -> Bool {
        var done = 0
        while done < bytes {
            let n = transfer(done, bytes - done)
            if n <= 0 { return false }
            done += n
        }
        return true
    }
}

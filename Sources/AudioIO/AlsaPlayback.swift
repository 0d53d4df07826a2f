import Glibc
import Synchronization

/// Speaker playback on a dedicated thread: the session writes float samples into a lock-free ring
/// buffer; the thread moves one period at a time to ALSA, filling with silence when nothing is
/// queued so the device never starves.
///
/// `interrupt()` (barge-in) is honoured within one period: the thread discards what is queued in
/// the ring and in the device.
public final class AlsaPlayback: @unchecked Sendable {
    public let pcm: AlsaPCM
    public let ring: SPSCRingBuffer<Float>
    /// Every sample sent to the device, silence included, in order, as it is sent: the echo
    /// canceller's far-end signal. Its reader must keep up (1 s of room); what it misses is lost.
    public let sent: SPSCRingBuffer<Float>
    public let status = AudioDeviceStatus()
    private let runner = AudioThreadRunner()
    private let flags = Flags()

    /// Flags shared between the owner and the playback thread.
    private final class Flags: Sendable {
        let interruptRequested = Atomic<Bool>(false)
        let playing = Atomic<Bool>(false)
    }

    /// - Parameter ringSeconds: how much reply audio may be queued ahead of the speaker.
    public init(_ configuration: AlsaDeviceConfiguration, ringSeconds: Double = 30) throws(AudioError) {
        pcm = try AlsaPCM(configuration, direction: .playback)
        ring = SPSCRingBuffer(minimumCapacity: Int(Double(pcm.sampleRate) * ringSeconds), zero: 0)
        sent = SPSCRingBuffer(minimumCapacity: pcm.sampleRate, zero: 0)
    }

    deinit { runner.stop() }

    public var sampleRate: Int { pcm.sampleRate }

    /// True while queued audio is being played (used to gate the microphone against our own voice).
    public var isPlaying: Bool { flags.playing.load(ordering: .relaxed) }

    /// Drops everything queued, in the ring and in the device, within one period.
    public func interrupt() { flags.interruptRequested.store(true, ordering: .relaxed) }

    public func start() {
        let pcm = self.pcm, ring = self.ring, sent = self.sent, status = self.status, runner = self.runner
        let flags = self.flags
        runner.start(name: "alsa-playback") {
            let period = pcm.periodFrames
            let samples = UnsafeMutableBufferPointer<Float>.allocate(capacity: period)
            let raw = UnsafeMutableBufferPointer<Int16>.allocate(capacity: period)
            defer { samples.deallocate(); raw.deallocate() }
            var pacer = RealTimePacer()
            while runner.shouldRun {
                if flags.interruptRequested.exchange(false, ordering: .relaxed) {
                    ring.drain()
                    pcm.dropPending()
                }
                let got = ring.read(into: samples)
                if got < period {
                    // Silence fills the rest; a gap inside a reply counts as starvation.
                    for i in got..<period { samples[i] = 0 }
                    if got > 0 { status.starvedFrames.add(period - got, ordering: .relaxed) }
                }
                flags.playing.store(got > 0, ordering: .relaxed)
                _ = sent.write(UnsafeBufferPointer(samples), countDrops: false)
                SampleConversion.floatToInt16(UnsafeBufferPointer(samples), into: raw)
                var offset = 0
                while offset < period, runner.shouldRun {
                    if pcm.hasClock, case .failed(let code) = pcm.waitReady(milliseconds: 200) {
                        status.failure.store(code, ordering: .relaxed)
                        return
                    }
                    switch pcm.write(UnsafeBufferPointer(rebasing: raw[offset..<period])) {
                    case .frames(0):
                        // Not ready (a clockless PCM said so): a short pause instead of spinning.
                        if !pcm.hasClock { usleep(1_000) }
                    case .frames(let n):
                        offset += n
                        status.frames.add(n, ordering: .relaxed)
                    case .recoveredXrun:
                        status.xruns.add(1, ordering: .relaxed)
                    case .failed(let code):
                        status.failure.store(code, ordering: .relaxed)
                        return
                    }
                }
                if let delay = pcm.delayFrames() { status.delay.store(delay, ordering: .relaxed) }
                if !pcm.hasClock { pacer.wait(frames: period, rate: pcm.sampleRate) }
            }
            pcm.drain()
        }
    }

    public func stop() { runner.stop() }
}

/// Microphone capture on a dedicated thread: ALSA periods are converted to float and pushed into
/// a lock-free ring buffer that the session drains at its own pace.
///
/// The loop allocates nothing, takes no locks and logs nothing. An ALSA overrun is recovered and
/// counted in `status.xrunCount`; samples the ring cannot take because its reader stalled are
/// counted in `ring.droppedCount`, so a consumer that falls behind is seen, not hidden.
public final class AlsaCapture: @unchecked Sendable {
    public let pcm: AlsaPCM
    public let ring: SPSCRingBuffer<Float>
    public let status = AudioDeviceStatus()
    private let runner = AudioThreadRunner()

    /// - Parameter ringSeconds: how much audio may wait for the reader before samples are dropped.
    public init(_ configuration: AlsaDeviceConfiguration, ringSeconds: Double = 2) throws(AudioError) {
        pcm = try AlsaPCM(configuration, direction: .capture)
        ring = SPSCRingBuffer(minimumCapacity: Int(Double(pcm.sampleRate) * ringSeconds), zero: 0)
    }

    deinit { runner.stop() }

    public var sampleRate: Int { pcm.sampleRate }

    public func start() {
        let pcm = self.pcm, ring = self.ring, status = self.status, runner = self.runner
        runner.start(name: "alsa-capture") {
            let period = pcm.periodFrames
            let raw = UnsafeMutableBufferPointer<Int16>.allocate(capacity: period)
            let converted = UnsafeMutableBufferPointer<Float>.allocate(capacity: period)
            defer { raw.deallocate(); converted.deallocate() }
            var pacer = RealTimePacer()
            while runner.shouldRun {
                if pcm.hasClock, case .failed(let code) = pcm.waitReady(milliseconds: 200) {
                    status.failure.store(code, ordering: .relaxed)
                    return
                }
                switch pcm.read(into: raw) {
                case .frames(let n) where n > 0:
                    SampleConversion.int16ToFloat(UnsafeBufferPointer(rebasing: raw[0..<n]), into: converted)
                    ring.write(UnsafeBufferPointer(rebasing: converted[0..<n]))
                    status.frames.add(n, ordering: .relaxed)
                    if !pcm.hasClock { pacer.wait(frames: n, rate: pcm.sampleRate) }
                case .frames:
                    if !pcm.hasClock { pacer.wait(frames: period, rate: pcm.sampleRate) }
                case .recoveredXrun:
                    status.xruns.add(1, ordering: .relaxed)
                case .failed(let code):
                    status.failure.store(code, ordering: .relaxed)
                    return
                }
            }
        }
    }

    public func stop() { runner.stop() }
}

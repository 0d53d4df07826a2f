/// speexdsp's echo canceller, with WebRTC's standing in while speexdsp learns the room.
///
/// speexdsp lets the user talk over the reply nearly untouched, but takes about 2 s of the
/// speaker's sound to take its echo 25 dB down (its residual echo suppression waits for its
/// estimate of the filter's leak to settle). WebRTC's learns in under a second but takes 6–8 dB
/// off a user who talks over the reply. So both run on every frame from a fresh start, and the
/// output is WebRTC's until speexdsp's own output, measured against the microphone while the
/// speaker plays, is `handOverDB` quieter; then it is speexdsp's alone, faded over one frame,
/// and WebRTC's stops computing. `reset()` (a new echo path) starts the bridge again.
final class BridgedEchoFilter: EchoFilter {
    /// speexdsp's echo removal, smoothed over the speaker's frames, at which it takes over.
    static let handOverDB = 25.0

    let frameSamples: Int
    /// speexdsp's latency; WebRTC's output, which trails its input less, is delayed to match.
    let latencySamples: Int
    /// Whether WebRTC's output is the one given.
    private(set) var bridging = true
    private let main: SpeexEchoFilter
    private let bridge: WebRTCEchoFilter
    private var mainOut: [Int16]
    private var bridgeIn: (near: [Int16], far: [Int16], out: [Int16])
    /// WebRTC's output, delayed by the difference of the two latencies.
    private var bridgeQueue: [Int16]
    /// speexdsp's own removal, over about half a second of the speaker's frames.
    private var removal = EchoRemovalMeter(decay: 0.95)

    init(_ settings: EchoCanceller.Settings) throws(AudioError) {
        main = try SpeexEchoFilter(settings)
        bridge = try WebRTCEchoFilter(settings)
        guard main.frameSamples % bridge.frameSamples == 0, main.latencySamples >= bridge.latencySamples else {
            throw .echoCanceller("a \(main.frameSamples)-sample frame with \(main.latencySamples) samples of latency cannot carry WebRTC's \(bridge.frameSamples)-sample frames with \(bridge.latencySamples)")
        }
        frameSamples = main.frameSamples
        latencySamples = main.latencySamples
        mainOut = [Int16](repeating: 0, count: frameSamples)
        let small = [Int16](repeating: 0, count: bridge.frameSamples)
        bridgeIn = (small, small, small)
        bridgeQueue = [Int16](repeating: 0, count: latencySamples - bridge.latencySamples)
    }

    func cancel(near: [Int16], far: [Int16], into out: inout [Int16]) {
        main.cancel(near: near, far: far, into: &mainOut)
        guard bridging else {
            for i in 0..<frameSamples { out[i] = mainOut[i] }
            return
        }
        let step = bridge.frameSamples
        for start in stride(from: 0, to: frameSamples, by: step) {
            for i in 0..<step {
                bridgeIn.near[i] = near[start + i]
                bridgeIn.far[i] = far[start + i]
            }
            bridge.cancel(near: bridgeIn.near, far: bridgeIn.far, into: &bridgeIn.out)
            bridgeQueue += bridgeIn.out
        }
        removal.add(near: near, far: far, out: mainOut)
        // Half a second of the speaker's sound before any verdict.
        let handOver = removal.frames >= 25 && removal.decibels >= Self.handOverDB
        for i in 0..<frameSamples {
            guard handOver else { out[i] = bridgeQueue[i]; continue }
            // A linear fade from the bridge to speexdsp over this frame.
            let w = Float(i + 1) / Float(frameSamples)
            out[i] = Int16(clamping: Int(((1 - w) * Float(bridgeQueue[i]) + w * Float(mainOut[i])).rounded()))
        }
        bridgeQueue.removeFirst(frameSamples)
        if handOver { bridging = false }
    }

    func reset() {
        main.reset()
        bridge.reset()
        bridging = true
        removal = EchoRemovalMeter(decay: 0.95)
        bridgeQueue = [Int16](repeating: 0, count: latencySamples - bridge.latencySamples)
    }
}

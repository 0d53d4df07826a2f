/// Pairs each microphone sample with the speaker sample whose echo it can hold, for the echo
/// canceller: the far-end signal must reach the canceller no later than its echo does.
///
/// The speaker's samples arrive (as they are sent to the device) well before their echo: they
/// wait in the device for `delay` samples' time, cross the room, and are captured and read. The
/// pairing is a fixed offset between the two streams' sample counts, set after `warmUp` calls
/// (the devices' start-up bursts past, the reads' jitter averaged) so that a microphone sample
/// meets the speaker sample sent `delay` before it was read; until then the far end is silence.
/// It stays fixed (an adaptive filter needs a still echo path) until the two streams drift
/// apart by more than `tolerance` samples (clocks of separate devices, a delay the device
/// changed), and is then set again; the filter follows the step.
public struct EchoAlignment: Sendable {
    /// Far-end index = microphone index + offset, once set.
    public private(set) var offset: Int?
    /// How often the offset was set again after a drift.
    public private(set) var realignments = 0
    public let tolerance: Int
    private var far: [Float] = []
    /// Index of `far[0]` in the far-end stream, and how many far-end samples came in all.
    private var farStart = 0
    private var farCount = 0
    private var nearCount = 0
    private var measured: Double?
    private var calls = 0
    public let warmUp: Int

    public init(tolerance: Int, warmUp: Int = 25) {
        self.tolerance = tolerance
        self.warmUp = warmUp
    }

    /// The speaker's samples, as they were sent to the device.
    public mutating func appendFar(_ samples: [Float]) {
        far += samples
        farCount += samples.count
    }

    /// The far-end samples for the next `count` microphone samples (just read), where a speaker
    /// sample takes `delay` samples' time from being sent to being read back as echo (or more:
    /// what is left is the filter's to find). Samples not sent (before the start) are silence.
    public mutating func far(forNext count: Int, delay: Int) -> [Float] {
        let current = farCount - delay - (nearCount + count)
        let smoothed = measured.map { 0.9 * $0 + 0.1 * Double(current) } ?? Double(current)
        measured = smoothed
        calls += 1
        if offset == nil, calls >= warmUp {
            offset = Int(smoothed.rounded())
        } else if let set = offset, abs(smoothed - Double(set)) > Double(tolerance) {
            offset = Int(smoothed.rounded())
            realignments += 1
        }
        let shift = offset ?? Int(smoothed.rounded())
        var out = [Float](repeating: 0, count: count)
        for j in 0..<count where offset != nil {
            let index = nearCount + j + shift
            if index >= farStart, index < farCount { out[j] = far[index - farStart] }
        }
        nearCount += count
        // Keep what later microphone samples can still be paired with.
        let keepFrom = min(farCount, max(farStart, nearCount + shift - tolerance * 2))
        if keepFrom > farStart {
            far.removeFirst(keepFrom - farStart)
            farStart = keepFrom
        }
        return out
    }
}

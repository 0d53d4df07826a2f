/// Pairs each microphone sample with the speaker sample whose echo it can hold, for the echo
/// canceller: the far-end signal must reach the canceller no later than its echo does.
///
/// The speaker's samples arrive (as they are sent to the device) well before their echo: they
/// wait in the device, cross the room, and are captured and read. The pairing is a fixed offset
/// between the two streams' sample counts. The first guess comes from the device's reported delay
/// (after `warmUp` calls, once start-up bursts are past); as soon as the speaker has played
/// enough, `EchoDelayEstimator` measures where the echo really is, and the offset is put
/// `margin` samples after that (so that the far end leads its echo a little; the filter's tail
/// holds the rest). It stays fixed (an adaptive filter needs a still echo path) until estimates
/// from two windows that do not overlap put the echo more than `tolerance` samples earlier, or
/// three times that later (clocks of separate devices, a delay the device changed), and is then
/// set again.
public struct EchoAlignment: Sendable {
    /// Far-end index = microphone index + offset, once set.
    public private(set) var offset: Int?
    /// Whether the offset was measured from the echo (true) or guessed from the device (false).
    public private(set) var measured = false
    /// How often a measured offset was set again after the echo path moved.
    public private(set) var realignments = 0
    /// The latest estimate's envelope correlation (0 before any).
    public private(set) var correlation = 0.0
    public let tolerance: Int
    public let margin: Int
    public let warmUp: Int
    private var estimator: EchoDelayEstimator
    private var far: [Float] = []
    /// Index of `far[0]` in the far-end stream, and how many far-end samples came in all.
    private var farStart = 0
    private var farCount = 0
    private var nearCount = 0
    /// Far count minus microphone count as reads see it, smoothed (read jitter averaged).
    private var lead: Double?
    private var calls = 0
    private var sinceEstimate = 0
    private let estimateEvery: Int
    /// An estimate that would move the offset, and the microphone sample count it was made at,
    /// waiting for one from a window that does not overlap its own to agree.
    private var unconfirmed: (offset: Int, at: Int)?
    /// Correlation a move needs: more than a first measurement, since the user talking over the
    /// reply can make a wrong offset match by chance (0.70 was seen; right ones gave 0.83-0.91).
    public let moveCorrelation = 0.8

    /// - Parameters:
    ///   - sampleRate: of both streams.
    ///   - tolerance: how far (samples) the echo may move before the offset follows.
    ///   - margin: how far (samples) the far end is put ahead of the measured echo.
    public init(sampleRate: Int, tolerance: Int, margin: Int, warmUp: Int = 25) {
        self.tolerance = tolerance
        self.margin = margin
        self.warmUp = warmUp
        estimator = EchoDelayEstimator(sampleRate: sampleRate)
        estimateEvery = sampleRate / 4
    }

    /// The speaker's samples, as they were sent to the device.
    public mutating func appendFar(_ samples: [Float]) {
        far += samples
        farCount += samples.count
        estimator.appendFar(samples)
    }

    /// The far-end samples paired with `near`, the microphone samples just read. `deviceDelay`
    /// (samples) is the device's own report of how long a sample sent now takes to be played:
    /// the first guess, until the echo has been measured. Samples not sent (before the start)
    /// are silence.
    public mutating func far(for near: [Float], deviceDelay: Int) -> [Float] {
        let count = near.count
        estimator.appendNear(near)
        let current = Double(farCount - (nearCount + count))
        let smoothed = lead.map { 0.9 * $0 + 0.1 * current } ?? current
        lead = smoothed
        calls += 1
        if offset == nil, calls >= warmUp { offset = Int(smoothed.rounded()) - deviceDelay }
        sinceEstimate += count
        if sinceEstimate >= estimateEvery {
            sinceEstimate = 0
            if let estimate = estimator.estimate() { adopt(estimate, lead: smoothed) }
        }
        var out = [Float](repeating: 0, count: count)
        if let shift = offset {
            for j in 0..<count {
                let index = nearCount + j + shift
                if index >= farStart, index < farCount { out[j] = far[index - farStart] }
            }
        }
        nearCount += count
        // Keep what later microphone samples can still be paired with, should the offset move
        // back as far as the estimator searches.
        let keepFrom = min(farCount, max(farStart, nearCount + (offset ?? 0) - estimator.searchBlocks * estimator.blockSize))
        if keepFrom > farStart {
            far.removeFirst(keepFrom - farStart)
            farStart = keepFrom
        }
        return out
    }

    /// How long (samples) a sample sent to the speaker takes to come back in the microphone as
    /// the pairing has it: measured, or the device's delay before that.
    public var echoDelay: Int? {
        guard let offset, let lead else { return nil }
        return Int(lead.rounded()) - offset + (measured ? margin : 0)
    }

    private mutating func adopt(_ estimate: EchoDelayEstimator.Estimate, lead: Double) {
        correlation = estimate.correlation
        // Never past the newest sample sent (the lead): that far end does not exist yet.
        let wanted = min(estimate.offset + margin, Int(lead.rounded()))
        guard measured, let current = offset else {
            // The device's guess stands if it was close enough: the filter keeps what it learnt.
            if offset == nil || abs(wanted - offset!) > tolerance { offset = wanted }
            measured = true
            return
        }
        // An echo come earlier than the margin allows cannot be cancelled; one come later only
        // uses more of the filter's tail, so that way it may move three times as far.
        guard wanted - current > tolerance || current - wanted > 3 * tolerance else { unconfirmed = nil; return }
        guard estimate.correlation >= moveCorrelation else { return }
        guard let previous = unconfirmed, abs(previous.offset - wanted) <= tolerance else {
            unconfirmed = (wanted, nearCount)
            return
        }
        if nearCount - previous.at >= estimator.windowBlocks * estimator.blockSize {
            offset = wanted
            realignments += 1
            unconfirmed = nil
        }
    }
}

/// Finds where the speaker's sound comes back in the microphone: the offset between the two
/// streams' sample counts at which their loudness envelopes match best.
///
/// The device's own report of its delay (`snd_pcm_delay`) misses the rest of the way: a USB
/// device's or a sound server's buffers, the converters, the air. A filter models only its tail
/// (250 ms), so an error larger than that leaves the echo uncancelled, and an error the other way
/// (the far end lagging its echo) can never be cancelled at all.
///
/// Both signals are reduced to 4 ms loudness blocks; the newest 0.75 to 1.25 s of the microphone are
/// correlated (Pearson) with the speaker's blocks at every candidate offset. Speech's
/// syllables and pitch make the peak sharp to a block or two; the room's reverberation moves it a
/// little towards later echo, which the caller's margin absorbs. An estimate is given only while
/// the speaker has been playing enough of the window and the peak is clear.
public struct EchoDelayEstimator: Sendable {
    public struct Estimate: Sendable, Equatable {
        /// Far-end index minus microphone index of the best match (samples).
        public var offset: Int
        /// Pearson correlation of the envelopes at that offset.
        public var correlation: Double
    }

    public let blockSize: Int
    /// The microphone's blocks compared: the newest `windowBlocks`, or all there are, at least
    /// `minimumWindowBlocks`.
    public let windowBlocks: Int
    public let minimumWindowBlocks: Int
    /// Furthest the echo can trail the speaker's newest sample, in blocks.
    public let searchBlocks: Int
    /// Correlation below this is not trusted (double talk, noise, a reply too quiet).
    public let minimumCorrelation: Double

    private var far = EnvelopeStream()
    private var near = EnvelopeStream()

    /// - Parameters:
    ///   - sampleRate: of both streams.
    ///   - maximumDelaySeconds: the longest echo path searched (device buffers included).
    ///   - windowSeconds: how much of the recent microphone each estimate compares.
    public init(sampleRate: Int, maximumDelaySeconds: Double = 1, windowSeconds: Double = 1.25, minimumCorrelation: Double = 0.5) {
        blockSize = max(1, sampleRate / 250)
        searchBlocks = Int(maximumDelaySeconds * Double(sampleRate)) / blockSize
        windowBlocks = Int(windowSeconds * Double(sampleRate)) / blockSize
        minimumWindowBlocks = windowBlocks * 3 / 5
        self.minimumCorrelation = minimumCorrelation
    }

    /// The speaker's samples, as they were sent to the device.
    public mutating func appendFar(_ samples: [Float]) {
        far.append(samples, blockSize: blockSize, keep: windowBlocks + searchBlocks + 2)
    }

    /// The microphone's samples, as they were read.
    public mutating func appendNear(_ samples: [Float]) {
        near.append(samples, blockSize: blockSize, keep: windowBlocks)
    }

    /// The best offset now, or nil when the window does not say: too little of the speaker
    /// playing in it, or no clear match.
    public func estimate() -> Estimate? {
        let nearEnd = near.blocks  // exclusive, in the microphone's block count
        let window = min(windowBlocks, nearEnd)
        guard window >= minimumWindowBlocks else { return nil }
        let nearStart = nearEnd - window
        let x = near.values(from: nearStart, count: window)
        let (xMean, xVar) = Self.moments(x)
        guard xVar > 0 else { return nil }
        // Offsets (in blocks) that put the far window inside what was sent and kept, newest
        // first: the microphone's newest block cannot hold an echo of a block not yet sent.
        let latest = far.blocks - nearEnd
        // Before its first sample the speaker was silent; what was dropped is unknown.
        let earliest = max(latest - searchBlocks, far.firstBlock == 0 ? Int.min / 2 : far.firstBlock - nearStart)
        guard latest >= earliest else { return nil }
        var best: (offset: Int, correlation: Double)?
        for offset in stride(from: latest, through: earliest, by: -1) {
            let y = far.values(from: nearStart + offset, count: window)
            guard Self.playing(y) else { continue }
            let (yMean, yVar) = Self.moments(y)
            guard yVar > 0 else { continue }
            var cov = 0.0
            for (a, b) in zip(x, y) { cov += (Double(a) - xMean) * (Double(b) - yMean) }
            let r = cov / (xVar * yVar).squareRoot()
            if r > (best?.correlation ?? -1) { best = (offset, r) }
        }
        guard let best, best.correlation >= minimumCorrelation else { return nil }
        return Estimate(offset: best.offset * blockSize, correlation: best.correlation)
    }

    /// More than half the window's blocks louder than −50 dBFS.
    private static func playing(_ y: ArraySlice<Float>) -> Bool {
        y.reduce(0) { $0 + ($1 > 0.00316 ? 1 : 0) } * 2 > y.count
    }

    /// Mean and sum of squared deviations.
    private static func moments(_ v: ArraySlice<Float>) -> (Double, Double) {
        let mean = v.reduce(0.0) { $0 + Double($1) } / Double(v.count)
        return (mean, v.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) })
    }
}

/// A signal reduced to the RMS of consecutive blocks, keeping the newest ones.
private struct EnvelopeStream: Sendable {
    /// Index of `kept[0]` in the block count, and how many blocks were completed in all.
    private(set) var firstBlock = 0
    private var kept: [Float] = []
    private var sum = 0.0
    private var count = 0

    var blocks: Int { firstBlock + kept.count }

    mutating func append(_ samples: [Float], blockSize: Int, keep: Int) {
        for s in samples {
            sum += Double(s) * Double(s)
            count += 1
            if count == blockSize {
                kept.append(Float((sum / Double(blockSize)).squareRoot()))
                sum = 0
                count = 0
            }
        }
        if kept.count > keep * 2 {
            let drop = kept.count - keep
            kept.removeFirst(drop)
            firstBlock += drop
        }
    }

    /// `count` blocks from block `start`, silence before the first (the rest kept: the caller
    /// checks).
    func values(from start: Int, count: Int) -> ArraySlice<Float> {
        guard start < 0 else { return kept[(start - firstBlock)..<(start - firstBlock + count)] }
        let silent = min(-start, count)
        return ArraySlice([Float](repeating: 0, count: silent) + kept[0..<(count - silent)])
    }
}

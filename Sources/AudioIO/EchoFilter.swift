/// One echo canceller's filter, frame by frame: what `EchoCanceller` runs its frames through.
protocol EchoFilter: AnyObject {
    /// Samples per frame: `cancel` takes exactly this many.
    var frameSamples: Int { get }
    /// How far the output trails the input, in samples.
    var latencySamples: Int { get }
    /// Writes `near` without the echo of `far` into `out` (all `frameSamples` long).
    func cancel(near: [Int16], far: [Int16], into out: inout [Int16])
    /// Starts adapting afresh.
    func reset()
}

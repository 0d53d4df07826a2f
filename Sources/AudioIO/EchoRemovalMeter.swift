import Foundation

/// How much quieter a canceller's output is than the microphone while the speaker plays (ERLE,
/// dB), each side's power smoothed exponentially over the frames in which the speaker plays.
/// `EchoCanceller` keeps one over its output (about a second, for logs and `/metrics`);
/// `BridgedEchoFilter` one over speexdsp's output (about half a second, to hand over).
struct EchoRemovalMeter {
    /// The weight a frame's predecessors keep (0.98: about a second of 20 ms frames).
    let decay: Double
    private var near = 1e-12, out = 1e-12
    /// Frames in which the speaker played.
    private(set) var frames = 0

    init(decay: Double) { self.decay = decay }

    var decibels: Double { 10 * log10(max(near, 1e-12) / max(out, 1e-12)) }

    /// Counts a frame if the speaker played in it (more than −60 dBFS of it), and says so.
    @discardableResult
    mutating func add(near: [Int16], far: [Int16], out: [Int16]) -> Bool {
        guard Self.power(far) > 32768.0 * 32768.0 * 1e-6 else { return false }
        self.near = decay * self.near + (1 - decay) * Self.power(near)
        self.out = decay * self.out + (1 - decay) * Self.power(out)
        frames += 1
        return true
    }

    /// Mean square of a frame.
    static func power(_ frame: [Int16]) -> Double {
        var sum = 0.0
        for s in frame { sum += Double(s) * Double(s) }
        return sum / Double(max(frame.count, 1))
    }
}

import AudioIO
import Foundation
import Testing
import TestSupport

/// The echo's delay measured rather than told: the device reports nothing of the room's path
/// (or of buffers it does not know about), the alignment finds the echo in the microphone and
/// pairs the streams so that the canceller can remove it.
@Suite struct EchoAlignmentTests {
    static let rate = EchoCancellerTests.rate
    static let chunk = rate / 50

    /// The loop's order for each 20 ms: the speaker's samples sent, then the microphone's read,
    /// paired and cancelled. The output is moved back by the canceller's latency.
    static func run(near: [Float], far: [Float], deviceDelay: Int = 0, canceller: AligningEchoCanceller,
                    estimates: inout [Int]) -> [Float] {
        var out: [Float] = []
        for start in stride(from: 0, to: near.count - chunk + 1, by: chunk) {
            canceller.appendFar(Array(far[start..<start + chunk]))
            out += canceller.process(near: Array(near[start..<start + chunk]), deviceDelay: deviceDelay)
            let alignment = canceller.alignment
            if let delay = alignment.echoDelay, alignment.measured, estimates.last != delay { estimates.append(delay) }
        }
        return Array(out.dropFirst(canceller.canceller.latencySamples))
    }

    @Test(arguments: [40.0, 300, 700])
    func findsAnEchoPathTheDeviceDoesNotReport(milliseconds: Double) throws {
        let far = try EchoCancellerTests.reply()
        let room = TestRoom(delayMilliseconds: milliseconds, reverberationSeconds: 0.3, echoGainDB: -6)
        let near = room.microphone(speaker: far)
        let canceller = try AligningEchoCanceller()
        var estimates: [Int] = []
        let out = Self.run(near: near, far: far, canceller: canceller, estimates: &estimates)
        let alignment = canceller.alignment
        // From 3 s after the echo begins.
        let settled = EchoCancellerTests.enhancement(near: near, out: out, far: far, in: (3 * Self.rate + room.delaySamples)..<out.count)
        let converged = EchoCancellerTests.convergence(near: near, out: out, far: far, target: 25)
        let truth = room.delaySamples
        print("echo alignment, unreported delay \(Int(milliseconds)) ms: measured \(estimates.map { $0 * 1000 / Self.rate }) ms (correlation \(String(format: "%.2f", alignment.correlation))), ERLE from 3 s after the echo began \(String(format: "%.1f", settled)) dB, 25 dB after \(converged.map { String(format: "%.2f s", $0) } ?? "never")")
        // The pairing puts the far end ahead of the direct path, and no further ahead than leaves
        // the filter's 250 ms tail most of the room's reverberation.
        let paired = try #require(alignment.echoDelay) - alignment.margin
        #expect(paired <= truth && paired >= truth - Self.rate / 10, "paired at \(paired) for an echo at \(truth)")
        #expect(alignment.realignments == 0)
        #expect(settled >= 25, "ERLE \(settled) dB")
    }

    @Test func followsTheEchoWhenItsDelayJumps() throws {
        // A sound server's buffer grows by 250 ms half way.
        let (far, near, half) = try EchoCancellerTests.delayJump(fromMilliseconds: 100, toMilliseconds: 350)
        let canceller = try AligningEchoCanceller()
        var estimates: [Int] = []
        let out = Self.run(near: near, far: far, canceller: canceller, estimates: &estimates)
        let alignment = canceller.alignment
        let recovered = EchoCancellerTests.enhancement(near: near, out: out, far: far, in: (half + 4 * Self.rate)..<out.count)
        print("echo alignment, delay 100 → 350 ms mid-reply: measured \(estimates.map { $0 * 1000 / Self.rate }) ms, ERLE from 4 s after the jump \(String(format: "%.1f", recovered)) dB")
        #expect(alignment.realignments == 1)
        #expect(recovered >= 25, "ERLE \(recovered) dB after the jump")
    }

    @Test func theUserTalkingOverTheReplyDoesNotMoveIt() throws {
        let far = try EchoCancellerTests.reply() + EchoCancellerTests.reply()
        let room = TestRoom(delayMilliseconds: 150, reverberationSeconds: 0.3, echoGainDB: -6)
        let echo = room.microphone(speaker: far)
        // From 3 s on, the user talks as loud as the echo, sentence after sentence.
        let echoLevel = SignalLevel.decibels(echo[(2 * Self.rate)...])
        var near = echo, at = 3 * Self.rate
        for i in 0..<12 {
            let user = try EchoCancellerTests.speech(String(format: "espeak-%02d.flac", i))
            let gain = Float(pow(10, (echoLevel - SignalLevel.decibels(user[...])) / 20))
            for (j, x) in user.enumerated() where at + j < near.count { near[at + j] += gain * x }
            at += user.count + Self.rate / 2
        }
        let canceller = try AligningEchoCanceller()
        var estimates: [Int] = []
        _ = Self.run(near: near, far: far, canceller: canceller, estimates: &estimates)
        print("echo alignment, user at 0 dB over the echo for \((at - 3 * Self.rate) / Self.rate) s: measured \(estimates.map { $0 * 1000 / Self.rate }) ms")
        #expect(canceller.alignment.realignments == 0)
    }

    @Test func measuresNothingWithoutTheSpeakerPlaying() throws {
        // Only the user talks: the device's delay stays the pairing.
        let user = try EchoCancellerTests.reply()
        let canceller = try AligningEchoCanceller()
        var estimates: [Int] = []
        _ = Self.run(near: user, far: [Float](repeating: 0, count: user.count), deviceDelay: 480, canceller: canceller, estimates: &estimates)
        let alignment = canceller.alignment
        #expect(!alignment.measured)
        #expect(alignment.echoDelay == 480)
    }
}

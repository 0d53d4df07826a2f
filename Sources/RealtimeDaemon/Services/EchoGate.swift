import AudioIO
import Streaming

/// Keeps our own voice, played by the speaker and picked up by the microphone, from being taken
/// for the user (and from barging in on the reply it belongs to).
///
/// While the reply plays, a microphone frame passes only if it is louder than the echo the
/// speaker can cause: the level being played plus `couplingDB` (how much of the speaker reaches
/// the microphone; 0 dB assumes the worst, a speaker next to the mic) plus a margin. Softer
/// frames are replaced by silence. A person talking over the reply near the microphone is louder
/// than that and still barges in.
///
/// The fallback of `audio.echo=gate` (and of `cancel` when the canceller cannot be set up):
/// `LoopEchoCanceller` lets a user interrupt at a normal voice; the gate only a raised one.
struct EchoGate {
    var couplingDB: Double = 0
    var marginDB: Double = 6
    /// How long the echo can outlast the audio written (device buffer and room), in seconds.
    var tailSeconds: Double = 0.25
    private var playedLevelDB: Double = -120
    private var tailRemaining = 0.0

    /// Notes the level of what the speaker is playing over the next `seconds`.
    mutating func played(levelDB: Double, seconds: Double) {
        playedLevelDB = tailRemaining > 0 ? max(playedLevelDB, levelDB) : levelDB
        tailRemaining = max(tailRemaining, seconds + tailSeconds)
    }

    /// Returns the frame, or silence if it is no louder than our own voice's echo.
    mutating func filter(_ frame: [Float], seconds: Double, speakerActive: Bool) -> [Float] {
        defer { tailRemaining = max(0, tailRemaining - seconds) }
        guard speakerActive || tailRemaining > 0 else { return frame }
        let level = SignalLevel.decibels(frame)
        return level > playedLevelDB + couplingDB + marginDB ? frame : [Float](repeating: 0, count: frame.count)
    }
}

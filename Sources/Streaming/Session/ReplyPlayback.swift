/// A reply's audio and the client's playback of it, as the server can know it: what the voice
/// produced, what was sent, and where the client is playing.
///
/// Audio goes out at the pace it is played, `lead` ahead of the client's playback (a jitter
/// buffer's worth), not as fast as the voice makes it. So the reply stays in progress while it is
/// heard, and the server can pause it (the client runs out within the lead), resume it where
/// the client stopped, or stop it, at any moment of its playback. Without a lead, everything is
/// sent as it comes and playback is assumed to run in real time from the first packet.
///
/// Positions are in samples at the reply's output rate.
struct ReplyPlayback: Sendable {
    let rate: Int
    /// How far ahead of playback audio is sent; nil: unpaced.
    let lead: Int?
    /// Everything the voice produced (kept: a resumed reply is sent again from where the client stopped).
    private(set) var samples: [Float] = []
    /// Audio sent to the client.
    private(set) var sent = 0
    /// The playback clock: the client plays position `clockOffset` at `clockStart`, then on in
    /// real time (never beyond what it was sent).
    private var clockStart: ContinuousClock.Instant?
    private var clockOffset = 0
    /// Paused: where playback stopped (the server's estimate, or the client's own word).
    private(set) var pausedAt: Int?
    /// Whether the client said it stopped: then it has dropped what it had queued, and the
    /// reply is sent again from that point on `resume`.
    private var stoppedByClient = false
    /// Smallest piece sent by the pacing (fewer, larger messages; the lead absorbs it).
    static let pieceSeconds = 0.1

    init(rate: Int, leadMs: Int?) {
        self.rate = rate
        lead = leadMs.flatMap { $0 > 0 ? $0 * rate / 1000 : nil }
    }

    var isPaused: Bool { pausedAt != nil }
    /// Everything produced so far has been sent.
    var isDrained: Bool { sent == samples.count }
    var producedMs: Int { samples.count * 1000 / rate }

    mutating func append(_ more: [Float]) {
        samples += more
    }

    /// Position the client has played to by `now`.
    func played(at now: ContinuousClock.Instant) -> Int {
        if let pausedAt { return pausedAt }
        guard let clockStart else { return 0 }
        return min(sent, clockOffset + max(0, Int((now - clockStart).seconds * Double(rate))))
    }

    /// The audio to send now (nil: none is due): all that was produced without a lead, else up
    /// to `lead` ahead of playback; in whole 20 ms frames until the `last` of it (an Opus
    /// client's frames then never straddle a pause: nothing of a reply stopped there is left to
    /// flush after it).
    mutating func due(at now: ContinuousClock.Instant, last: Bool = false) -> ArraySlice<Float>? {
        guard pausedAt == nil, sent < samples.count else { return nil }
        var position = played(at: now)
        if clockStart == nil || position >= sent {
            // The first audio, or the client ran dry waiting for the voice: playback (re)starts now.
            clockStart = now
            clockOffset = sent
            position = sent
        }
        let available = sendable(last: last)
        var end = min(sent + available, lead.map { position + $0 } ?? .max)
        if end < samples.count { end = sent + (end - sent) / frame * frame }
        guard end > sent, end - sent >= min(available, piece) || sent == clockOffset else { return nil }
        defer { sent = end }
        return samples[sent..<end]
    }

    /// 20 ms, the frame of Opus.
    private var frame: Int { rate / 50 }
    private var piece: Int { Int(Self.pieceSeconds * Double(rate)) }

    /// How much of what is unsent may go out: whole frames, or all of it once it is the `last`.
    private func sendable(last: Bool) -> Int {
        last ? samples.count - sent : (samples.count - sent) / frame * frame
    }

    /// When more audio will be due (nil: nothing waits, or it is due only when more is produced
    /// or the pause ends).
    func nextDue(after now: ContinuousClock.Instant, last: Bool = false) -> ContinuousClock.Instant? {
        let available = sendable(last: last)
        guard let lead, pausedAt == nil, available > 0, let clockStart else { return nil }
        let playedTarget = sent + min(available, piece) - lead
        // A millisecond late: the sample count then surely covers the piece (no wake-up too soon).
        return max(now, clockStart + .seconds(Double(playedTarget - clockOffset) / Double(rate)) + .milliseconds(1))
    }

    /// Playback stops here (the user may be interrupting): nothing more is sent until `resume`.
    mutating func pause(at now: ContinuousClock.Instant) {
        guard pausedAt == nil else { return }
        pausedAt = played(at: now)
    }

    /// The client's own word on where it stopped (`conversation.item.truncate` during a pause).
    mutating func clientStopped(at position: Int) {
        guard pausedAt != nil else { return }
        pausedAt = min(max(0, position), sent)
        stoppedByClient = true
    }

    /// Playback goes on: from where the client said it stopped (sent again), or else from what
    /// it was sent (it kept that and played it out).
    mutating func resume() {
        guard let pausedAt else { return }
        if stoppedByClient { sent = pausedAt }
        self.pausedAt = nil
        stoppedByClient = false
        clockStart = nil  // restarts with the next piece sent
        clockOffset = sent
    }
}

/// The numbers of one turn, all in milliseconds relative to the end of the user's speech
/// (`speechEnded`), as rtbench reports them. A metric whose event never came is nil.
struct TurnMetrics: Codable, Equatable, Sendable {
    var firstPacketMs: Double?
    var firstPartialMs: Double?
    var finalTranscriptMs: Double?
    var firstReasoningMs: Double?
    var firstAnswerMs: Double?
    /// Seconds of reply audio received.
    var replySeconds: Double
    /// Times playback would have run dry inside the reply, and their total length.
    var gapCount: Int
    var gapTotalMs: Double
    /// After a barge-in: how long reply audio kept arriving.
    var bargeInStopMs: Double?
    /// After a barge-in: when the server said it heard the user (`speech_started`), which is when
    /// a client stops playing the reply (and the server stops sending it).
    var bargeInNoticedMs: Double?
    /// After a barge-in: when the server ended the reply (`response.done`, status cancelled).
    /// Servers send audio ahead of playback, so this, not the last packet, shows how fast the
    /// server noticed the user talking over it.
    var bargeInCancelMs: Double?
    var status: String?
    /// Whether the server ended the user's turn before the last of its speech had been sent (a
    /// pause inside taken for the end); nil when the speech's end was not timed.
    var cutEarly: Bool?
    var errors: [String]
    var serverTimingsMs: [String: Double]

    /// Playback gaps shorter than this are jitter any player absorbs, not underruns.
    static let gapThreshold = 0.005

    init(_ record: TurnRecord) {
        let events = record.events.sorted { $0.time < $1.time }
        let speechEnd = events.first { $0.kind == .speechEnded }?.time
        func after(_ kind: TurnEvent.Kind) -> Double? {
            guard let speechEnd, let t = events.first(where: { $0.kind == kind && $0.time >= speechEnd })?.time else { return nil }
            return (t - speechEnd) * 1000
        }
        firstPacketMs = after(.audio)
        firstPartialMs = events.first { $0.kind == .partialTranscript }.flatMap { e in speechEnd.map { (e.time - $0) * 1000 } }
        finalTranscriptMs = after(.finalTranscript)
        firstReasoningMs = after(.reasoningDelta)
        firstAnswerMs = after(.answerDelta)

        let audio = events.filter { $0.kind == .audio }
        replySeconds = audio.reduce(0) { $0 + ($1.audioSeconds ?? 0) }
        let bargeIn = events.first { $0.kind == .bargeIn }?.time
        let playback = Playback(events, until: bargeIn)
        gapCount = playback.gaps
        gapTotalMs = playback.gapSeconds * 1000
        if let bargeIn {
            let lastAudio = audio.last { $0.time >= bargeIn }?.time ?? bargeIn
            bargeInStopMs = (lastAudio - bargeIn) * 1000
            bargeInNoticedMs = events.first { $0.kind == .bargeInNoticed && $0.time >= bargeIn }.map { ($0.time - bargeIn) * 1000 }
        }
        let done = events.last { $0.kind == .responseDone }
        if let bargeIn, let done, done.detail == "cancelled", done.time >= bargeIn {
            bargeInCancelMs = (done.time - bargeIn) * 1000
        }
        status = done?.detail
        if let speechEnd { cutEarly = events.contains { $0.kind == .turnEnded && $0.time < speechEnd } }
        serverTimingsMs = done?.serverTimingsMs ?? [:]
        errors = events.filter { $0.kind == .error }.map { $0.detail ?? "error" }
    }

    /// The latency metrics by name, for tables, plots and comparisons.
    static let latencyNames = ["first_packet_ms", "first_partial_ms", "final_transcript_ms", "first_reasoning_ms",
                               "first_answer_ms", "barge_in_noticed_ms", "barge_in_stop_ms", "barge_in_cancel_ms", "gap_total_ms"]

    func value(_ name: String) -> Double? {
        switch name {
        case "first_packet_ms": return firstPacketMs
        case "first_partial_ms": return firstPartialMs
        case "final_transcript_ms": return finalTranscriptMs
        case "first_reasoning_ms": return firstReasoningMs
        case "first_answer_ms": return firstAnswerMs
        case "barge_in_noticed_ms": return bargeInNoticedMs
        case "barge_in_stop_ms": return bargeInStopMs
        case "barge_in_cancel_ms": return bargeInCancelMs
        case "gap_total_ms": return gapTotalMs
        default: return nil
        }
    }
}

/// A client playing a reply in real time: playback starts with the first packet and plays each
/// packet as soon as the one before has played out; a packet arriving after that is a gap.
struct Playback: Equatable {
    /// When the last packet has played out (nil: no audio).
    var end: Double?
    var gaps = 0
    var gapSeconds = 0.0

    /// The audio events among `events` (in time order); what comes at or after `until` (a
    /// barge-in) is not played.
    init(_ events: [TurnEvent], until: Double? = nil) {
        for packet in events where packet.kind == .audio {
            if let until, packet.time >= until { break }
            let start: Double
            if let end, packet.time > end + TurnMetrics.gapThreshold {
                gaps += 1
                gapSeconds += packet.time - end
                start = packet.time
            } else {
                start = max(end ?? packet.time, packet.time)
            }
            end = start + (packet.audioSeconds ?? 0)
        }
    }
}

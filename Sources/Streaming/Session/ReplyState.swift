import AudioIO
import Engine

/// One response in progress: its ids, what it has thought and said, the audio it has sent, its
/// timings, and the output it holds back while it is speculative.
struct ReplyState: Sendable {
    let id: ReplyID
    let itemID: String
    /// The item before it in the conversation, for `previous_item_id`.
    let previousItemID: String?
    /// `speech_stopped` or `response.create`: what `timings_ms` are measured from.
    var reference: ContinuousClock.Instant
    /// The format the reply's audio is synthesised in, fixed when it starts (a `session.update`
    /// during the reply applies to the next one).
    let outputFormat: AudioFormat
    let mode: ReplyMode
    /// Spoken (audio with its transcript) or written.
    let modality: ServerEvent.Modality
    /// Out-of-band (`conversation: "none"`): nothing of it joins the conversation.
    let outOfBand: Bool
    var metadata: [String: String]?
    /// The functions it calls, as they stream in: their item, output index and call so far.
    var calls: [(itemID: String, part: ResponsePart, call: FunctionCall)] = []
    var reasoning = ""
    var answer = ""
    private var marks: [String: ContinuousClock.Instant] = [:]
    /// A speculative reply keeps its output here until the turn's end is confirmed.
    var held = false
    var heldOutputs: [SessionOutput] = []
    /// How the reply's engine and voice ended, while the client had not yet had all of it: a
    /// held reply (a short answer, generated and voiced before the turn's end was confirmed), or
    /// audio still being paced out or paused. The reply ends for the client once all is out.
    var engineEnded: (outcome: ReplyOutcome, failure: String?)?
    /// The reply's audio and its playback by the client.
    var playback: ReplyPlayback
    /// When held output was released (the reply was started speculatively at a pause): the
    /// client's audio starts then, not when the voice made it.
    private(set) var releasedAt: ContinuousClock.Instant?
    /// When a reply that was held began (its reference until it was released).
    private var startedAt: ContinuousClock.Instant?
    /// For a reply started at a pause: when the pause was heard.
    var pausedAt: ContinuousClock.Instant?
    /// The clauses whose audio was sent, in order, with their length in output samples.
    private(set) var clauses: [(text: String, samples: Int)] = []
    private var lastClauseIndex = -1

    init(id: ReplyID, itemID: String, previousItemID: String?, reference: ContinuousClock.Instant, outputFormat: AudioFormat, mode: ReplyMode,
         modality: ServerEvent.Modality = .audio, outOfBand: Bool = false, leadMs: Int? = nil) {
        playback = ReplyPlayback(rate: outputFormat.sampleRate, leadMs: leadMs)
        self.id = id
        self.itemID = itemID
        self.previousItemID = previousItemID
        self.reference = reference
        self.outputFormat = outputFormat
        self.mode = mode
        self.modality = modality
        self.outOfBand = outOfBand
    }

    var outputRate: Int { outputFormat.sampleRate }
    var part: ResponsePart { ResponsePart(responseID: id, itemID: itemID) }

    /// Records when a stage was reached (the first time only).
    mutating func mark(_ name: String, at instant: ContinuousClock.Instant) {
        if marks[name] == nil { marks[name] = instant }
    }

    /// Each stage in ms since the reference; a stage reached while the reply was held counts
    /// from when it was released (that is when the client could see it).
    var timings: [String: Double] {
        marks.mapValues { instant in
            let seen = max(instant, releasedAt ?? instant)
            return millisecondsAfterReference(seen)
        }
    }

    /// For a reply started at a pause: each stage in ms from the confirmed end of the turn as it
    /// happened, not as the client saw it (negative: before the end was confirmed), and
    /// `paused` and `started`. Shows how much of the reply was ready when it was released.
    var speculativeTimings: [String: Double]? {
        guard let startedAt else { return nil }
        var stages = marks
        stages["started"] = startedAt
        stages["paused"] = pausedAt
        return stages.mapValues(millisecondsAfterReference)
    }

    /// A stage's time in ms after `reference` (to a tenth), as the timings report it.
    private func millisecondsAfterReference(_ instant: ContinuousClock.Instant) -> Double {
        ((instant - reference).seconds * 10_000).rounded() / 10
    }

    /// A held reply goes live: what it held is shown to the client from now on.
    mutating func release(at instant: ContinuousClock.Instant, reference: ContinuousClock.Instant) -> [SessionOutput] {
        startedAt = self.reference
        self.reference = reference
        held = false
        releasedAt = instant
        defer { heldOutputs = [] }
        return heldOutputs
    }

    var wasSpeculative: Bool { releasedAt != nil }

    /// Audio of `clause` from the voice: kept for playback, and its words' place in it noted.
    mutating func audioProduced(_ samples: [Float], clause: String, index: Int, at instant: ContinuousClock.Instant) {
        mark("first_audio", at: instant)
        if index != lastClauseIndex || clauses.isEmpty {
            clauses.append((clause, 0))
            lastClauseIndex = index
        }
        if !clause.isEmpty { clauses[clauses.count - 1].text = clause }
        clauses[clauses.count - 1].samples += samples.count
        playback.append(samples)
    }

    /// Milliseconds of audio the client can have played by `now` (`ReplyPlayback`).
    func playedMs(at now: ContinuousClock.Instant) -> Int {
        playback.played(at: now) * 1000 / outputRate
    }

    /// The words spoken in the first `ms` of the reply's audio: whole clauses, then the share of
    /// the next clause's words that its played fraction covers. Any `ms` is safe (a client's
    /// number): it is clamped to the audio sent.
    func heardText(untilMs ms: Int) -> String {
        var remaining = Int(Double(min(max(ms, 0), audioMs)) * Double(outputRate) / 1000)
        var words: [Substring] = []
        for clause in clauses where remaining > 0 {
            let clauseWords = clause.text.split(whereSeparator: \.isWhitespace)
            if remaining >= clause.samples {
                words += clauseWords
            } else {
                let share = Double(remaining) / Double(max(clause.samples, 1))
                words += clauseWords.prefix(Int((Double(clauseWords.count) * share).rounded(.down)))
            }
            remaining -= clause.samples
        }
        return words.joined(separator: " ")
    }

    var audioMs: Int { playback.producedMs }
}

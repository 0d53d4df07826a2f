import Engine

/// One response in progress: its ids, what it has said and thought, the audio it has sent, and
/// its timings. Touched only on the session's queue (hence unchecked Sendable).
final class ReplyRun: @unchecked Sendable {
    let id: String
    let itemID: String
    /// `speech_stopped` or `response.create`: what `timings_ms` are measured from.
    let reference: ContinuousClock.Instant
    let cancellation = CancellationFlag()
    var speech: (any ReplySpeech)?
    var reasoning = ""
    var answer = ""
    var timings: [String: Double] = [:]
    var ended = false
    /// The clauses whose audio was sent, in order, with their length in output samples.
    private(set) var clauses: [(text: String, samples: Int)] = []
    private var lastClauseIndex = -1
    private(set) var sentSamples = 0
    private(set) var firstAudio: ContinuousClock.Instant?
    let outputRate: Int

    init(id: String, itemID: String, reference: ContinuousClock.Instant, outputRate: Int) {
        self.id = id
        self.itemID = itemID
        self.reference = reference
        self.outputRate = outputRate
    }

    /// Records a timing (the first time only), in ms since the reference.
    func mark(_ name: String, at instant: ContinuousClock.Instant = .now) {
        guard timings[name] == nil else { return }
        let d = instant - reference
        let ms = Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
        timings[name] = (ms * 10).rounded() / 10
    }

    func audioSent(_ samples: Int, clause: String, index: Int) {
        if firstAudio == nil { firstAudio = .now; mark("first_audio") }
        if index != lastClauseIndex || clauses.isEmpty {
            clauses.append((clause, 0))
            lastClauseIndex = index
        }
        if !clause.isEmpty { clauses[clauses.count - 1].text = clause }
        clauses[clauses.count - 1].samples += samples
        sentSamples += samples
    }

    /// Milliseconds of audio the client can have played by now: what was sent, but no more than
    /// the time since the first audio went out (clients play in real time).
    var playedMs: Int {
        guard let first = firstAudio else { return 0 }
        let elapsed = ContinuousClock.now - first
        let elapsedMs = Int(elapsed.components.seconds) * 1000 + Int(elapsed.components.attoseconds / 1_000_000_000_000_000)
        return min(sentSamples * 1000 / outputRate, elapsedMs)
    }

    /// The words spoken in the first `ms` of the reply's audio: whole clauses, then the share of
    /// the next clause's words that its played fraction covers.
    func heardText(untilMs ms: Int) -> String {
        var remaining = ms * outputRate / 1000
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

    var audioMs: Int { sentSamples * 1000 / outputRate }
}

/// Which part of a growing utterance's transcript is settled (local agreement): a token is
/// confirmed once two successive runs on the growing audio produced it at the same place, and
/// only up to a word boundary, so a half-heard word is never confirmed. Confirmed tokens are fed
/// to later runs as a forced prefix, so they never change.
public struct TranscriptAgreement: Sendable {
    public private(set) var confirmed: [Int] = []
    /// The tokens after `confirmed` in the previous run.
    public private(set) var previousTail: [Int] = []
    /// Whether a token begins a new word (its text starts with a space).
    let startsWord: @Sendable (Int) -> Bool

    public init(startsWord: @escaping @Sendable (Int) -> Bool) {
        self.startsWord = startsWord
    }

    /// Takes a new run's tokens (which begin with `confirmed`) and returns how many tokens it
    /// confirmed.
    @discardableResult
    public mutating func update(with hypothesis: [Int]) -> Int {
        let tail = Array(hypothesis.dropFirst(min(confirmed.count, hypothesis.count)))
        var agreed = 0
        while agreed < min(tail.count, previousTail.count) && tail[agreed] == previousTail[agreed] { agreed += 1 }
        // Back off to a word boundary inside the agreement: a word is confirmed only when the
        // start of the next word agreed too, since a word's last token may still grow ("rain"
        // followed by "bow" in a later run).
        var cut = agreed
        while cut > 0 && !(cut < agreed && startsWord(tail[cut])) { cut -= 1 }
        confirmed += tail[..<cut]
        previousTail = Array(tail[cut...])
        return cut
    }

    public mutating func reset() {
        confirmed = []
        previousTail = []
    }
}

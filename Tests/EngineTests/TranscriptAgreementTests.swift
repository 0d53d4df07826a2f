import Engine
import Testing

@Suite struct TranscriptAgreementTests {
    // Token ids ≥ 100 start a word; below 100 continue one.
    let agreement = TranscriptAgreement(startsWord: { $0 >= 100 })

    @Test func confirmsOnlyWhatTwoRunsAgreeOnUpToAWordBoundary() {
        var a = agreement
        #expect(a.update(with: [101, 102, 103]) == 0)  // first run: nothing to agree with
        // Second run agrees on 101 102, and the next word (104 vs 103) differs: only 101 is
        // followed by an agreed word start.
        #expect(a.update(with: [101, 102, 104]) == 1)
        #expect(a.confirmed == [101])
        #expect(a.previousTail == [102, 104])
        #expect(a.update(with: [101, 102, 104, 105]) == 1)
        #expect(a.confirmed == [101, 102])
    }

    @Test func neverConfirmsAWordThatMayStillGrow() {
        var a = agreement
        a.update(with: [101, 110, 105])          // "how a rain ?"
        a.update(with: [101, 110, 106])          // agreement on 101 110; 110 not followed by an agreed word start
        #expect(a.confirmed == [101])
        a.update(with: [101, 110, 7, 108])       // "rain" + "bow": the word grew
        #expect(a.confirmed == [101])
        a.update(with: [101, 110, 7, 108, 109])
        #expect(a.confirmed == [101, 110, 7])
    }

    @Test func confirmedTokensOnlyGrow() {
        var a = agreement
        var previous: [Int] = []
        let runs: [[Int]] = [[101], [101, 102], [101, 102, 3], [101, 102, 3, 104], [101, 102, 3, 104, 105], [101, 102, 3, 104, 105, 106]]
        for run in runs {
            a.update(with: Array(a.confirmed) + run.dropFirst(a.confirmed.count))
            #expect(a.confirmed.starts(with: previous))
            previous = a.confirmed
        }
        #expect(a.confirmed == [101, 102, 3, 104])
        a.reset()
        #expect(a.confirmed.isEmpty && a.previousTail.isEmpty)
    }
}

import Foundation

/// `rtbench compare A.json B.json`: which metrics moved beyond run-to-run noise.
struct Comparison {
    struct Row: Equatable {
        var metric: String
        var medianA: Double
        var medianB: Double
        var pValue: Double
        var verdict: String
    }

    var rows: [Row]

    /// A metric moved when the difference is significant (Mann–Whitney, p < `alpha`) and larger
    /// than `minimumChange` of A's median (tiny but consistent shifts are not worth a headline).
    init(_ a: RunReport, _ b: RunReport, alpha: Double = 0.05, minimumChange: Double = 0.05) {
        rows = TurnMetrics.latencyNames.compactMap { metric in
            let va = a.values(metric), vb = b.values(metric)
            guard let sa = Summary(va), let sb = Summary(vb) else { return nil }
            let p = MannWhitney.pValue(va, vb)
            let change = (sb.p50 - sa.p50) / max(abs(sa.p50), 1e-9)
            let verdict: String
            if p < alpha, abs(change) >= minimumChange {
                verdict = change < 0 ? String(format: "faster by %.0f%%", -change * 100) : String(format: "slower by %.0f%%", change * 100)
            } else {
                verdict = "within noise"
            }
            return Row(metric: metric, medianA: sa.p50, medianB: sb.p50, pValue: p, verdict: verdict)
        }
    }

    func text() -> String {
        (["metric               median A   median B   p-value  verdict"] + rows.map {
            String(format: "%@ %10.1f %10.1f %9.4f  %@", $0.metric.padding(toLength: 20, withPad: " ", startingAt: 0), $0.medianA, $0.medianB, $0.pValue, $0.verdict)
        }).joined(separator: "\n")
    }
}

import Foundation

/// SVG pictures of a run: the latency CDF per configuration, and a per-turn timeline of the
/// first seconds after the end of speech (final transcript, first answer token, reply audio).
enum Plot {
    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf"]

    static func svg(_ report: RunReport, metric: String = "first_packet_ms") -> String {
        let width = 900.0, cdfHeight = 340.0, rowHeight = 14.0
        let turns = report.turns
        let timelineHeight = Double(max(1, turns.count)) * rowHeight + 70
        let height = cdfHeight + timelineHeight + 40
        var svg = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="20" y="24" font-size="16">\(escape(metric)) — cumulative distribution over turns</text>

        """
        // CDF panel
        let left = 70.0, right = width - 40, top = 40.0, bottom = cdfHeight - 40
        let cdfAxis = Axis(upTo: report.values(metric).max() ?? 1)
        func x(_ v: Double) -> Double { left + (right - left) * min(v, cdfAxis.end) / cdfAxis.end }
        func y(_ p: Double) -> Double { bottom - (bottom - top) * p }
        svg += "<line x1=\"\(left)\" y1=\"\(bottom)\" x2=\"\(right)\" y2=\"\(bottom)\" stroke=\"black\"/>\n"
        svg += "<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(bottom)\" stroke=\"black\"/>\n"
        for v in cdfAxis.ticks {
            svg += "<line x1=\"\(x(v))\" y1=\"\(top)\" x2=\"\(x(v))\" y2=\"\(bottom)\" stroke=\"#eee\"/>\n"
            svg += "<text x=\"\(x(v))\" y=\"\(bottom + 16)\" text-anchor=\"middle\">\(Int(v))</text>\n"
        }
        svg += "<text x=\"\(right)\" y=\"\(bottom + 32)\" text-anchor=\"end\">ms</text>\n"
        for i in 0...5 {
            svg += "<text x=\"\(left - 6)\" y=\"\(y(Double(i) / 5) + 4)\" text-anchor=\"end\">\(i * 20)%</text>\n"
        }
        for (k, configuration) in report.configurations.enumerated() {
            let values = report.values(metric, configuration: configuration).sorted()
            guard !values.isEmpty else { continue }
            let color = palette[k % palette.count]
            var points = "\(x(0)),\(y(0))"
            for (i, v) in values.enumerated() {
                points += " \(x(v)),\(y(Double(i) / Double(values.count))) \(x(v)),\(y(Double(i + 1) / Double(values.count)))"
            }
            svg += "<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\" points=\"\(points)\"/>\n"
            let s = Summary(values)
            // The legend sits at the lower right, where step curves starting at 0 % never are.
            let legendY = bottom - 10 - 16 * Double(report.configurations.count - 1 - k)
            svg += "<text x=\"\(right - 10)\" y=\"\(legendY)\" text-anchor=\"end\" fill=\"\(color)\">\(escape(configuration)): "
                + "p50 \(String(format: "%.0f", s?.p50 ?? 0)) ms, p95 \(String(format: "%.0f", s?.p95 ?? 0)) ms, n=\(values.count)</text>\n"
        }

        // Timeline panel: long replies would squash the interesting part, so the axis ends a
        // second after the latest first packet and longer bars are cut with an arrow.
        let tTop = cdfHeight + 20
        let tLeft = 190.0
        let starts = turns.compactMap { $0.metrics.firstPacketMs ?? $0.metrics.finalTranscriptMs }
        let timeAxis = Axis(upTo: (starts.max() ?? 0) + 1_000)
        func tx(_ ms: Double) -> Double { tLeft + (right - tLeft) * min(max(ms, 0), timeAxis.end) / timeAxis.end }
        svg += "<text x=\"20\" y=\"\(tTop)\" font-size=\"16\">turns — from the end of speech (0 ms)</text>\n"
        let axisY = tTop + 20 + Double(turns.count) * rowHeight + 4
        for ms in timeAxis.ticks {
            svg += "<line x1=\"\(tx(ms))\" y1=\"\(tTop + 10)\" x2=\"\(tx(ms))\" y2=\"\(axisY)\" stroke=\"#eee\"/>\n"
            svg += "<text x=\"\(tx(ms))\" y=\"\(axisY + 14)\" text-anchor=\"middle\">\(Int(ms))</text>\n"
        }
        svg += "<line x1=\"\(tLeft)\" y1=\"\(axisY)\" x2=\"\(right)\" y2=\"\(axisY)\" stroke=\"black\"/>\n"
        svg += "<text x=\"\(right)\" y=\"\(axisY + 30)\" text-anchor=\"end\">ms</text>\n"
        for (i, turn) in turns.enumerated() {
            let rowY = tTop + 20 + Double(i) * rowHeight
            let color = palette[(report.configurations.firstIndex(of: turn.configuration) ?? 0) % palette.count]
            svg += "<text x=\"\(tLeft - 6)\" y=\"\(rowY)\" text-anchor=\"end\" font-size=\"10\" fill=\"\(color)\">\(escape(String(turn.utterance.prefix(28))))</text>\n"
            if let first = turn.metrics.firstPacketMs {
                let end = first + turn.metrics.replySeconds * 1000
                svg += "<rect x=\"\(tx(first))\" y=\"\(rowY - 9)\" width=\"\(max(1, tx(end) - tx(first)))\" height=\"10\" fill=\"\(color)\" opacity=\"0.6\"/>\n"
                if end > timeAxis.end {
                    svg += "<text x=\"\(right + 2)\" y=\"\(rowY)\" font-size=\"10\" fill=\"\(color)\">▸</text>\n"
                }
            } else {
                svg += "<text x=\"\(tLeft + 4)\" y=\"\(rowY)\" fill=\"#d62728\">no reply</text>\n"
            }
            if let f = turn.metrics.finalTranscriptMs { svg += "<circle cx=\"\(tx(f))\" cy=\"\(rowY - 4)\" r=\"3\" fill=\"black\"/>\n" }
            if let a = turn.metrics.firstAnswerMs { svg += "<rect x=\"\(tx(a) - 2)\" y=\"\(rowY - 7)\" width=\"4\" height=\"6\" fill=\"#555\"/>\n" }
            if let b = turn.events.first(where: { $0.kind == .bargeIn }), let end = turn.events.first(where: { $0.kind == .speechEnded }) {
                svg += "<line x1=\"\(tx((b.time - end.time) * 1000))\" y1=\"\(rowY - 11)\" x2=\"\(tx((b.time - end.time) * 1000))\" y2=\"\(rowY + 1)\" stroke=\"#d62728\" stroke-width=\"2\"/>\n"
            }
        }
        svg += "<text x=\"20\" y=\"\(height - 12)\">bar: reply audio (▸ goes on) · dot: final transcript · square: first answer token · red tick: barge-in</text>\n"
        svg += "</svg>\n"
        return svg
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}

/// An axis from 0 with round tick marks (1, 2, 2.5 or 5 times a power of ten), about five of them.
struct Axis {
    let end: Double
    let ticks: [Double]

    init(upTo value: Double) {
        let top = max(value, 1)
        let raw = top / 5
        let magnitude = pow(10, floor(log10(raw)))
        let step = [1, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        end = (top / step).rounded(.up) * step
        ticks = stride(from: 0, through: end + step / 2, by: step).map { $0 }
    }
}

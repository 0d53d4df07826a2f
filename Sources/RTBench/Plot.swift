import Foundation

/// SVG pictures of a run: the first-packet latency CDF per configuration, and a per-turn
/// timeline (speech end at 0; transcript, first answer token and reply audio as marks and bars).
enum Plot {
    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf"]

    static func svg(_ report: RunReport, metric: String = "first_packet_ms") -> String {
        let width = 900.0, cdfHeight = 320.0, rowHeight = 14.0
        let turns = report.turns
        let timelineHeight = Double(max(1, turns.count)) * rowHeight + 60
        let height = cdfHeight + timelineHeight + 40
        var svg = """
        <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif" font-size="12">
        <rect width="100%" height="100%" fill="white"/>
        <text x="20" y="24" font-size="16">\(escape(metric)) — cumulative distribution</text>

        """
        // CDF panel
        let left = 70.0, right = width - 30, top = 40.0, bottom = cdfHeight - 30
        let all = report.values(metric)
        let maxValue = max(1, (all.max() ?? 1) * 1.05)
        func x(_ v: Double) -> Double { left + (right - left) * v / maxValue }
        func y(_ p: Double) -> Double { bottom - (bottom - top) * p }
        svg += "<line x1=\"\(left)\" y1=\"\(bottom)\" x2=\"\(right)\" y2=\"\(bottom)\" stroke=\"black\"/>\n"
        svg += "<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(left)\" y2=\"\(bottom)\" stroke=\"black\"/>\n"
        for i in 0...5 {
            let v = maxValue * Double(i) / 5
            svg += "<text x=\"\(x(v))\" y=\"\(bottom + 16)\" text-anchor=\"middle\">\(Int(v)) ms</text>\n"
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
            let p50 = Summary(values)?.p50 ?? 0
            svg += "<text x=\"\(left + 10)\" y=\"\(top + 16 * Double(k + 1))\" fill=\"\(color)\">\(escape(configuration)): p50 \(String(format: "%.0f", p50)) ms, n=\(values.count)</text>\n"
        }
        // Timeline panel
        let tTop = cdfHeight + 30
        svg += "<text x=\"20\" y=\"\(tTop)\" font-size=\"16\">turns — from end of speech (0 ms)</text>\n"
        let spans = turns.map { ($0.metrics.firstPacketMs ?? 0) + $0.metrics.replySeconds * 1000 }
        let maxSpan = max(1, (spans.max() ?? 1) * 1.05)
        func tx(_ ms: Double) -> Double { left + (right - left) * ms / maxSpan }
        for (i, turn) in turns.enumerated() {
            let rowY = tTop + 20 + Double(i) * rowHeight
            let color = palette[(report.configurations.firstIndex(of: turn.configuration) ?? 0) % palette.count]
            if let first = turn.metrics.firstPacketMs {
                let w = max(1, tx(first + turn.metrics.replySeconds * 1000) - tx(first))
                svg += "<rect x=\"\(tx(first))\" y=\"\(rowY - 9)\" width=\"\(w)\" height=\"10\" fill=\"\(color)\" opacity=\"0.6\"/>\n"
            } else {
                svg += "<text x=\"\(left + 4)\" y=\"\(rowY)\" fill=\"#d62728\">no reply</text>\n"
            }
            if let f = turn.metrics.finalTranscriptMs { svg += "<circle cx=\"\(tx(f))\" cy=\"\(rowY - 4)\" r=\"3\" fill=\"black\"/>\n" }
            if let a = turn.metrics.firstAnswerMs { svg += "<rect x=\"\(tx(a) - 2)\" y=\"\(rowY - 7)\" width=\"4\" height=\"6\" fill=\"#555\"/>\n" }
        }
        let axisY = tTop + 20 + Double(turns.count) * rowHeight + 4
        svg += "<line x1=\"\(left)\" y1=\"\(axisY)\" x2=\"\(right)\" y2=\"\(axisY)\" stroke=\"black\"/>\n"
        for i in 0...5 {
            let ms = maxSpan * Double(i) / 5
            svg += "<text x=\"\(tx(ms))\" y=\"\(axisY + 14)\" text-anchor=\"middle\">\(Int(ms)) ms</text>\n"
        }
        svg += "<text x=\"\(left)\" y=\"\(height - 12)\">bars: reply audio · dot: final transcript · square: first answer token · axis to \(Int(maxSpan)) ms</text>\n"
        svg += "</svg>\n"
        return svg
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }
}

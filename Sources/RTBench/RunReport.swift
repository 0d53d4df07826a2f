import Foundation

/// A benchmark run: every turn recorded, and the metrics computed from them.
struct RunReport: Codable, Sendable {
    struct Turn: Codable, Sendable {
        var configuration: String
        var utterance: String
        var metrics: TurnMetrics
        var events: [TurnEvent]
    }

    var turns: [Turn]

    init(records: [TurnRecord]) {
        turns = records.map { Turn(configuration: $0.configuration, utterance: $0.utterance, metrics: TurnMetrics($0), events: $0.events) }
    }

    var configurations: [String] {
        var seen = Set<String>()
        return turns.map(\.configuration).filter { seen.insert($0).inserted }
    }

    func values(_ metric: String, configuration: String? = nil) -> [Double] {
        turns.filter { configuration == nil || $0.configuration == configuration }.compactMap { $0.metrics.value(metric) }
    }

    /// What went wrong, by name, with counts: error events, responses that did not complete,
    /// turns without reply audio. A turn can have several (an `overloaded` warning and a reply).
    func failures(configuration: String) -> [String: Int] {
        var counts = [String: Int]()
        for turn in turns where turn.configuration == configuration {
            for e in turn.metrics.errors { counts["error: \(e)", default: 0] += 1 }
            if let status = turn.metrics.status, status != "completed", status != "cancelled" { counts["response \(status)", default: 0] += 1 }
            if turn.metrics.firstPacketMs == nil, turn.metrics.errors.isEmpty { counts["no reply audio", default: 0] += 1 }
        }
        return counts
    }

    /// Turns that failed: no reply audio, or a response that ended other than completed or
    /// cancelled (by a barge-in).
    func failedTurns(configuration: String) -> Int {
        turns.filter { turn in
            guard turn.configuration == configuration else { return false }
            let status = turn.metrics.status ?? "completed"
            return turn.metrics.firstPacketMs == nil || (status != "completed" && status != "cancelled")
        }.count
    }

    /// How the server's turn ends went: turns cut early (the end declared at a pause inside),
    /// apart for utterances with a pause inside (the turn-taking corpus's `-pause` files) and the
    /// others, and the first packet on the complete ones.
    func turnEnds(configuration: String) -> String? {
        let timed = turns.filter { $0.configuration == configuration && $0.metrics.cutEarly != nil }
        guard !timed.isEmpty else { return nil }
        let paused = timed.filter { TurnTakingCorpus.isPaused($0.utterance) }
        let complete = timed.filter { !TurnTakingCorpus.isPaused($0.utterance) }
        func cut(_ group: [Turn]) -> Int { group.filter { $0.metrics.cutEarly == true }.count }
        var parts = ["\(configuration): cut early \(cut(complete)) of \(complete.count) complete utterances"]
        if !paused.isEmpty { parts.append("\(cut(paused)) of \(paused.count) with a pause inside") }
        if !paused.isEmpty, let s = Summary(complete.compactMap(\.metrics.firstPacketMs)) {
            parts.append(String(format: "first packet on complete ones p50 %.0f / p95 %.0f ms", s.p50, s.p95))
        }
        return parts.joined(separator: ", ")
    }

    // MARK: Formats

    /// The terminal table: p50/p90/p95/p99/max per metric and configuration, then failures.
    func table() -> String {
        var lines = [String]()
        let header = ["configuration", "metric", "n", "p50", "p90", "p95", "p99", "max"]
        let nameWidth = max(16, (configurations.map(\.count).max() ?? 0) + 1)
        lines.append(Self.row(header, nameWidth: nameWidth))
        for configuration in configurations {
            for metric in TurnMetrics.latencyNames {
                guard let s = Summary(values(metric, configuration: configuration)) else { continue }
                lines.append(Self.row([configuration, metric, "\(s.count)"] + [s.p50, s.p90, s.p95, s.p99, s.max].map { String(format: "%.1f", $0) },
                                     nameWidth: nameWidth))
            }
            let failures = failures(configuration: configuration)
            let failed = failedTurns(configuration: configuration)
            lines.append("\(configuration): \(turns.filter { $0.configuration == configuration }.count) turns, \(failed) failed"
                         + (failures.isEmpty ? "" : " (" + failures.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + ")"))
            if let line = turnEnds(configuration: configuration) { lines.append(line) }
        }
        return lines.joined(separator: "\n")
    }

    static func row(_ cells: [String], nameWidth: Int) -> String {
        let widths = [nameWidth, 20, 4, 9, 9, 9, 9, 9]
        return zip(cells, widths).map { $0.padding(toLength: max($1, $0.count), withPad: " ", startingAt: 0) }.joined(separator: " ")
    }

    func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }

    /// One line per turn, one column per metric (empty where a metric has no value).
    func csv() -> String {
        let columns = ["configuration", "utterance"] + TurnMetrics.latencyNames + ["reply_s", "gap_count", "cut_early", "status", "errors"]
        var out = columns.joined(separator: ",") + "\n"
        for t in turns {
            var cells = [Self.csvField(t.configuration), Self.csvField(t.utterance)]
            cells += TurnMetrics.latencyNames.map { t.metrics.value($0).map { String(format: "%.3f", $0) } ?? "" }
            cells += [String(format: "%.3f", t.metrics.replySeconds), "\(t.metrics.gapCount)", t.metrics.cutEarly.map { "\($0)" } ?? "",
                      t.metrics.status ?? "",
                      Self.csvField(t.metrics.errors.joined(separator: ";"))]
            out += cells.joined(separator: ",") + "\n"
        }
        return out
    }

    static func csvField(_ s: String) -> String {
        s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
}

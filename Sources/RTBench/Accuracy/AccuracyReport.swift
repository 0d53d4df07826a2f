import Foundation

/// What `rtbench accuracy` measured: the bare model's answers to the text, and per mode the
/// answers to the text (truth transcripts) and to the spoken questions, with their latency.
struct AccuracyReport: Codable {
    struct Answer: Codable {
        var question: String
        var reply: String
        var right: Bool
        var reasoning: String?
        /// Spoken turns: what the recogniser heard, and whether it is the question word for word.
        var heard: String?
        var heardRight: Bool?
        var speed: Double?
        var firstPacketMs: Double?
        /// Spoken turns: every latency of the turn and the server's own stage timings, to tell
        /// where two configurations' first packets part.
        var metrics: TurnMetrics?
    }

    struct ModeResult: Codable {
        var mode: String
        var truth: [Answer] = []
        var spoken: [Answer] = []
    }

    var label: String
    var split: String
    var questionCount: Int
    var bare: [Answer] = []
    var modes: [ModeResult] = []

    init(label: String, split: String, questions: [AccuracyQuestion]) {
        self.label = label
        self.split = split
        questionCount = questions.count
    }

    static func score(_ answers: [Answer]) -> String {
        guard !answers.isEmpty else { return "–" }
        let right = answers.filter(\.right).count
        return String(format: "%d/%d %.1f%%", right, answers.count, 100 * Double(right) / Double(answers.count))
    }

    func table() -> String {
        var lines = ["\(label), \(split) questions (\(questionCount))"]
        if !bare.isEmpty { lines.append("bare model, text: \(Self.score(bare))") }
        let header = ["mode", "truth transcript", "spoken", "spoken, heard right", "heard right", "first packet p50/p95"]
        var rows: [[String]] = []
        for m in modes {
            let heardRight = m.spoken.filter { $0.heardRight == true }
            let packets = m.spoken.compactMap(\.firstPacketMs)
            let latency = Summary(packets).map { String(format: "%.0f/%.0f ms", $0.p50, $0.p95) } ?? "–"
            rows.append([m.mode, Self.score(m.truth), Self.score(m.spoken), Self.score(heardRight),
                         m.spoken.isEmpty ? "–" : "\(heardRight.count)/\(m.spoken.count)", latency])
        }
        let widths = header.indices.map { i in ([header[i]] + rows.map { $0[i] }).map(\.count).max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }.joined(separator: "  ")
        }
        lines.append(line(header))
        lines += rows.map(line)
        return lines.joined(separator: "\n")
    }

    static func load(_ path: String) throws -> AccuracyReport {
        guard let data = FileManager.default.contents(atPath: path) else { throw UtteranceError("cannot read \(path)") }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do { return try decoder.decode(AccuracyReport.self, from: data) } catch {
            throw UtteranceError("\(path) is not an rtbench accuracy report: \(error)")
        }
    }

    /// Scores every saved reply again with the current answer keys.
    mutating func rescore() {
        let keys = Dictionary(AccuracyQuestion.builtIn.map { ($0.text, $0) }, uniquingKeysWith: { a, _ in a })
        func again(_ answers: inout [Answer]) {
            for i in answers.indices { if let q = keys[answers[i].question] { answers[i].right = AnswerScore.isRight(answers[i].reply, q) } }
        }
        again(&bare)
        for m in modes.indices {
            again(&modes[m].truth)
            again(&modes[m].spoken)
        }
    }

    func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return try encoder.encode(self)
    }
}

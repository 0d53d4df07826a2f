import ArgumentParser
import Foundation

@main
struct RTBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rtbench",
        abstract: "Latency measurement for realtime speech servers (OpenAI Realtime protocol).",
        discussion: """
            `run` speaks utterances to a server (this project's daemon or any server of the \
            OpenAI Realtime protocol) over concurrent sessions and measures each turn on the \
            client's clock; `corpus` writes a set of spoken questions to run with; `report` \
            turns a saved run into the table, CSV and an SVG plot; `compare` says which metrics \
            moved between two runs beyond run-to-run noise.

            Quick start, against a daemon on the default port:
              rtbench corpus --out /tmp/corpus
              rtbench run /tmp/corpus --mode speak_first,think_first --svg /tmp/run.svg
            """,
        subcommands: [Run.self, Accuracy.self, CorpusCommand.self, Report.self, Compare.self]
    )

    static func load(_ path: String) throws -> RunReport {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw ValidationError("cannot read \(path): \(error.localizedDescription)")
        }
        let decoder = JSONDecoder()
        if let report = try? decoder.decode(RunReport.self, from: data) { return report }
        do {
            return RunReport(records: try decoder.decode([TurnRecord].self, from: data))
        } catch {
            throw ValidationError("\(path) is neither an rtbench report nor a list of recorded turns: \(error)")
        }
    }

    struct Report: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the latency table of one or more runs; write JSON, CSV and SVG if asked.",
            discussion: "Several runs (for instance the same questions against two servers) become one report, one configuration per label.")
        @Argument(help: "Runs: rtbench report JSON, or JSON lists of recorded turns.") var paths: [String]
        @Option(help: "Write the full report (every turn, every metric) as JSON.") var json: String?
        @Option(help: "Write one CSV line per turn.") var csv: String?
        @Option(help: "Write the plot (latency CDF per configuration and per-turn timeline) as SVG.") var svg: String?

        func run() throws {
            var report = try RTBenchCommand.load(paths[0])
            for path in paths.dropFirst() { report.turns += try RTBenchCommand.load(path).turns }
            print(report.table())
            if let json { try report.json().write(to: URL(fileURLWithPath: json)) }
            if let csv { try report.csv().write(toFile: csv, atomically: true, encoding: .utf8) }
            if let svg { try Plot.svg(report).write(toFile: svg, atomically: true, encoding: .utf8) }
        }
    }

    struct Compare: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Which metrics moved between two runs, beyond run-to-run noise.")
        @Argument(help: "The baseline run.") var a: String
        @Argument(help: "The run to compare with it.") var b: String
        @Option(help: "Significance level of the Mann–Whitney test.") var alpha = 0.05

        func run() throws {
            print(Comparison(try RTBenchCommand.load(a), try RTBenchCommand.load(b), alpha: alpha).text())
        }
    }
}

import ArgumentParser
import Engine
import Foundation
import Logging

struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check this machine and installation, and measure what the engines do here.",
        discussion: """
            The first thing to run when something is wrong or slow. It prints the processor (model, \
            family/model, the vector instructions that matter), which OpenBLAS kernels run and why, \
            which of the project's own kernels the build has, the ALSA devices with their rates and \
            whether the configured ones open, the model files (verified), where each setting comes \
            from, and whether the server's port is free. Then a short self-benchmark (about 15 s; \
            --no-benchmark skips it): matrix products and memory reads against the processor's \
            peak, the reasoner's tokens per second, the recogniser's and the voice's real-time \
            factors, and one spoken question through a real session, timed to its first reply audio. \
            Each problem comes with the command or setting that fixes it. Exit status 1 when an error \
            was found (warnings alone exit 0).
            """
    )

    @OptionGroup var options: GlobalOptions
    @Flag(help: "Print the report as one JSON object.") var json = false
    @Flag(name: .customLong("no-benchmark"), help: "Skip the self-benchmark (seconds instead of ~15 s).") var noBenchmark = false

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        var checks = DoctorChecks()
        var resolved: ResolvedConfiguration?
        var config: DaemonConfiguration?
        var configError: String?
        do {
            let loader = ConfigurationLoader()
            var all = options.overrides
            if let modelsDir = options.modelsDir { all.append("\(ConfigKey.modelsDir.name)=\(modelsDir)") }
            resolved = try loader.load(file: options.config ?? loader.defaultFile(), overrides: all)
            config = try DaemonConfiguration(resolved!)
        } catch {
            configError = error.description
            checks.problem(.error, "the configuration is invalid: \(error.description)", fix: "correct it; realtime-daemon config keys lists every key and its values")
        }
        let effective = try config ?? DaemonConfiguration(ConfigurationLoader(environment: [:]).load(file: nil, overrides: []))
        var logger = Logger(label: "doctor")
        logger.logLevel = .error

        let blas = checks.blas(environment: environment)
        let kernels = checks.kernels()
        checks.threads(effective.engineThreads)
        let audio = checks.audio(effective)
        let models = checks.models(effective)
        let server = checks.server(effective.server)
        var report = DoctorReport(version: RealtimeDaemonCommand.version, processor: checks.processor(), blas: blas, kernels: kernels,
                                  audio: audio, models: models, configuration: checks.configuration(resolved, error: configError),
                                  server: server, benchmark: nil, problems: checks.problems)
        let modelsReady = !models.contains { $0.state != "verified" }
        if !noBenchmark, kernels.missingFlags.isEmpty {
            if !json { FileHandle.standardError.write(Data("measuring (about 15 s)…\n".utf8)) }
            var benchmark = DoctorBenchmark(cpu: checks.cpu, config: effective, logger: logger)
            report.benchmark = modelsReady ? benchmark.run() : [benchmark.sgemm(), benchmark.memoryBandwidth()]
            report.problems += benchmark.problems
        }
        if json {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else {
            print(report.text)
        }
        if report.problems.contains(where: { $0.severity == .error }) { throw ExitCode(1) }
    }
}

/// What `doctor` found, section by section; encoded as JSON for `--json`, printed as text
/// otherwise. Every problem comes with the command or setting that fixes it.
struct DoctorReport: Codable {
    struct Problem: Codable, Equatable {
        enum Severity: String, Codable { case warning, error }
        var severity: Severity
        var problem: String
        var fix: String
    }

    struct Processor: Codable {
        var modelName: String
        var vendor: String
        var family: Int
        var model: Int
        var cores: Int
        var nominalMHz: Double
        var vectorLevel: String
        /// The flags that decide which kernels run, each present or not.
        var flags: [String: Bool]
    }

    struct BLASState: Codable {
        var library: String
        var core: String
        /// "detected" (OpenBLAS's own choice), "chosen" (replaced a generic choice at start-up)
        /// or "environment" (OPENBLAS_CORETYPE set by the user).
        var source: String
        var generic: Bool
        var threadsPerCall: Int
        var note: String
    }

    struct Kernels: Codable {
        var integerLanes: String
        var requiredFlags: [String]
        var missingFlags: [String]
    }

    struct AudioDevice: Codable {
        var name: String
        var description: String
        var capture: Bool
        var playback: Bool
        var captureRates: String?
        var playbackRates: String?
    }

    struct DeviceCheck: Codable {
        var device: String
        var rate: Int
        var opens: Bool
        var error: String?
    }

    struct Audio: Codable {
        var mode: String
        /// `audio.echo`, and for `cancel` the canceller's set-up (or why it cannot run).
        var echo: String
        var echoCanceller: String?
        var capture: DeviceCheck
        var playback: DeviceCheck
        var devices: [AudioDevice]
    }

    struct Model: Codable {
        var role: String
        var file: String
        var state: String
    }

    struct Configuration: Codable {
        var file: String?
        /// Settings that differ from their default, with where each came from (secrets hidden).
        var settings: [String: String]
        var error: String?
    }

    struct Server: Codable {
        var address: String
        var free: Bool
        var detail: String
    }

    /// A measured rate next to what the machine should reach or what the product needs.
    struct Measure: Codable {
        var name: String
        var value: Double
        var unit: String
        /// What a healthy machine of this kind reaches, or the product's need.
        var expected: String
        var ok: Bool
        var detail: String
    }

    var version: String
    var processor: Processor
    var blas: BLASState
    var kernels: Kernels
    var audio: Audio?
    var models: [Model]
    var configuration: Configuration
    var server: Server?
    var benchmark: [Measure]?
    var problems: [Problem]

    /// The report as a person reads it.
    var text: String {
        var lines: [String] = ["realtime-daemon \(version) doctor", ""]
        func section(_ title: String, _ rows: [String]) {
            for (i, row) in rows.enumerated() {
                lines.append((i == 0 ? title.padding(toLength: 14, withPad: " ", startingAt: 0) : String(repeating: " ", count: 14)) + row)
            }
        }
        let p = processor
        section("processor", ["\(p.modelName) (family \(p.family), model \(p.model)), \(p.cores) cores, \(Int(p.nominalMHz)) MHz nominal",
                              "vectors: \(p.vectorLevel); " + p.flags.sorted { $0.key < $1.key }.map { "\($0.value ? "+" : "-")\($0.key)" }.joined(separator: " ")])
        section("BLAS", ["\(blas.library)", "kernels: \(blas.core) (\(blas.source))\(blas.generic ? ", GENERIC" : ""), \(blas.threadsPerCall) thread per call"])
        section("own kernels", ["integer lanes: \(kernels.integerLanes)"
                                + (kernels.missingFlags.isEmpty ? "" : "; built for flags this CPU lacks: \(kernels.missingFlags.joined(separator: " "))")])
        if let audio {
            var rows = ["audio.enabled=\(audio.mode)", "audio.echo=\(audio.echo)" + (audio.echoCanceller.map { ": \($0)" } ?? "")]
            for (what, check) in [("capture", audio.capture), ("playback", audio.playback)] {
                rows.append("\(what) \(check.device) at \(check.rate) Hz: " + (check.opens ? "opens" : "fails: \(check.error ?? "")"))
            }
            if audio.devices.isEmpty { rows.append("no ALSA PCM devices found") }
            for d in audio.devices where d.name.hasPrefix("hw:") || d.name == "default" {
                let rates = [d.captureRates.map { "capture \($0)" }, d.playbackRates.map { "playback \($0)" }].compactMap { $0 }
                rows.append("\(d.name)  \(d.description)" + (rates.isEmpty ? "" : "  [\(rates.joined(separator: "; "))]"))
            }
            section("audio", rows)
        }
        section("models", models.map { "\($0.role.padding(toLength: 11, withPad: " ", startingAt: 0)) \($0.state.padding(toLength: 9, withPad: " ", startingAt: 0)) \($0.file)" })
        var configRows = ["file: \(configuration.file ?? "none")"]
        if let error = configuration.error { configRows.append("INVALID: \(error)") }
        configRows += configuration.settings.sorted { $0.key < $1.key }.map { "\($0.key) = \($0.value)" }
        if configuration.settings.isEmpty, configuration.error == nil { configRows.append("every key at its default") }
        section("configuration", configRows)
        if let server { section("server", ["\(server.address): \(server.free ? "free" : "in use") (\(server.detail))"]) }
        if let benchmark {
            section("benchmark", benchmark.map { m in
                let value = m.value >= 100 ? String(format: "%.0f", m.value) : String(format: "%.3g", m.value)
                return "\(m.ok ? "ok  " : "SLOW") \(m.name): \(value) \(m.unit) (expected \(m.expected))" + (m.detail.isEmpty ? "" : "; \(m.detail)")
            })
        }
        lines.append("")
        if problems.isEmpty {
            lines.append("no problems found")
        } else {
            for problem in problems {
                lines.append("\(problem.severity == .error ? "error" : "warning"): \(problem.problem)")
                lines.append("  fix: \(problem.fix)")
            }
        }
        return lines.joined(separator: "\n")
    }
}

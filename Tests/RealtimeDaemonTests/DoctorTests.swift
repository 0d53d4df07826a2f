import Engine
import Foundation
import Glibc
import Testing

/// `realtime-daemon doctor`, run as a user runs it, with the installed models.
@Suite(.serialized) struct DoctorTests {
    /// Runs doctor with `environment` on top of this process's, less `removing`; returns the exit
    /// status and the decoded JSON report.
    static func doctor(_ arguments: [String], environment: [String: String] = [:], removing: [String] = ["OPENBLAS_CORETYPE"]) throws
        -> (status: Int32, report: [String: Any], err: String) {
        let process = Process()
        process.executableURL = ServeTests.binary
        process.arguments = ["doctor", "--json"] + arguments
        var env = ProcessInfo.processInfo.environment
        for key in removing { env[key] = nil }
        for (k, v) in environment { env[k] = v }
        process.environment = env
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let report = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        return (process.terminationStatus, report, errors + String(decoding: data, as: UTF8.self))
    }

    static func problems(_ report: [String: Any]) -> [(problem: String, fix: String)] {
        (report["problems"] as? [[String: Any]] ?? []).map { ($0["problem"] as? String ?? "", $0["fix"] as? String ?? "") }
    }

    @Test func reportsTheMachineTheInstallationAndWhatTheEnginesDo() throws {
        // A port in use, to see it named with its fix.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
        listen(fd, 1)
        var bound = sockaddr_in(), length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &bound) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        let port = Int(UInt16(bigEndian: bound.sin_port))

        let r = try Self.doctor(["--set", "audio.enabled=off", "--set", "server.port=\(port)"])
        #expect(r.status == 0, "\(r.err)")
        let processor = r.report["processor"] as? [String: Any] ?? [:]
        #expect(processor["model_name"] as? String == CPUInfo.current.modelName)
        #expect(processor["family"] as? Int == CPUInfo.current.family)
        #expect((r.report["blas"] as? [String: Any])?["library"] as? String ?? "" != "")
        let models = r.report["models"] as? [[String: Any]] ?? []
        #expect(models.count >= 3 && models.allSatisfy { $0["state"] as? String == "verified" }, "\(models)")
        let server = r.report["server"] as? [String: Any] ?? [:]
        #expect(server["free"] as? Bool == false)
        #expect(Self.problems(r.report).contains { $0.fix.contains("server.port") })
        let configuration = r.report["configuration"] as? [String: Any] ?? [:]
        #expect((configuration["settings"] as? [String: String])?["server.port"]?.contains("command line") == true)
        // The self-benchmark measured each engine and a spoken turn that was understood.
        let measures = r.report["benchmark"] as? [[String: Any]] ?? []
        let names = measures.compactMap { $0["name"] as? String }
        for prefix in ["sgemm", "memory read", "reasoner decode", "reasoner prefill", "voice", "recogniser", "one spoken turn"] {
            #expect(names.contains { $0.hasPrefix(prefix) }, "no \(prefix) in \(names)")
        }
        for measure in measures { #expect((measure["value"] as? Double ?? 0) > 0, "\(measure)") }
        let turn = measures.first { ($0["name"] as? String ?? "").hasPrefix("one spoken turn") }
        let detail = (turn?["detail"] as? String ?? "").lowercased()
        #expect(detail.contains("capital"), "\(turn ?? [:])")
    }

    @Test func theKernelsAreNotGenericOnAProcessorWithAVX2() throws {
        let r = try Self.doctor(["--no-benchmark", "--set", "audio.enabled=off"])
        let blas = r.report["blas"] as? [String: Any] ?? [:]
        let core = blas["core"] as? String ?? ""
        if CPUInfo.current.vectorLevel >= .avx2 {
            #expect(blas["generic"] as? Bool == false, "OpenBLAS runs \(core) on \(CPUInfo.current.summary)")
            #expect(BLASCoreChoice.level(ofCore: core) >= .avx2, "\(core)")
        }
        #expect(blas["threads_per_call"] as? Int == 1)
    }

    @Test func aGenericChoiceIsReplacedAtStartUpAndTheLogSaysSo() throws {
        // As if OpenBLAS had not known this processor (what Debian 12's does on recent Xeons).
        let r = try Self.doctor(["--no-benchmark", "--set", "audio.enabled=off"], environment: ["RTD_TEST_BLAS_DETECTED": "Prescott"])
        let blas = r.report["blas"] as? [String: Any] ?? [:]
        let expected = BLASCoreChoice.replacement(for: "Prescott", on: .current)
        try #require(expected != nil, "this processor (\(CPUInfo.current.summary)) has nothing better than generic kernels")
        #expect(blas["core"] as? String == expected)
        #expect(blas["source"] as? String == "chosen")
        #expect((blas["note"] as? String ?? "").contains("Prescott"), "\(blas)")
        // And a command that logs says it in one line (unless the user chose the kernels: a
        // machine's environment may set OPENBLAS_CORETYPE, as the doctor call above removes too).
        let (process, errors) = try ServeTests.run(["transcribe", TranscribeCommandTests.audio.appendingPathComponent("piper-05.flac").path],
                                                   environment: ["RTD_TEST_BLAS_DETECTED": "Prescott"], removing: ["OPENBLAS_CORETYPE"])
        let log = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(log.contains("generic Prescott kernels") && log.contains(expected ?? "?"), "\(log)")
    }

    @Test func aGenericCoreSetByTheUserIsAnErrorWithItsFix() throws {
        let r = try Self.doctor(["--no-benchmark", "--set", "audio.enabled=off"], environment: ["OPENBLAS_CORETYPE": "Prescott"], removing: [])
        let blas = r.report["blas"] as? [String: Any] ?? [:]
        #expect(blas["core"] as? String == "Prescott")
        #expect(blas["source"] as? String == "environment")
        if CPUInfo.current.vectorLevel >= .avx {
            #expect(r.status == 1)
            #expect(Self.problems(r.report).contains { $0.fix.contains("unset OPENBLAS_CORETYPE") }, "\(Self.problems(r.report))")
        }
    }

    @Test func missingModelsComeWithTheCommandThatFetchesThem() throws {
        let empty = ServeTests.temporaryDirectory()
        let r = try Self.doctor(["--no-benchmark", "--set", "audio.enabled=off", "--models-dir", empty.path])
        #expect(r.status == 1)
        let models = r.report["models"] as? [[String: Any]] ?? []
        #expect(models.allSatisfy { $0["state"] as? String == "missing" })
        #expect(Self.problems(r.report).contains { $0.fix == "realtime-daemon models fetch --models-dir \(empty.path)" }, "\(Self.problems(r.report))")
    }

    @Test func textReportNamesEachSection() throws {
        let (process, errors) = try ServeTests.run(["doctor", "--no-benchmark", "--set", "audio.enabled=off"])
        let out = String(decoding: (process.standardOutput as? Pipe)?.fileHandleForReading.readDataToEndOfFile() ?? Data(), as: UTF8.self)
        _ = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        for section in ["processor", "BLAS", "own kernels", "audio", "models", "configuration", "server"] {
            #expect(out.contains("\n\(section)"), "no \(section) in:\n\(out)")
        }
        #expect(out.contains(CPUInfo.current.modelName))
    }
}

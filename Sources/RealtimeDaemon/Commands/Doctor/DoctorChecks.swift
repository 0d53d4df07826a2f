import Engine
import ModelStore
import Foundation
import Glibc
import AudioIO
import Streaming

/// The parts of `doctor` that only look (no model runs): processor, BLAS, kernels, audio devices,
/// models, configuration and the server's port. Each adds its problems to `problems`.
struct DoctorChecks {
    let cpu: CPUInfo
    var problems: [DoctorReport.Problem] = []

    init(cpu: CPUInfo = .current) { self.cpu = cpu }

    mutating func problem(_ severity: DoctorReport.Problem.Severity, _ text: String, fix: String) {
        problems.append(.init(severity: severity, problem: text, fix: fix))
    }

    func processor() -> DoctorReport.Processor {
        .init(modelName: cpu.modelName, vendor: cpu.vendor, family: cpu.family, model: cpu.model, cores: cpu.cores,
              nominalMHz: cpu.megahertz, vectorLevel: cpu.vectorLevel.description,
              flags: Dictionary(uniqueKeysWithValues: CPUInfo.relevantFlags.map { ($0, cpu.flags.contains($0)) }))
    }

    mutating func blas(environment: [String: String]) -> DoctorReport.BLASState {
        let core = BLAS.coreName
        let generic = BLASCoreChoice.isGeneric(core, on: cpu)
        let note = BLASStartup.note
        if generic {
            let better = BLASCoreChoice.replacement(for: core, on: cpu) ?? "a core of this CPU's level"
            problem(.error, "OpenBLAS runs its generic \(core) kernels on this \(cpu.vectorLevel) processor: the recogniser and the voice run 2–4× slower",
                    fix: environment["OPENBLAS_CORETYPE"] != nil ? "unset OPENBLAS_CORETYPE (the daemon then picks \(better))"
                                                                 : "start with OPENBLAS_CORETYPE=\(better) set")
        }
        return .init(library: BLAS.libraryConfiguration, core: core, source: note.source.rawValue, generic: generic,
                     threadsPerCall: BLAS.threadsPerCall, note: note.text)
    }

    mutating func kernels() -> DoctorReport.Kernels {
        let missing = KernelBuild.missingFlags(on: cpu)
        if !missing.isEmpty {
            problem(.error, "this binary was built for a processor with \(missing.joined(separator: ", ")), which this one lacks (it will stop with an illegal instruction)",
                    fix: "rebuild on this machine: swift build -c release --product realtime-daemon (or scripts/setup-and-run.sh)")
        }
        return .init(integerLanes: KernelBuild.integerLanes, requiredFlags: KernelBuild.requiredFlags, missingFlags: missing)
    }

    mutating func audio(_ config: DaemonConfiguration) -> DoctorReport.Audio {
        func check(_ device: AlsaDeviceConfiguration, _ direction: AlsaPCM.Direction) -> DoctorReport.DeviceCheck {
            do {
                _ = try AlsaPCM(device, direction: direction)
                return .init(device: device.device, rate: device.sampleRate, opens: true)
            } catch {
                return .init(device: device.device, rate: device.sampleRate, opens: false, error: error.description)
            }
        }
        let devices = AlsaDeviceList.devices()
        let capture = config.audioMode == .off ? .init(device: config.capture.device, rate: config.capture.sampleRate, opens: false, error: "not checked (audio.enabled=off)")
                                               : check(config.capture, .capture)
        let playback = config.audioMode == .off ? .init(device: config.playback.device, rate: config.playback.sampleRate, opens: false, error: "not checked (audio.enabled=off)")
                                                : check(config.playback, .playback)
        if config.audioMode != .off {
            for (what, key, result) in [("capture", ConfigKey.captureDevice, capture), ("playback", ConfigKey.playbackDevice, playback)] where !result.opens {
                let cards = devices.filter { $0.name.hasPrefix("hw:") }.map(\.name)
                let hint = cards.isEmpty ? "no sound card is visible (in a container, pass /dev/snd through; on a server, use WebSocket clients and --set audio.enabled=off)"
                                         : "devices here: \(cards.joined(separator: ", ")); e.g. --set \(key.name)=plug\(cards[0])"
                problem(config.audioMode == .on ? .error : .warning,
                        "the \(what) device \(result.device) does not open at \(result.rate) Hz: \(result.error ?? "")"
                        + (config.audioMode == .auto ? " (audio.enabled=auto: the daemon serves without the local voice loop)" : ""),
                        fix: hint)
            }
        }
        func rates(_ r: Result<ClosedRange<Int>, AudioError>?) -> String? {
            switch r {
            case .success(let range)?: "\(range.lowerBound)–\(range.upperBound) Hz"
            case .failure(let error)?: "unavailable: \(error.description)"
            case nil: nil
            }
        }
        var canceller: String?
        if config.echo == .cancel {
            do {
                canceller = try EchoCanceller(EchoCanceller.Settings(filter: config.echoFilter)).settings.summary + "; its live state (ERLE, alignment delay) is on /metrics"
            } catch {
                canceller = "cannot run: \(error)"
                let library = config.echoFilter == .speex ? "libspeexdsp" : "libwebrtc-audio-processing"
                problem(.error, "the echo canceller cannot be set up: \(error)", fix: "reinstall \(library) (scripts/install-system-packages.sh), or --set audio.echo=gate")
            }
        }
        return .init(mode: config.audioMode.rawValue, echo: config.echo.rawValue, echoCanceller: canceller, capture: capture, playback: playback,
                     devices: devices.map { .init(name: $0.name, description: $0.description, capture: $0.capture, playback: $0.playback,
                                                  captureRates: rates($0.captureRates), playbackRates: rates($0.playbackRates)) })
    }

    /// Verifies every model file (hashing those changed since their last check).
    mutating func models(_ config: DaemonConfiguration) -> [DoctorReport.Model] {
        let store = ModelStore(directory: config.modelsDirectory)
        var models: [DoctorReport.Model] = []
        var broken = false
        for file in store.manifest.files {
            let state: String
            switch store.quickState(of: file) {
            case .ok: state = "verified"
            case .missing: state = "missing"; broken = true
            case .wrongSize(let size): state = "damaged (\(size) bytes, expected \(file.size))"; broken = true
            case .wrongChecksum: state = "damaged (checksum differs)"; broken = true
            }
            models.append(.init(role: file.role.rawValue, file: store.url(of: file).path, state: state))
        }
        if broken { problem(.error, "model files are missing or damaged in \(store.directory.path)", fix: store.fixCommand) }
        return models
    }

    func configuration(_ resolved: ResolvedConfiguration?, error: String?) -> DoctorReport.Configuration {
        var settings: [String: String] = [:]
        if let resolved {
            for key in ConfigKey.all where resolved.source(key) != .defaultValue {
                let value = if case .secret = key.kind { "(set, hidden)" } else { resolved.string(key) }
                settings[key.name] = "\(value)  (\(resolved.source(key)))"
            }
        }
        return .init(file: resolved?.file, settings: settings, error: error)
    }

    /// Whether the server's address can be bound now.
    mutating func server(_ settings: DaemonConfiguration.ServerSettings) -> DoctorReport.Server {
        let address = "\(settings.host):\(settings.port)"
        guard settings.port != 0 else { return .init(address: address, free: true, detail: "port 0: any free port") }
        switch PortProbe.canBind(host: settings.host, port: settings.port) {
        case .success:
            return .init(address: address, free: true, detail: "can be bound")
        case .failure(let reason):
            problem(.warning, "\(address) cannot be bound: \(reason) (a daemon already running there is fine)",
                    fix: "stop what listens there (ss -ltnp 'sport = :\(settings.port)'), or --set server.port=N")
            return .init(address: address, free: false, detail: reason.description)
        }
    }

    mutating func threads(_ engineThreads: Int) {
        if engineThreads > cpu.cores {
            problem(.warning, "engine.threads=\(engineThreads) but this process may use \(cpu.cores) cores: the threads will contend",
                    fix: "--set engine.threads=\(cpu.cores)")
        }
    }
}

/// Binds and releases a TCP socket to see whether an address is free.
enum PortProbe {
    static func canBind(host: String, port: Int) -> Result<Void, ProbeError> {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE
        var info: UnsafeMutablePointer<addrinfo>?
        let resolved = getaddrinfo(host, String(port), &hints, &info)
        guard resolved == 0, let first = info else { return .failure(ProbeError(String(cString: gai_strerror(resolved)))) }
        defer { freeaddrinfo(info) }
        let fd = socket(first.pointee.ai_family, first.pointee.ai_socktype, first.pointee.ai_protocol)
        guard fd >= 0 else { return .failure(ProbeError(String(cString: strerror(errno)))) }
        defer { close(fd) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        guard bind(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0 else { return .failure(ProbeError(String(cString: strerror(errno)))) }
        return .success(())
    }

    struct ProbeError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}

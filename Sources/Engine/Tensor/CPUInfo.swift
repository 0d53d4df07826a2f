import Foundation

/// What the processor is and which vector instructions it offers, read from `/proc/cpuinfo`
/// (the kernel lists only the features it enabled, so AVX-512 switched off by the OS is absent).
public struct CPUInfo: Sendable, Equatable {
    public var modelName: String
    public var vendor: String
    public var family: Int
    public var model: Int
    public var flags: Set<String>
    /// The nominal clock in MHz as the kernel reports it (a VM reports its host's base clock).
    public var megahertz: Double
    /// Logical CPUs this process may run on.
    public var cores: Int

    public init(modelName: String, vendor: String, family: Int, model: Int, flags: Set<String>, megahertz: Double = 0, cores: Int = 1) {
        self.modelName = modelName
        self.vendor = vendor
        self.family = family
        self.model = model
        self.flags = flags
        self.megahertz = megahertz
        self.cores = cores
    }

    /// Parses the first processor's block of `/proc/cpuinfo`.
    public init(cpuinfo: String, cores: Int = 1) {
        var fields: [String: String] = [:]
        for line in cpuinfo.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.trimmingCharacters(in: .whitespaces).isEmpty, !fields.isEmpty { break }
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            fields[parts[0].trimmingCharacters(in: .whitespaces)] = parts[1].trimmingCharacters(in: .whitespaces)
        }
        self.init(modelName: fields["model name"] ?? "unknown", vendor: fields["vendor_id"] ?? "unknown",
                  family: Int(fields["cpu family"] ?? "") ?? 0, model: Int(fields["model"] ?? "") ?? 0,
                  flags: Set((fields["flags"] ?? "").split(separator: " ").map(String.init)),
                  megahertz: Double(fields["cpu MHz"] ?? "") ?? 0, cores: cores)
    }

    /// This machine's processor.
    public static let current: CPUInfo = {
        let text = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        return CPUInfo(cpuinfo: text, cores: ProcessInfo.processInfo.activeProcessorCount)
    }()

    /// The widest vector level whose instructions the processor has.
    public var vectorLevel: VectorLevel {
        if flags.isSuperset(of: ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx2", "fma"]) { return .avx512 }
        if flags.isSuperset(of: ["avx2", "fma"]) { return .avx2 }
        if flags.contains("avx") { return .avx }
        return .sse
    }

    public var isAMD: Bool { vendor == "AuthenticAMD" || vendor == "HygonGenuine" }

    /// The features that decide which kernels run, in the order they widen.
    public static let relevantFlags = ["sse4_2", "avx", "f16c", "fma", "avx2", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_vnni", "avx_vnni"]

    /// "AMD EPYC (family 25, model 1)", the way figures name their machine.
    public var summary: String { "\(modelName) (family \(family), model \(model))" }

    /// Single-precision floating-point operations one core can start per cycle at this level,
    /// assuming two fused multiply-add units (what current server and desktop cores have).
    public var peakFlopsPerCycle: Double {
        switch vectorLevel {
        case .avx512: 64
        case .avx2: 32
        case .avx: 16
        case .sse: 8
        }
    }

    /// The peak single-precision rate of `threads` cores at the nominal clock, in GFLOP/s.
    public func peakGigaflops(threads: Int) -> Double { peakFlopsPerCycle * megahertz / 1000 * Double(threads) }
}

/// Vector instruction levels, ordered.
public enum VectorLevel: Int, Sendable, Comparable, CustomStringConvertible {
    case sse, avx, avx2, avx512
    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
    public var description: String {
        switch self {
        case .sse: "SSE"
        case .avx: "AVX"
        case .avx2: "AVX2+FMA"
        case .avx512: "AVX-512"
        }
    }
}

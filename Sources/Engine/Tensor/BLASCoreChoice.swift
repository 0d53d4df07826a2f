/// Which OpenBLAS kernel family ("core") should run on a processor.
///
/// OpenBLAS picks its kernels from the CPU's identity when the library loads. A release that
/// does not know a processor falls back to generic kernels: Debian 12's 0.3.21 runs its SSE3
/// "Prescott" kernels on Intel's Sapphire/Emerald Rapids, and every sgemm of the recogniser and
/// the voice is then 3–4× slower. The processor's flags say what it can run, so a generic choice
/// on a processor with wider vectors is replaced by the kernels of its vector level. A choice
/// OpenBLAS made among modern kernels stands (Zen on an AMD processor with AVX-512, say).
public enum BLASCoreChoice {
    /// OpenBLAS's x86-64 core names by the widest vectors their kernels use (lower case).
    static let levels: [String: VectorLevel] = {
        var levels: [String: VectorLevel] = [:]
        for name in ["unknown", "katmai", "coppermine", "northwood", "prescott", "banias", "atom", "core2", "penryn", "dunnington",
                     "nehalem", "athlon", "opteron", "opteron_sse3", "barcelona", "nano", "bobcat"] { levels[name] = .sse }
        for name in ["sandybridge", "bulldozer", "piledriver", "steamroller", "excavator"] { levels[name] = .avx }
        for name in ["haswell", "zen"] { levels[name] = .avx2 }
        for name in ["skylakex", "cooperlake", "sapphirerapids"] { levels[name] = .avx512 }
        return levels
    }()

    /// The vector level of a core's kernels; an unknown name counts as generic.
    public static func level(ofCore name: String) -> VectorLevel { levels[name.lowercased()] ?? .sse }

    /// Whether `core` is one of the fallbacks OpenBLAS uses for processors it does not know.
    public static func isGeneric(_ core: String, on cpu: CPUInfo) -> Bool {
        level(ofCore: core) < min(cpu.vectorLevel, .avx2)
    }

    /// The core to use instead of `detected` on `cpu`, or nil to keep what OpenBLAS chose.
    public static func replacement(for detected: String, on cpu: CPUInfo) -> String? {
        guard isGeneric(detected, on: cpu) else { return nil }
        switch cpu.vectorLevel {
        case .avx512: return "SkylakeX"
        case .avx2: return cpu.isAMD ? "Zen" : "Haswell"
        case .avx: return "Sandybridge"
        case .sse: return nil
        }
    }
}

/// Which instruction sets this build's own kernels were compiled for (`Package.swift` reads
/// them from the building processor and builds with `-target-cpu native`).
public enum KernelBuild {
    /// How the reasoner's quantized dot products get their integer lanes (`BlockLanes`).
    public static var integerLanes: String {
        #if RTD_AVX512_VNNI
        "AVX-512 VNNI (vpdpbusd)"
        #elseif RTD_AVX2
        "AVX2 (vpmaddubsw, vpmaddwd)"
        #else
        "portable Swift"
        #endif
    }

    /// The processor flags the build's intrinsics need; a processor without one of them cannot
    /// run this binary's kernels (rebuild on it).
    public static var requiredFlags: [String] {
        #if RTD_AVX512_VNNI
        ["avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_vnni"]
        #elseif RTD_AVX2
        ["avx2", "fma", "f16c"]
        #else
        []
        #endif
    }

    /// Required flags `cpu` lacks (empty when the build suits it).
    public static func missingFlags(on cpu: CPUInfo) -> [String] { requiredFlags.filter { !cpu.flags.contains($0) } }
}

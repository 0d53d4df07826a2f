import Testing
@testable import Engine

/// Which OpenBLAS kernels should run, decided from the processor's flags.
@Suite struct BLASCoreChoiceTests {
    static let emeraldRapids = CPUInfo(modelName: "INTEL(R) XEON(R) PLATINUM 8581C", vendor: "GenuineIntel", family: 6, model: 207,
                                       flags: ["sse4_2", "avx", "fma", "avx2", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_vnni"])
    static let milan = CPUInfo(modelName: "AMD EPYC", vendor: "AuthenticAMD", family: 25, model: 1, flags: ["sse4_2", "avx", "fma", "avx2"])
    static let haswell = CPUInfo(modelName: "Intel Core i7-4770", vendor: "GenuineIntel", family: 6, model: 60, flags: ["sse4_2", "avx", "fma", "avx2"])
    static let oldAtom = CPUInfo(modelName: "Intel Atom", vendor: "GenuineIntel", family: 6, model: 28, flags: ["sse3", "ssse3"])

    @Test func genericKernelsOnANewerProcessorAreReplacedByItsVectorLevel() {
        #expect(BLASCoreChoice.replacement(for: "Prescott", on: Self.emeraldRapids) == "SkylakeX")
        #expect(BLASCoreChoice.replacement(for: "Core2", on: Self.emeraldRapids) == "SkylakeX")
        #expect(BLASCoreChoice.replacement(for: "Prescott", on: Self.milan) == "Zen")
        #expect(BLASCoreChoice.replacement(for: "Unknown", on: Self.haswell) == "Haswell")
        #expect(BLASCoreChoice.replacement(for: "Sandybridge", on: Self.haswell) == "Haswell")
    }

    @Test func aModernChoiceOfOpenBLASStands() {
        #expect(BLASCoreChoice.replacement(for: "Zen", on: Self.milan) == nil)
        #expect(BLASCoreChoice.replacement(for: "Haswell", on: Self.emeraldRapids) == nil)  // e.g. AVX-512 slow on that part: OpenBLAS's call
        #expect(BLASCoreChoice.replacement(for: "SkylakeX", on: Self.emeraldRapids) == nil)
        #expect(BLASCoreChoice.replacement(for: "Prescott", on: Self.oldAtom) == nil)  // nothing better to run
        #expect(!BLASCoreChoice.isGeneric("Zen", on: Self.emeraldRapids))
        #expect(BLASCoreChoice.isGeneric("prescott", on: Self.milan))
    }

    @Test func cpuinfoIsReadFromTheFirstProcessor() {
        let text = """
            processor\t: 0
            vendor_id\t: AuthenticAMD
            cpu family\t: 25
            model\t\t: 1
            model name\t: AMD EPYC
            cpu MHz\t\t: 2445.406
            flags\t\t: fpu sse4_2 avx fma avx2 avx512f

            processor\t: 1
            vendor_id\t: GenuineIntel
            """
        let cpu = CPUInfo(cpuinfo: text, cores: 2)
        #expect(cpu.vendor == "AuthenticAMD" && cpu.family == 25 && cpu.model == 1 && cpu.modelName == "AMD EPYC")
        #expect(cpu.vectorLevel == .avx2)  // avx512f alone (no bw/vl/dq) is not the AVX-512 kernels' level
        #expect(abs(cpu.megahertz - 2445.406) < 0.001)
        #expect(cpu.peakGigaflops(threads: 2) > 156 && cpu.peakGigaflops(threads: 2) < 157)
        #expect(cpu.summary == "AMD EPYC (family 25, model 1)")
    }

    @Test func thisMachinesBuildSuitsItsProcessor() {
        #expect(KernelBuild.missingFlags(on: .current).isEmpty, "built for \(KernelBuild.requiredFlags), running on \(CPUInfo.current.flags.sorted())")
    }
}

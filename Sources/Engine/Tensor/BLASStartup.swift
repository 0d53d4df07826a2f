import Foundation
import Glibc

/// Makes sure the right OpenBLAS kernels run, before anything computes.
///
/// OpenBLAS reads `OPENBLAS_CORETYPE` once, when the library is loaded, before `main`. So when it
/// picked generic kernels for a processor that can run better ones (`BLASCoreChoice`), the
/// process starts itself again with the variable set; a value the user set always wins. The
/// outcome is one line for the log (`note`).
public enum BLASStartup {
    /// What was chosen and why, for the log; set by `ensureSuitableKernels`.
    public nonisolated(unsafe) static var note = BLASNote(level: .debug, source: .detected, text: "BLAS: not checked")

    public struct BLASNote: Sendable {
        public enum Level: Sendable { case debug, notice, warning }
        /// Who chose the kernels: OpenBLAS, this start-up (replacing a generic choice), or the user.
        public enum Source: String, Sendable { case detected, chosen, environment }
        public var level: Level
        public var source: Source
        public var text: String
    }

    /// Set in the environment of the restarted process: the core OpenBLAS had detected.
    static let restartMarker = "RTD_BLAS_DETECTED"
    /// Tests only: treat this as the core OpenBLAS detected, to exercise the restart on a
    /// processor OpenBLAS knows.
    static let testDetectedOverride = "RTD_TEST_BLAS_DETECTED"

    /// Called first thing in `main`. Returns only if the kernels in use are the ones to keep
    /// (or the restart failed, which the note then says).
    public static func ensureSuitableKernels(cpu: CPUInfo = .current) {
        BLAS.useOneThreadPerCall()
        let environment = ProcessInfo.processInfo.environment
        let core = BLAS.coreName
        let threads = "one thread per call (the engine splits the work itself)"
        if let detected = environment[restartMarker] {
            unsetenv(restartMarker)
            note = BLASNote(level: .notice, source: .chosen, text: "BLAS: OpenBLAS chose its generic \(detected) kernels for \(cpu.summary), which has \(cpu.vectorLevel); "
                            + "running its \(core) kernels instead (set OPENBLAS_CORETYPE to choose yourself), \(threads)")
            return
        }
        if let userCore = environment["OPENBLAS_CORETYPE"] {
            let generic = BLASCoreChoice.isGeneric(core, on: cpu)
            note = BLASNote(level: generic ? .warning : .debug, source: .environment,
                            text: "BLAS: OPENBLAS_CORETYPE=\(userCore) from the environment: OpenBLAS runs its \(core) kernels, \(threads)"
                            + (generic ? "; they are generic on this \(cpu.vectorLevel) processor and slow: unset OPENBLAS_CORETYPE" : ""))
            return
        }
        let detected = environment[testDetectedOverride] ?? core
        guard let better = BLASCoreChoice.replacement(for: detected, on: cpu) else {
            note = BLASNote(level: .debug, source: .detected, text: "BLAS: OpenBLAS runs its \(core) kernels on \(cpu.summary), \(threads)")
            return
        }
        setenv("OPENBLAS_CORETYPE", better, 1)
        setenv(restartMarker, detected, 1)
        unsetenv(testDetectedOverride)
        restart()
        // Only reached when exec failed.
        let reason = String(cString: strerror(errno))
        unsetenv("OPENBLAS_CORETYPE")
        unsetenv(restartMarker)
        note = BLASNote(level: .warning, source: .detected, text: "BLAS: OpenBLAS chose its generic \(detected) kernels for \(cpu.summary), and restarting with "
                        + "OPENBLAS_CORETYPE=\(better) failed (\(reason)); everything runs slower: start with OPENBLAS_CORETYPE=\(better) set")
    }

    /// Replaces this process with a new run of the same executable and arguments.
    private static func restart() {
        let arguments = CommandLine.arguments
        var argv = arguments.map { strdup($0) }
        argv.append(nil)
        execv("/proc/self/exe", &argv)
        for pointer in argv { free(pointer) }
    }
}

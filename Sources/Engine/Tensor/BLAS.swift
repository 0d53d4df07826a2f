import COpenBLAS
import Synchronization

/// The one way into OpenBLAS: matrix products, and what the library runs them with.
///
/// Every product goes through `sgemm`, which also counts its floating-point operations, so that
/// `doctor` can say how close a model's matrix work comes to the processor's peak.
public enum BLAS {
    /// Whether a matrix is used as stored or transposed.
    public enum Layout: Sendable {
        case normal, transposed
        var cblas: CBLAS_TRANSPOSE { self == .normal ? CblasNoTrans : CblasTrans }
    }

    /// C (m × n, row stride ldc) = alpha · op(A) · op(B) + beta · C, row-major; op(A) is m × k.
    @inline(__always)
    public static func sgemm(_ a: Layout, _ b: Layout, m: Int, n: Int, k: Int, alpha: Float = 1,
                             _ pa: UnsafePointer<Float>, lda: Int, _ pb: UnsafePointer<Float>, ldb: Int,
                             beta: Float = 0, _ pc: UnsafeMutablePointer<Float>, ldc: Int) {
        cblas_sgemm(CblasRowMajor, a.cblas, b.cblas, Int32(m), Int32(n), Int32(k), alpha, pa, Int32(lda), pb, Int32(ldb), beta, pc, Int32(ldc))
        operations.add(UInt64(2 * m * n * k), ordering: .relaxed)
    }

    private static let operations = Atomic<UInt64>(0)

    /// Floating-point operations of every product so far (multiply and add counted apart).
    public static var operationCount: UInt64 { operations.load(ordering: .relaxed) }

    /// The kernel family OpenBLAS runs ("Zen", "Haswell", "SkylakeX", "Prescott"…).
    public static var coreName: String { String(cString: openblas_get_corename()) }

    /// OpenBLAS's version and build options ("OpenBLAS 0.3.21 DYNAMIC_ARCH … MAX_THREADS=64").
    public static var libraryConfiguration: String { String(cString: openblas_get_config()) }

    /// Threads OpenBLAS would use for one call.
    public static var threadsPerCall: Int { Int(openblas_get_num_threads()) }

    /// One thread per call: the engine splits its products over its own workers
    /// (`Parallel.chunks`), and OpenBLAS's threads on top of them would oversubscribe the cores.
    public static func useOneThreadPerCall() {
        if openblas_get_num_threads() != 1 { openblas_set_num_threads(1) }
    }
}

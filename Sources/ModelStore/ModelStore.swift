import Engine
import Foundation

/// The models directory: where model files live, whether they are all there and intact, and the
/// error (naming the file and the command that fixes it) when one is not.
public struct ModelStore: Sendable {
    public let directory: URL
    public let manifest: ModelManifest

    /// The command a person runs to repair the directory; quoted in every error.
    public var fixCommand: String {
        directory.path == Self.defaultDirectory().path
            ? "realtime-daemon models fetch"
            : "realtime-daemon models fetch --models-dir \(directory.path)"
    }

    public init(directory: URL, manifest: ModelManifest = .standard) {
        self.directory = directory
        self.manifest = manifest
    }

    /// `$RTD_MODELS_DIR`, else `$XDG_DATA_HOME/realtime-daemon/models`, else
    /// `~/.local/share/realtime-daemon/models`.
    public static func defaultDirectory(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        if let dir = environment["RTD_MODELS_DIR"], !dir.isEmpty { return URL(fileURLWithPath: dir) }
        if let xdg = environment["XDG_DATA_HOME"], !xdg.isEmpty {
            return URL(fileURLWithPath: xdg).appendingPathComponent("realtime-daemon/models")
        }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return URL(fileURLWithPath: home).appendingPathComponent(".local/share/realtime-daemon/models")
    }

    public func url(of file: ModelFile) -> URL { directory.appendingPathComponent(file.relativePath) }

    /// The directory holding `role`'s files (a CTranslate2 Whisper model is a directory).
    public func directory(of role: ModelRole) -> URL? {
        manifest.files(for: role).first.map { url(of: $0).deletingLastPathComponent() }
    }

    /// Where the file of `role` whose name ends with `suffix` lives (e.g. the voice's `.onnx`).
    public func path(role: ModelRole, endingWith suffix: String = "") -> URL? {
        manifest.files(for: role).first { $0.relativePath.hasSuffix(suffix) }.map(url(of:))
    }

    /// What a look at one file found.
    public enum FileState: Equatable, Sendable {
        case ok
        case missing
        case wrongSize(Int)
        case wrongChecksum(String)
    }

    /// Fast check: presence and size, plus the checksum recorded when the file was last verified
    /// (a stamp keyed by size and modification time), hashing only files that changed since.
    public func quickState(of file: ModelFile) -> FileState {
        let path = url(of: file).path
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let size = attributes[.size] as? Int else { return .missing }
        guard size == file.size else { return .wrongSize(size) }
        if VerificationStamp.matches(file: url(of: file), sha256: file.sha256) { return .ok }
        return fullState(of: file)
    }

    /// Full check: hashes the file.
    public func fullState(of file: ModelFile, progress: ((Int) -> Void)? = nil) -> FileState {
        let fileURL = url(of: file)
        guard FileManager.default.fileExists(atPath: fileURL.path) else { return .missing }
        guard let digest = try? FileDigest.sha256(path: fileURL.path, progress: progress) else { return .missing }
        guard digest == file.sha256 else { return .wrongChecksum(digest) }
        VerificationStamp.record(file: fileURL, sha256: digest)
        return .ok
    }

    /// Throws a clear error unless every file of `role` is present with the right size. Model
    /// loaders call this first so a missing file never surfaces as a parse failure.
    public func require(_ role: ModelRole) throws(EngineError) {
        for file in manifest.files(for: role) {
            switch quickState(of: file) {
            case .ok: continue
            case .missing:
                throw .modelFileMissing(path: url(of: file).path, role: role.rawValue, fix: fixCommand)
            case .wrongSize(let size):
                throw .modelFileCorrupt(path: url(of: file).path, expectedSHA256: file.sha256,
                                        actualSHA256: "unknown (size \(size) bytes, expected \(file.size))", fix: fixCommand)
            case .wrongChecksum(let digest):
                throw .modelFileCorrupt(path: url(of: file).path, expectedSHA256: file.sha256, actualSHA256: digest, fix: fixCommand)
            }
        }
    }
}

/// `<file>.verified`: the checksum a file had at a given size and modification time, so that
/// `models fetch` and start-up do not re-hash 300 MB on every run.
enum VerificationStamp {
    static func stampURL(for file: URL) -> URL { file.appendingPathExtension("verified") }

    static func key(for file: URL) -> String? {
        guard let a = try? FileManager.default.attributesOfItem(atPath: file.path),
              let size = a[.size] as? Int, let date = a[.modificationDate] as? Date else { return nil }
        return "\(size) \(date.timeIntervalSince1970)"
    }

    static func matches(file: URL, sha256: String) -> Bool {
        guard let key = key(for: file),
              let text = try? String(contentsOf: stampURL(for: file), encoding: .utf8) else { return false }
        return text == "\(sha256) \(key)\n"
    }

    static func record(file: URL, sha256: String) {
        guard let key = key(for: file) else { return }
        try? "\(sha256) \(key)\n".write(to: stampURL(for: file), atomically: true, encoding: .utf8)
    }
}

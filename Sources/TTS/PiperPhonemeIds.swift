import Foundation

/// A Piper voice's phoneme-id map (from its `.onnx.json`) and the id sequence Piper feeds the
/// model: BOS, then each phoneme followed by the padding id, then EOS.
public struct PiperPhonemeIds: Sendable {
    public let map: [Unicode.Scalar: [Int]]
    /// The espeak-ng voice the map was made for (`espeak.voice`).
    public let espeakVoice: String
    public let bos: [Int]
    public let eos: [Int]
    public let pad: [Int]

    /// Reads the voice's configuration file.
    public init(configPath: String) throws(TTSError) {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: configPath)) } catch {
            throw .voiceConfiguration(path: configPath, message: "cannot read: \(error.localizedDescription)")
        }
        struct Config: Decodable {
            struct Espeak: Decodable { var voice: String }
            var espeak: Espeak?
            var phoneme_id_map: [String: [Int]]
        }
        let config: Config
        do { config = try JSONDecoder().decode(Config.self, from: data) } catch {
            throw .voiceConfiguration(path: configPath, message: "not a Piper voice configuration: \(error)")
        }
        var map = [Unicode.Scalar: [Int]]()
        for (key, ids) in config.phoneme_id_map {
            let scalars = Array(key.unicodeScalars)
            guard scalars.count == 1 else { continue }  // Piper's maps hold single code points
            map[scalars[0]] = ids
        }
        guard let bos = map["^"], let eos = map["$"], let pad = map["_"] else {
            throw .voiceConfiguration(path: configPath, message: "phoneme_id_map lacks ^, $ or _")
        }
        self.map = map
        self.bos = bos
        self.eos = eos
        self.pad = pad
        espeakVoice = config.espeak?.voice ?? "en-us"
    }

    /// The ids of one sentence's phonemes. Phonemes the voice does not know are skipped and
    /// returned in `missing` (as Piper skips them).
    public func ids(for phonemes: String) -> (ids: [Int], missing: [Unicode.Scalar]) {
        var ids = bos + pad
        var missing = [Unicode.Scalar]()
        for scalar in phonemes.unicodeScalars {
            guard let id = map[scalar] else { missing.append(scalar); continue }
            ids += id + pad
        }
        return (ids + eos, missing)
    }
}

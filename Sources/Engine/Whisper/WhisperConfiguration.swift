import Foundation

/// The dimensions of a Whisper model, read from the variables of its `model.bin`, and the
/// decoding rules of its `config.json` (suppressed tokens, language tokens).
public struct WhisperConfiguration: Sendable, Equatable {
    public var melCount: Int
    public var width: Int
    public var encoderLayers: Int
    public var encoderHeads: Int
    public var decoderLayers: Int
    public var decoderHeads: Int
    public var vocabularySize: Int
    /// Encoder positions (1500 for 30 s); the mel input may have twice as many frames.
    public var audioContext: Int
    /// Decoder positions (448).
    public var textContext: Int
    public var feedForwardWidth: Int
    /// Never generated (`suppress_ids`).
    public var suppressIDs: [Int]
    /// Not generated as the first token (`suppress_ids_begin`: the blank and end of text).
    public var suppressIDsAtBegin: [Int]

    public var maxFrames: Int { 2 * audioContext }

    init(model: CTranslate2Model, configPath: String?) throws(EngineError) {
        guard model.specName == "WhisperSpec" else {
            throw .unsupportedModel(path: model.path, message: "this is a CTranslate2 \(model.specName), not a Whisper model")
        }
        let conv1 = try model.variable("encoder/conv1/weight")
        guard conv1.shape.count == 3, conv1.shape[2] == 3 else {
            throw .malformedModel(path: model.path, message: "encoder/conv1/weight has shape \(conv1.shape), expected [width, mels, 3]")
        }
        width = conv1.shape[0]
        melCount = conv1.shape[1]
        encoderLayers = Self.layerCount(model, prefix: "encoder/layer_")
        decoderLayers = Self.layerCount(model, prefix: "decoder/layer_")
        guard encoderLayers > 0, decoderLayers > 0 else {
            throw .malformedModel(path: model.path, message: "no encoder or decoder layers")
        }
        encoderHeads = (try? model.integer("encoder/num_heads")) ?? width / 64
        decoderHeads = (try? model.integer("decoder/num_heads")) ?? width / 64
        guard encoderHeads > 0, decoderHeads > 0, width % encoderHeads == 0, width % decoderHeads == 0 else {
            throw .malformedModel(path: model.path, message: "head counts \(encoderHeads)/\(decoderHeads) do not divide the width \(width)")
        }
        let embeddings = try model.variable("decoder/embeddings/weight")
        vocabularySize = embeddings.shape.first ?? 0
        audioContext = try model.variable("encoder/position_encodings/encodings").shape.first ?? 0
        textContext = try model.variable("decoder/position_encodings/encodings").shape.first ?? 0
        feedForwardWidth = try model.variable("encoder/layer_0/ffn/linear_0/weight").shape.first ?? 0

        suppressIDs = []
        suppressIDsAtBegin = []
        if let configPath, let data = FileManager.default.contents(atPath: configPath) {
            guard let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw .malformedModel(path: configPath, message: "not a JSON object")
            }
            // Ids outside the vocabulary (a damaged config.json) are left out, never indexed.
            suppressIDs = ((json["suppress_ids"] as? [Int]) ?? []).filter { (0..<vocabularySize).contains($0) }
            suppressIDsAtBegin = ((json["suppress_ids_begin"] as? [Int]) ?? []).filter { (0..<vocabularySize).contains($0) }
        }
    }

    private static func layerCount(_ model: CTranslate2Model, prefix: String) -> Int {
        var n = 0
        while model.variables["\(prefix)\(n)/ffn/linear_0/weight"] != nil { n += 1 }
        return n
    }
}

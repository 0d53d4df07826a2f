import Engine
import Foundation
import AudioIO
import Streaming
import TTS

/// What each fuzz target does with one input. Every harness must return for every input: an
/// error value is the expected outcome of most, a trap (overflow, out of range, force unwrap) is
/// the bug the fuzzer looks for.
enum Harness: String, CaseIterable {
    /// A client's text frame: JSON event parsing, then `session.update` applied to a configuration.
    case clientEvent = "client-event"
    /// A client's audio: the first byte chooses base64 PCM (an `append` event's audio) or an Opus
    /// packet (a binary frame); decoded samples go through the 24 → 16 kHz resampler.
    case audioInput = "audio-input"
    /// A GGUF model file: the reader, the llama/qwen2 hyper-parameters, the tokenizer.
    case gguf
    /// A CTranslate2 `model.bin`: the reader and its scalar reads.
    case ctranslate2
    /// An ONNX file: the protobuf reader, every initializer as floats, the VITS voice's graph.
    case onnx

    func run(_ bytes: UnsafeRawBufferPointer) {
        switch self {
        case .clientEvent: Self.clientEvent(bytes)
        case .audioInput: Self.audioInput(bytes)
        case .gguf: Self.withFile(bytes, suffix: "gguf") { path in
            guard let file = try? GGUFFile(path: path) else { return }
            _ = try? LlamaConfiguration(file)
            if let tokenizer = try? Tokenizer(file) { _ = tokenizer.encode("Hello <|im_start|> wörld 123") }
        }
        case .ctranslate2: Self.withFile(bytes, suffix: "bin") { path in
            guard let model = try? CTranslate2Model(path: path) else { return }
            for name in model.variables.keys.sorted().prefix(16) {
                _ = try? model.integer(name)
                _ = try? model.floats(name)
            }
        }
        case .onnx: Self.withFile(bytes, suffix: "onnx") { path in
            guard let model = try? ONNXModel(path: path) else { return }
            for name in model.initializers.keys.sorted().prefix(16) { _ = try? model.floats(name) }
            _ = try? VITSModel(onnxPath: path, threads: 1)
        }
        }
    }

    static func clientEvent(_ bytes: UnsafeRawBufferPointer) {
        let text = String(decoding: bytes, as: UTF8.self)
        let parsed = ClientEvent.parse(text)
        if case .sessionUpdate(let update) = parsed.event {
            var configuration = SessionConfiguration()
            try? configuration.apply(update.object)
            _ = configuration.json
        }
        if case .appendAudio(let audio) = parsed.event { _ = try? SampleConversion.base64PCM16ToFloat(audio) }
    }

    static func audioInput(_ bytes: UnsafeRawBufferPointer) {
        guard let selector = bytes.first else { return }
        let payload = UnsafeRawBufferPointer(rebasing: bytes.dropFirst())
        let samples: [Float]?
        if selector & 1 == 0 {
            samples = try? SampleConversion.base64PCM16ToFloat(String(decoding: payload, as: UTF8.self))
        } else {
            samples = try? OpusDecoder().decode(Array(payload))
        }
        if let samples, !samples.isEmpty, let resampler = try? Resampler(from: 24_000, to: 16_000) {
            _ = try? resampler.process(samples)
        }
    }

    /// Model readers map files: the input goes to a file in memory first.
    static func withFile(_ bytes: UnsafeRawBufferPointer, suffix: String, _ body: (String) -> Void) {
        let directory = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let path = "\(directory)/rtd-fuzz-\(getpid()).\(suffix)"
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else { return }
        defer { unlink(path) }
        body(path)
    }
}

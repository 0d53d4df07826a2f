import Engine
import ModelStore
import Foundation

/// The real model files, fetched by the test command (`scripts/test.sh`) before the tests run.
enum ModelPaths {
    static let store = ModelStore(directory: ModelStore.defaultDirectory())

    static var smolLM: String {
        get throws {
            try store.require(.reasoner)
            return store.path(role: .reasoner, endingWith: ".gguf")?.path ?? ""
        }
    }

    static var whisperDirectory: String {
        get throws {
            try store.require(.recognizer)
            return store.directory(of: .recognizer)?.path ?? ""
        }
    }
}

import Engine
import Foundation
import Logging
import Streaming
import TTS

/// Loads the three models every session shares (recogniser, reasoner, voice) and warms them up.
enum ModelSet {
    static func load(_ config: DaemonConfiguration, voice: String? = nil, logger: Logger) throws -> SessionServices {
        let store = ModelStore(directory: config.modelsDirectory)
        let started = ContinuousClock.now
        try store.require(.recognizer)
        try store.require(.reasoner)
        let whisper = try WhisperModel(directory: store.directory(of: .recognizer)?.path ?? "", threads: config.engineThreads)
        let transcriber = WhisperTranscriber(model: whisper)
        let llm = try LlamaModel(path: store.path(role: .reasoner, endingWith: ".gguf")?.path ?? "", threads: config.engineThreads)
        let engine = try EmbeddedReplyEngine(model: llm)
        let speechVoice = try VoiceLoader.load(voice, config: config, threads: config.engineThreads, logger: logger)
        speechVoice.warmUp()
        _ = try? transcriber.transcribe([Float](repeating: 0, count: 8_000))
        var services = SessionServices(transcriber: transcriber, engine: engine, voice: SpeechReplyVoice(speechVoice))
        services.serverVersion = RealtimeDaemonCommand.version
        logger.info("models loaded", metadata: [
            "recogniser": "\(URL(fileURLWithPath: whisper.directory).lastPathComponent)", "reasoner": "\(engine.name)", "voice": "\(speechVoice.name)",
            "seconds": "\(String(format: "%.1f", (ContinuousClock.now - started).seconds))",
        ])
        return services
    }
}

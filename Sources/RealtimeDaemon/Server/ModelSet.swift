import Engine
import RemoteEngine
import ModelStore
import Foundation
import Logging
import AudioIO
import Streaming
import TTS

/// Loads the models every session shares (recogniser, reasoner, voice) and warms them up. With
/// `reply.engine=remote` the reasoner is the remote server and SmolLM2 is not loaded.
enum ModelSet {
    static func load(_ config: DaemonConfiguration, voice: String? = nil, observer: RemoteObserver = RemoteObserver(),
                     logger: Logger) throws -> SessionServices {
        let store = ModelStore(directory: config.modelsDirectory)
        let started = ContinuousClock.now
        // One queue for the model work of every session and of the local loop.
        let scheduler = EngineScheduler()
        try store.require(.recognizer)
        let whisper = try WhisperModel(directory: store.directory(of: .recognizer)?.path ?? "", threads: config.engineThreads)
        let transcriber = WhisperTranscriber(model: whisper)
        let engine: any ReplyEngine
        if let remote = config.remote {
            engine = RemoteReplyEngine(server: RemoteServer(settings: remote, observer: observer))
        } else {
            try store.require(.reasoner)
            let llm = try LlamaModel(path: store.path(role: .reasoner, endingWith: ".gguf")?.path ?? "", threads: config.engineThreads)
            engine = try EmbeddedReplyEngine(model: llm, scheduler: scheduler)
        }
        let speechVoice = try VoiceLoader.load(voice, config: config, threads: config.engineThreads, logger: logger)
        speechVoice.warmUp()
        _ = try? transcriber.transcribe([Float](repeating: 0, count: 8_000))
        var services = SessionServices(transcriber: transcriber, engine: engine, voice: SpeechReplyVoice(speechVoice, scheduler: scheduler),
                                       scheduler: scheduler)
        services.serverVersion = RealtimeDaemonCommand.version
        logger.info("models loaded", metadata: [
            "recogniser": "\(URL(fileURLWithPath: whisper.directory).lastPathComponent)", "reasoner": "\(engine.name)", "voice": "\(speechVoice.name)",
            "seconds": "\(String(format: "%.1f", (ContinuousClock.now - started).seconds))",
        ])
        return services
    }
}

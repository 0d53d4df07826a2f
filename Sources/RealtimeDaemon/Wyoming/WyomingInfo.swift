import Engine
import Foundation
import Streaming
import TTS

/// The `info` answer to `describe`: what this server does, and with which models.
enum WyomingInfo {
    static func event(services: SessionServices, voice: SpeechVoice?) -> WyomingEvent {
        let version = RealtimeDaemonCommand.version
        let ours: [String: Any] = ["name": "realtime-daemon", "url": "https://github.com/"]
        func program(_ description: String) -> [String: Any] {
            ["name": "realtime-daemon", "attribution": ours, "installed": true, "description": description, "version": version]
        }
        var asr = program("Whisper in Swift on OpenBLAS (the daemon's recogniser)")
        let vocabulary = services.transcriber.model.vocabulary
        asr["models"] = [[
            "name": URL(fileURLWithPath: services.transcriber.model.directory).lastPathComponent,
            "attribution": ["name": "OpenAI", "url": "https://github.com/openai/whisper"], "installed": true,
            "description": "Whisper (CTranslate2 weights)", "version": NSNull(),
            "languages": vocabulary.isMultilingual ? vocabulary.languages.map(\.code) : ["en"],
        ] as [String: Any]]
        asr["supports_transcript_streaming"] = true
        var info: [String: Any] = ["asr": [asr], "wake": [Any](), "intent": [Any](), "satellite": NSNull()]
        if let voice {
            var tts = program("Piper VITS voices in Swift on OpenBLAS (the daemon's voice)")
            let name = voice.name.replacingOccurrences(of: "piper:", with: "")
            tts["voices"] = [[
                "name": name, "attribution": ["name": "rhasspy", "url": "https://github.com/rhasspy/piper"], "installed": true,
                "description": voice.name, "version": NSNull(), "languages": [String(name.prefix { $0 != "-" })], "speakers": NSNull(),
            ] as [String: Any]]
            tts["supports_synthesize_streaming"] = true
            info["tts"] = [tts]
        }
        var handle = program("Answers from the daemon's reasoner (\(services.engine.name))")
        handle["models"] = [[
            "name": services.engine.name, "attribution": ours, "installed": true, "description": "the reasoner", "version": NSNull(),
            "languages": ["en"],
        ] as [String: Any]]
        handle["supports_handled_streaming"] = false
        info["handle"] = [handle]
        return WyomingEvent("info", info)
    }
}

import Foundation
import Testing
@testable import RealtimeDaemon

@Suite struct ConfigurationTests {
    static func writeYAML(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rtd-\(UUID().uuidString).yaml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func defaultsApplyWithoutFile() throws {
        let resolved = try ConfigurationLoader(environment: [:]).load(file: nil, overrides: [])
        for key in ConfigKey.all {
            #expect(resolved.string(key) == key.defaultValue)
            #expect(resolved.source(key) == .defaultValue)
        }
        let config = try DaemonConfiguration(resolved, environment: ["HOME": "/home/u"])
        #expect(config.capture.periodMs == 20)
        #expect(config.capture.device == "default")
        #expect(config.modelsDirectory.path == "/home/u/.local/share/realtime-daemon/models")
    }

    /// default < file < environment < --set
    @Test func precedenceIsFileThenEnvironmentThenCommandLine() throws {
        let file = try Self.writeYAML("""
            audio:
              period_ms: 10
              capture_device: plughw:1,0
              playback_device: fromfile
            log:
              level: debug
            """)
        let loader = ConfigurationLoader(environment: ["RTD_AUDIO_CAPTURE_DEVICE": "fromenv", "RTD_AUDIO_PLAYBACK_DEVICE": "fromenv"])
        let resolved = try loader.load(file: file, overrides: ["audio.playback_device=fromflag"])
        #expect(resolved.string(.periodMs) == "10")
        #expect(resolved.source(.periodMs) == .file(file))
        #expect(resolved.string(.captureDevice) == "fromenv")
        #expect(resolved.source(.captureDevice) == .environment("RTD_AUDIO_CAPTURE_DEVICE"))
        #expect(resolved.string(.playbackDevice) == "fromflag")
        #expect(resolved.source(.playbackDevice) == .commandLine)
        #expect(resolved.string(.logLevel) == "debug")
        #expect(try DaemonConfiguration(resolved).capture.periodFrames == 160)
    }

    @Test func unknownKeyIsRefusedWithSuggestion() throws {
        let file = try Self.writeYAML("audio:\n  period_msec: 10\n")
        #expect(throws: ConfigurationError.unknownKey(key: "audio.period_msec", source: file, suggestion: "audio.period_ms")) {
            try ConfigurationLoader(environment: [:]).load(file: file, overrides: [])
        }
        #expect(throws: ConfigurationError.self) { try ConfigurationLoader(environment: [:]).load(file: nil, overrides: ["nope.nothing=1"]) }
    }

    @Test func invalidValuesNameKeyValueAndSource() throws {
        #expect(throws: ConfigurationError.invalidValue(key: "audio.period_ms", value: "0", source: "command line", problem: "0 is outside 5...200")) {
            try ConfigurationLoader(environment: [:]).load(file: nil, overrides: ["audio.period_ms=0"])
        }
        #expect(throws: ConfigurationError.self) {
            try ConfigurationLoader(environment: ["RTD_AUDIO_ENABLED": "maybe"]).load(file: nil, overrides: [])
        }
        #expect(throws: ConfigurationError.malformedOverride("audio.period_ms")) {
            try ConfigurationLoader(environment: [:]).load(file: nil, overrides: ["audio.period_ms"])
        }
    }

    @Test func zeroconfNamesAreCheckedAndDefaultToTheHostName() throws {
        let loader = ConfigurationLoader(environment: [:])
        let dotted = try loader.load(file: nil, overrides: ["wyoming.enabled=on", "wyoming.zeroconf_name=kitchen.box"])
        #expect(throws: ConfigurationError.self) { try DaemonConfiguration(dotted) }
        let named = try DaemonConfiguration(loader.load(file: nil, overrides: ["wyoming.enabled=on", "wyoming.zeroconf_name=Kitchen box"]))
        #expect(named.wyoming?.zeroconfName == "Kitchen box")
        let unnamed = try DaemonConfiguration(loader.load(file: nil, overrides: ["wyoming.enabled=on"]))
        #expect(unnamed.wyoming?.zeroconfName?.hasPrefix("realtime-daemon") == true && unnamed.wyoming?.zeroconfName?.contains(".") == false)
        let off = try DaemonConfiguration(loader.load(file: nil, overrides: ["wyoming.enabled=on", "wyoming.zeroconf=off"]))
        #expect(off.wyoming != nil && off.wyoming?.zeroconfName == nil)
    }

    @Test func replySamplingAndThoughtReadingAreSettings() throws {
        let loader = ConfigurationLoader(environment: [:])
        let defaults = try DaemonConfiguration(loader.load(file: nil, overrides: []))
        #expect(defaults.reply.sampler.repetitionPenalty == 1.1 && !defaults.reply.answerReadsThoughts)
        let set = try DaemonConfiguration(loader.load(file: nil, overrides: ["reply.repetition_penalty=1.25", "reply.answer_reads_thoughts=on"]))
        #expect(set.reply.sampler.repetitionPenalty == 1.25 && set.reply.answerReadsThoughts)
        for bad in ["0.9", "3", "strong"] {
            #expect(throws: ConfigurationError.self) { try DaemonConfiguration(loader.load(file: nil, overrides: ["reply.repetition_penalty=\(bad)"])) }
        }
    }

    @Test func instructionsAndAnswerLengthAreEveryConversationsDefaults() throws {
        let loader = ConfigurationLoader(environment: [:])
        let defaults = try DaemonConfiguration(loader.load(file: nil, overrides: [])).sessionDefaults
        #expect(defaults.instructions == "" && defaults.maxOutputTokens == 96 && defaults.reply.maxAnswerTokens == 96)
        let set = try DaemonConfiguration(loader.load(file: nil, overrides: ["reply.instructions=Answer in French.", "reply.max_output_tokens=40",
                                                                          "reply.mode=think_first"])).sessionDefaults
        #expect(set.instructions == "Answer in French." && set.maxOutputTokens == 40 && set.reply.maxAnswerTokens == 40)
        #expect(set.reply.mode == .thinkFirst)
        let config = try DaemonConfiguration(loader.load(file: nil, overrides: []))
        #expect(config.newConversationAfterSeconds == 300)
        // Only the local loop starts conversations afresh; WebSocket sessions decide for themselves.
        #expect(config.localLoopDefaults.newConversationAfterSeconds == 300 && config.sessionDefaults.newConversationAfterSeconds == nil)
        #expect(try DaemonConfiguration(loader.load(file: nil, overrides: ["audio.new_conversation_after_s=0"])).newConversationAfterSeconds == nil)
        for bad in ["reply.max_output_tokens=0", "audio.new_conversation_after_s=-1", "reply.max_output_tokens=many", "reply.instructions=" + String(repeating: "x", count: 20_000)] {
            #expect(throws: ConfigurationError.self) { try DaemonConfiguration(loader.load(file: nil, overrides: [bad])) }
        }
    }

    @Test func turnDetectionIsEveryConversationsDefault() throws {
        let loader = ConfigurationLoader(environment: [:])
        let defaults = try DaemonConfiguration(loader.load(file: nil, overrides: [])).sessionDefaults
        #expect(defaults.turnDetection?.type == "semantic_vad" && defaults.turnDetection?.eagerness == .auto)
        let server = try DaemonConfiguration(loader.load(file: nil, overrides: ["turn.detection=server_vad"])).localLoopDefaults
        #expect(server.turnDetection?.semantic == nil && server.turnDetection?.detectorParameters.silenceDurationMs == 450)
        let eager = try DaemonConfiguration(loader.load(file: nil, overrides: ["turn.eagerness=high"])).sessionDefaults
        #expect(eager.turnDetection?.semantic?.bounds.longest == 700)
        for bad in ["turn.detection=semantic", "turn.eagerness=eager"] {
            #expect(throws: ConfigurationError.self) { try DaemonConfiguration(loader.load(file: nil, overrides: [bad])) }
        }
    }

    @Test func badFilesAreErrors() throws {
        #expect(throws: ConfigurationError.self) { try ConfigurationLoader(environment: [:]).load(file: "/nonexistent.yaml", overrides: []) }
        let broken = try Self.writeYAML("audio: [unclosed\n")
        #expect(throws: ConfigurationError.self) { try ConfigurationLoader(environment: [:]).load(file: broken, overrides: []) }
        let scalar = try Self.writeYAML("just a string\n")
        #expect(throws: ConfigurationError.self) { try ConfigurationLoader(environment: [:]).load(file: scalar, overrides: []) }
        let empty = try Self.writeYAML("")
        #expect(try ConfigurationLoader(environment: [:]).load(file: empty, overrides: []).string(.logLevel) == "info")
    }

    @Test func exampleConfigurationIsValid() throws {
        let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../systemd/config.example.yaml").standardized.path
        let resolved = try ConfigurationLoader(environment: [:]).load(file: example, overrides: [])
        _ = try DaemonConfiguration(resolved)
        // Every key is documented in the example.
        let text = try String(contentsOfFile: example, encoding: .utf8)
        for key in ConfigKey.all {
            let leaf = String(key.name.split(separator: ".").last ?? "")
            #expect(text.contains(leaf + ":"), "\(key.name) missing from the example")
        }
    }

    @Test func environmentVariableNames() {
        #expect(ConfigKey.captureDevice.environmentVariable == "RTD_AUDIO_CAPTURE_DEVICE")
        #expect(ConfigKey.logLevel.environmentVariable == "RTD_LOG_LEVEL")
    }

    @Test func remoteEngineSettingsAreCheckedAndTheKeyStaysHidden() throws {
        let loader = ConfigurationLoader(environment: [:])
        let remote = try DaemonConfiguration(loader.load(file: nil, overrides: [
            "reply.engine=remote", "remote.url=http://gpu:9999/v1", "remote.model=Step-Audio-R1", "remote.input=audio",
            "remote.api_key=sk-secret", "remote.first_token_timeout_ms=2000",
        ]), environment: [:])
        #expect(remote.remote?.endpoint == "http://gpu:9999/v1/chat/completions")
        #expect(remote.remote?.input == .audio && remote.remote?.apiKey == "sk-secret" && remote.remote?.firstTokenTimeoutMs == 2000)
        #expect(try DaemonConfiguration(loader.load(file: nil, overrides: []), environment: [:]).remote == nil)
        // The key may come from OPENAI_API_KEY.
        let fromEnvironment = try DaemonConfiguration(loader.load(file: nil, overrides: ["reply.engine=remote", "remote.model=m"]),
                                                      environment: ["OPENAI_API_KEY": "sk-env"])
        #expect(fromEnvironment.remote?.apiKey == "sk-env")
        #expect(throws: ConfigurationError.self) {
            try DaemonConfiguration(loader.load(file: nil, overrides: ["reply.engine=remote"]), environment: [:])  // no model
        }
        #expect(throws: ConfigurationError.self) {
            try DaemonConfiguration(loader.load(file: nil, overrides: ["reply.engine=remote", "remote.model=m", "remote.url=gpu:9999"]),
                                    environment: [:])
        }
        // `config show` says a secret is set without showing it.
        let (process, errors) = try ServeTests.run(["config", "show", "--set", "remote.api_key=sk-secret", "--set", "server.token=tok-secret"])
        let out = String(decoding: (process.standardOutput as! Pipe).fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        _ = errors
        #expect(out.contains("remote.api_key = (set, hidden)"), "\(out)")
        #expect(!out.contains("sk-secret") && !out.contains("tok-secret"), "\(out)")
    }
}

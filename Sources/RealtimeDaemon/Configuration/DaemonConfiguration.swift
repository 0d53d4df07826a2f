import Engine
import RemoteEngine
import ModelStore
import Foundation
import Logging
import AudioIO
import Streaming

/// The daemon's settings, typed and checked, made from a `ResolvedConfiguration`.
struct DaemonConfiguration {
    enum AudioMode: String { case auto, on, off }
    /// How the local loop keeps its own voice out of the microphone.
    enum EchoHandling: String { case cancel, gate, off }

    var logLevel: Logger.Level
    var modelsDirectory: URL
    var audioMode: AudioMode
    var capture: AlsaDeviceConfiguration
    var playback: AlsaDeviceConfiguration
    var echo: EchoHandling
    /// `audio.echo_canceller`: which filter `echo == .cancel` runs.
    var echoFilter: EchoCanceller.Settings.Filter
    /// `audio.new_conversation_after_s`; nil: never.
    var newConversationAfterSeconds: Double?
    var engineThreads: Int
    var server: ServerSettings
    /// `turn.detection` and `turn.eagerness`.
    var turnDetection: SessionConfiguration.TurnDetection
    /// `turn.backchannels` and `turn.false_interruption_ms`.
    var interruptions: InterruptionPolicy
    /// `reply.audio_lead_ms`; nil: unpaced.
    var audioLeadMs: Int?
    var reply: ReplySettings
    /// `reply.instructions` and `reply.max_output_tokens`.
    var instructions: String
    var maxOutputTokens: Int
    /// The remote reasoner, when `reply.engine` is `remote`.
    var remote: RemoteEngineSettings?
    /// The Wyoming service, when `wyoming.enabled` is on.
    var wyoming: WyomingServer.Settings?

    /// What every conversation starts with: the local loop's, Wyoming's, `converse`'s, and a
    /// WebSocket session's until its `session.update`.
    var sessionDefaults: SessionConfiguration {
        var defaults = SessionConfiguration()
        defaults.reply = reply
        defaults.turnDetection = turnDetection
        defaults.interruptions = interruptions
        defaults.outputLeadMs = audioLeadMs
        defaults.instructions = instructions
        defaults.setMaxOutputTokens(maxOutputTokens)
        return defaults
    }

    /// The local voice loop's conversation: `sessionDefaults`, started afresh after
    /// `audio.new_conversation_after_s` of quiet.
    var localLoopDefaults: SessionConfiguration {
        var defaults = sessionDefaults
        defaults.newConversationAfterSeconds = newConversationAfterSeconds
        return defaults
    }

    /// The HTTP/WebSocket server's settings.
    struct ServerSettings {
        var host: String
        var port: Int
        var token: String?
        var allowedOrigins: [String]
        var maxSessions: Int
        var maxMessageBytes: Int
        var maxConnections = 64
        var sessionIdleTimeout: Duration = .seconds(900)

        /// Whether the server is reachable only from this machine.
        var isLoopback: Bool { isLoopbackHost(host) }
    }

    /// The token: `server.token`, else the first line of `server.token_file`, else the systemd
    /// credential `server.token` (`LoadCredential=`, read from $CREDENTIALS_DIRECTORY).
    static func token(_ resolved: ResolvedConfiguration, environment: [String: String]) throws(ConfigurationError) -> String {
        let direct = resolved.string(.serverToken)
        if !direct.isEmpty { return direct }
        let path = resolved.string(.serverTokenFile)
        if path.isEmpty, let credentials = environment["CREDENTIALS_DIRECTORY"] {
            // The installed unit always passes the credential; empty means no token.
            let candidate = credentials + "/server.token"
            let text = (try? String(contentsOfFile: candidate, encoding: .utf8)) ?? ""
            return text.split(whereSeparator: \.isNewline).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        }
        guard !path.isEmpty else { return "" }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw .invalidValue(key: ConfigKey.serverTokenFile.name, value: path, source: resolved.source(.serverTokenFile).description,
                                problem: "cannot read it")
        }
        let token = text.split(whereSeparator: \.isNewline).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard !token.isEmpty else {
            throw .invalidValue(key: ConfigKey.serverTokenFile.name, value: path, source: resolved.source(.serverTokenFile).description,
                                problem: "the file is empty")
        }
        return token
    }

    init(_ resolved: ResolvedConfiguration, environment: [String: String] = ProcessInfo.processInfo.environment) throws(ConfigurationError) {
        logLevel = Logger.Level(rawValue: resolved.string(.logLevel)) ?? .info
        let dir = resolved.string(.modelsDir)
        modelsDirectory = dir.isEmpty ? ModelStore.defaultDirectory(environment: environment) : URL(fileURLWithPath: dir)
        audioMode = AudioMode(rawValue: resolved.string(.audioEnabled)) ?? .auto
        var alsaText: String?
        let alsaPath = resolved.string(.alsaConfig)
        if !alsaPath.isEmpty {
            do { alsaText = try String(contentsOfFile: alsaPath, encoding: .utf8) } catch {
                throw .invalidValue(key: ConfigKey.alsaConfig.name, value: alsaPath, source: resolved.source(.alsaConfig).description,
                                    problem: "cannot read it: \(error.localizedDescription)")
            }
        }
        let period = resolved.integer(.periodMs), buffers = resolved.integer(.bufferPeriods)
        capture = AlsaDeviceConfiguration(device: resolved.string(.captureDevice), sampleRate: resolved.integer(.captureRate),
                                          periodMs: period, bufferPeriods: buffers, configText: alsaText)
        playback = AlsaDeviceConfiguration(device: resolved.string(.playbackDevice), sampleRate: resolved.integer(.playbackRate),
                                           periodMs: period, bufferPeriods: buffers, configText: alsaText)
        echo = EchoHandling(rawValue: resolved.string(.audioEcho)) ?? .cancel
        echoFilter = EchoCanceller.Settings.Filter(rawValue: resolved.string(.echoCanceller)) ?? .speex
        let after = resolved.integer(.newConversationAfter)
        newConversationAfterSeconds = after > 0 ? Double(after) : nil
        engineThreads = resolved.integer(.engineThreads)
        let token = try Self.token(resolved, environment: environment)
        server = ServerSettings(
            host: resolved.string(.serverHost), port: resolved.integer(.serverPort), token: token.isEmpty ? nil : token,
            allowedOrigins: resolved.string(.allowedOrigins).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty },
            maxSessions: resolved.integer(.maxSessions), maxMessageBytes: resolved.integer(.maxMessageKB) * 1024,
            maxConnections: resolved.integer(.maxConnections), sessionIdleTimeout: .seconds(resolved.integer(.sessionIdleTimeout)))
        if server.token == nil, !server.isLoopback {
            throw .invalidValue(key: ConfigKey.serverHost.name, value: server.host, source: resolved.source(.serverHost).description,
                                problem: "listening beyond loopback needs a token (set server.token or RTD_SERVER_TOKEN)")
        }
        if resolved.string(.wyomingEnabled) == "on" {
            wyoming = WyomingServer.Settings(host: resolved.string(.wyomingHost), port: resolved.integer(.wyomingPort),
                                             maxConnections: resolved.integer(.wyomingMaxConnections))
            if resolved.string(.wyomingZeroconf) == "on" {
                let name = resolved.string(.wyomingZeroconfName)
                guard !name.contains("."), name.utf8.count <= 63 else {
                    throw .invalidValue(key: ConfigKey.wyomingZeroconfName.name, value: name, source: resolved.source(.wyomingZeroconfName).description,
                                        problem: "a Zeroconf name has at most 63 bytes and no dots")
                }
                wyoming?.zeroconfName = name.isEmpty ? ZeroconfAnnouncement.defaultName() : name
            }
        }
        turnDetection = SessionConfiguration.TurnDetection()
        turnDetection.type = resolved.string(.turnDetection)
        turnDetection.eagerness = SemanticEndOfTurn.Eagerness(rawValue: resolved.string(.turnEagerness)) ?? .auto
        interruptions = InterruptionPolicy()
        interruptions.keepsReplyOnBackchannel = resolved.string(.turnBackchannels) == "on"
        interruptions.falseInterruptionMs = resolved.integer(.falseInterruptionMs)
        let lead = resolved.integer(.audioLeadMs)
        audioLeadMs = lead > 0 ? lead : nil
        reply = ReplySettings()
        reply.mode = ReplyMode(rawValue: resolved.string(.replyMode)) ?? .speakFirst
        reply.thinkSegmentTokens = resolved.integer(.thinkSegmentTokens)
        reply.responseSegmentTokens = resolved.integer(.responseSegmentTokens)
        reply.maxReasoningTokens = resolved.integer(.maxReasoningTokens)
        reply.answerReadsThoughts = resolved.string(.answerReadsThoughts) == "on"
        let penalty = resolved.string(.repetitionPenalty)
        guard let penaltyValue = Float(penalty), penaltyValue >= 1, penaltyValue <= 2 else {
            throw .invalidValue(key: ConfigKey.repetitionPenalty.name, value: penalty, source: resolved.source(.repetitionPenalty).description,
                                problem: "expected a number from 1 (no penalty) to 2")
        }
        reply.sampler.repetitionPenalty = penaltyValue
        instructions = resolved.string(.instructions)
        guard instructions.utf8.count <= ClientEvent.maximumTextBytes else {
            throw .invalidValue(key: ConfigKey.instructions.name, value: String(instructions.prefix(40)) + "…", source: resolved.source(.instructions).description,
                                problem: "longer than \(ClientEvent.maximumTextBytes) bytes")
        }
        maxOutputTokens = resolved.integer(.maxOutputTokens)
        if resolved.string(.replyEngine) == "remote" {
            let url = resolved.string(.remoteURL)
            guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme ?? ""), parsed.host != nil else {
                throw .invalidValue(key: ConfigKey.remoteURL.name, value: url, source: resolved.source(.remoteURL).description,
                                    problem: "not an http(s) URL such as http://gpu-host:8000/v1")
            }
            let model = resolved.string(.remoteModel)
            guard !model.isEmpty else {
                throw .invalidValue(key: ConfigKey.remoteModel.name, value: model, source: resolved.source(.remoteModel).description,
                                    problem: "reply.engine=remote needs the model name the server serves (vLLM: --served-model-name)")
            }
            var remote = RemoteEngineSettings(baseURL: url, model: model)
            let key = resolved.string(.remoteAPIKey)
            remote.apiKey = key.isEmpty ? environment["OPENAI_API_KEY"] : key
            remote.input = RemoteEngineSettings.Input(rawValue: resolved.string(.remoteInput)) ?? .text
            remote.connectTimeoutMs = resolved.integer(.remoteConnectTimeout)
            remote.firstTokenTimeoutMs = resolved.integer(.remoteFirstTokenTimeout)
            remote.idleTimeoutMs = resolved.integer(.remoteIdleTimeout)
            remote.maxConcurrentRequests = resolved.integer(.remoteMaxConcurrent)
            remote.retries = resolved.integer(.remoteRetries)
            let temperature = resolved.string(.remoteTemperature)
            if temperature.isEmpty {
                remote.temperature = nil
            } else {
                guard let value = Double(temperature), (0...2).contains(value) else {
                    throw .invalidValue(key: ConfigKey.remoteTemperature.name, value: temperature, source: resolved.source(.remoteTemperature).description,
                                        problem: "expected a number from 0 to 2, or nothing for the server's default")
                }
                remote.temperature = value
            }
            self.remote = remote
        }
    }
}

/// Whether a listening address is reachable from this machine only.
func isLoopbackHost(_ host: String) -> Bool { ["127.0.0.1", "::1", "localhost"].contains(host) }

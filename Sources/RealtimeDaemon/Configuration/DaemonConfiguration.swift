import Engine
import Foundation
import Logging
import Streaming

/// The daemon's settings, typed and checked, made from a `ResolvedConfiguration`.
struct DaemonConfiguration {
    enum AudioMode: String { case auto, on, off }

    var logLevel: Logger.Level
    var modelsDirectory: URL
    var audioMode: AudioMode
    var capture: AlsaDeviceConfiguration
    var playback: AlsaDeviceConfiguration
    var engineThreads: Int
    var server: ServerSettings
    var reply: ReplySettings

    /// The HTTP/WebSocket server's settings.
    struct ServerSettings {
        var host: String
        var port: Int
        var token: String?
        var allowedOrigins: [String]
        var maxSessions: Int
        var maxMessageBytes: Int
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
        engineThreads = resolved.integer(.engineThreads)
        let token = resolved.string(.serverToken)
        server = ServerSettings(
            host: resolved.string(.serverHost), port: resolved.integer(.serverPort), token: token.isEmpty ? nil : token,
            allowedOrigins: resolved.string(.allowedOrigins).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty },
            maxSessions: resolved.integer(.maxSessions), maxMessageBytes: resolved.integer(.maxMessageKB) * 1024)
        if server.token == nil, !["127.0.0.1", "::1", "localhost"].contains(server.host) {
            throw .invalidValue(key: ConfigKey.serverHost.name, value: server.host, source: resolved.source(.serverHost).description,
                                problem: "listening beyond loopback needs a token (set server.token or RTD_SERVER_TOKEN)")
        }
        reply = ReplySettings()
        reply.mode = ReplyMode(rawValue: resolved.string(.replyMode)) ?? .speakFirst
        reply.thinkSegmentTokens = resolved.integer(.thinkSegmentTokens)
        reply.responseSegmentTokens = resolved.integer(.responseSegmentTokens)
        reply.maxReasoningTokens = resolved.integer(.maxReasoningTokens)
    }
}

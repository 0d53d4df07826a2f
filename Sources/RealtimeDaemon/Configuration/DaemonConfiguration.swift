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
    }
}

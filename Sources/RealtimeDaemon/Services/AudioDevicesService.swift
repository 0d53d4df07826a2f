import Foundation
import Logging
import ServiceLifecycle
import Streaming

/// Owns the local ALSA capture and playback threads and reports their health: a failed device
/// ends the service with an error; xruns and dropped samples are logged as they happen. The
/// input level is logged at debug level so a person can check the microphone.
final class AudioDevicesService: Service, @unchecked Sendable {
    let capture: AlsaCapture
    let playback: AlsaPlayback
    let logger: Logger

    init(capture: AlsaCapture, playback: AlsaPlayback, logger: Logger) {
        self.capture = capture
        self.playback = playback
        self.logger = logger
    }

    /// Opens both devices as configured. With `.auto`, a device that cannot be opened is logged
    /// and audio is left off; with `.on` it is an error.
    static func open(_ config: DaemonConfiguration, logger: Logger) throws -> AudioDevicesService? {
        guard config.audioMode != .off else {
            logger.info("local audio is off (audio.enabled=off)")
            return nil
        }
        do {
            let capture = try AlsaCapture(config.capture)
            let playback = try AlsaPlayback(config.playback)
            logger.info("audio devices open", metadata: [
                "capture": "\(config.capture.device) \(capture.sampleRate) Hz period \(capture.pcm.periodFrames)",
                "playback": "\(config.playback.device) \(playback.sampleRate) Hz period \(playback.pcm.periodFrames)",
            ])
            return AudioDevicesService(capture: capture, playback: playback, logger: logger)
        } catch {
            if config.audioMode == .on { throw error }
            logger.warning("no local audio: \(error) (set audio.enabled=off to silence this, or =on to make it an error)")
            return nil
        }
    }

    func run() async throws {
        capture.start()
        playback.start()
        defer {
            capture.stop()
            playback.stop()
            logger.info("audio devices closed")
        }
        var reported = (captureXruns: 0, playbackXruns: 0, dropped: 0)
        var buffer = [Float](repeating: 0, count: capture.sampleRate)
        var levelSum = 0.0, levelCount = 0, ticks = 0
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(200))
            let n = buffer.withUnsafeMutableBufferPointer { capture.ring.read(into: $0) }
            for i in 0..<n { levelSum += Double(buffer[i] * buffer[i]) }
            levelCount += n
            ticks += 1
            if ticks % 25 == 0, levelCount > 0 {
                let dbfs = 10 * log10(max(levelSum / Double(levelCount), 1e-12))
                logger.debug("microphone level", metadata: ["dBFS": "\(String(format: "%.1f", dbfs))"])
                levelSum = 0; levelCount = 0
            }
            if let message = capture.status.failureMessage {
                throw StreamingError.alsa(device: capture.pcm.configuration.device, operation: "capture", message: message)
            }
            if let message = playback.status.failureMessage {
                throw StreamingError.alsa(device: playback.pcm.configuration.device, operation: "playback", message: message)
            }
            let now = (capture.status.xrunCount, playback.status.xrunCount, capture.ring.droppedCount)
            if now != reported {
                logger.warning("audio glitches", metadata: [
                    "capture_xruns": "\(now.0)", "playback_xruns": "\(now.1)", "capture_dropped_samples": "\(now.2)",
                ])
                reported = now
            }
        }
    }
}

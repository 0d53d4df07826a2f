import Foundation
import Logging
import ServiceLifecycle
import Streaming
import Synchronization

/// The local voice loop: owns the ALSA capture and playback threads and runs one session on
/// them (when given the models): microphone → echo gate → session; reply audio → speaker; a
/// barge-in empties the speaker within one period. Reports the devices' health: a failed device
/// ends the service with an error; xruns and dropped samples are logged as they happen and
/// counted in /metrics. The input level is logged at debug level so a person can check the mic.
final class AudioDevicesService: Service, @unchecked Sendable {
    let capture: AlsaCapture
    let playback: AlsaPlayback
    let logger: Logger
    /// The models and session settings for the local session; nil runs the devices alone.
    var voiceLoop: (services: SessionServices, defaults: SessionConfiguration, metrics: DaemonMetrics)?

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
        let session = try voiceLoop.map { try startSession($0.services, $0.defaults, $0.metrics) }
        defer {
            session?.close()
            capture.stop()
            playback.stop()
            logger.info("audio devices closed")
        }
        let toSession = try Resampler(from: capture.sampleRate, to: AudioFormat.pcm24k.sampleRate)
        var reported = (captureXruns: 0, playbackXruns: 0, dropped: 0)
        let hop = capture.sampleRate / 50  // 20 ms
        var buffer = [Float](repeating: 0, count: capture.sampleRate)
        var levelSum = 0.0, levelCount = 0, ticks = 0
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(20))
            let n = buffer.withUnsafeMutableBufferPointer { capture.ring.read(into: $0) }
            for i in 0..<n { levelSum += Double(buffer[i] * buffer[i]) }
            levelCount += n
            if let session, n > 0 {
                var frames: [Float] = []
                for start in stride(from: 0, to: n, by: hop) {
                    let frame = Array(buffer[start..<min(n, start + hop)])
                    frames += gate.withLock { $0.filter(frame, seconds: Double(frame.count) / Double(capture.sampleRate), speakerActive: playback.isPlaying) }
                }
                session.appendAudio(try toSession.process(frames))
            }
            ticks += 1
            if ticks % 250 == 0, levelCount > 0 {
                let dbfs = 10 * log10(max(levelSum / Double(levelCount), 1e-12))
                logger.debug("microphone level", metadata: ["dBFS": "\(String(format: "%.1f", dbfs))"])
                levelSum = 0; levelCount = 0
            }
            guard ticks % 10 == 0 else { continue }
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
                voiceLoop?.metrics.audioXruns.increment(by: Int64((now.0 - reported.0) + (now.1 - reported.1)))
                reported = now
            }
        }
    }

    private let gate = Mutex(EchoGate())

    /// The local session: its reply audio goes to the speaker, a cancelled reply is cut off.
    private func startSession(_ services: SessionServices, _ defaults: SessionConfiguration, _ metrics: DaemonMetrics) throws -> RealtimeSession {
        let toSpeaker = try LockedResampler(from: AudioFormat.pcm24k.sampleRate, to: playback.sampleRate)
        let (playback, logger) = (self.playback, self.logger)
        var configuration = defaults
        configuration.inputFormat = .pcm24k
        configuration.outputFormat = .pcm24k
        let session = RealtimeSession(services: services, configuration: configuration) { output in
            switch output {
            case .audio(let samples, _, _, _):
                guard let audio = toSpeaker.process(samples), !audio.isEmpty else { return }
                self.gate.withLock { $0.played(levelDB: SignalLevel.decibels(audio), seconds: Double(audio.count) / Double(playback.sampleRate)) }
                _ = playback.ring.write(audio)
            case .audioDone:
                break
            case .event(let event):
                metrics.observe(event)
                switch event.type {
                case "conversation.item.input_audio_transcription.completed":
                    logger.info("heard", metadata: ["transcript": "\(event.fields["transcript"] as? String ?? "")"])
                case "response.done":
                    let response = event.fields["response"] as? [String: any Sendable]
                    let status = response?["status"] as? String ?? ""
                    if status == "cancelled" { playback.interrupt() }  // barge-in: the speaker stops now
                    let said = ((response?["output"] as? [any Sendable])?.first as? [String: any Sendable])
                        .flatMap { ($0["content"] as? [any Sendable])?.first as? [String: any Sendable] }?["transcript"] as? String ?? ""
                    logger.info("replied", metadata: ["status": "\(status)", "said": "\(said)"])
                case "error":
                    logger.warning("local session: \((event.fields["error"] as? [String: any Sendable])?["message"] as? String ?? "error")")
                default:
                    break
                }
            }
        }
        logger.info("local voice loop running", metadata: ["mode": "\(configuration.reply.mode.rawValue)"])
        return session
    }
}

/// A resampler used from the session's queue (one caller at a time, but not the creating thread).
final class LockedResampler: Sendable {
    private let resampler: Mutex<Resampler>

    init(from input: Int, to output: Int) throws {
        resampler = Mutex(try Resampler(from: input, to: output))
    }

    func process(_ samples: [Float]) -> [Float]? { resampler.withLock { try? $0.process(samples) } }
}

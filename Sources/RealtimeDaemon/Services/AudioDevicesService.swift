import Foundation
import Logging
import ServiceLifecycle
import AudioIO
import Streaming
import Synchronization

/// The local voice loop: owns the ALSA capture and playback threads and runs one session on
/// them (when given the models): microphone → echo canceller (or gate) → session; reply audio →
/// speaker; a barge-in empties the speaker within one period.
///
/// It outlives its devices: when one fails (a USB microphone unplugged), both are closed, the
/// session goes on without them, and they are opened again with a back-off (0.5 s doubling to
/// 30 s) until they come back. WebSocket sessions are not touched. Xruns and dropped samples are
/// logged as they happen and counted in /metrics; the input level is logged at debug level so a
/// person can check the microphone.
final class AudioDevicesService: Service, @unchecked Sendable {
    let capture: AlsaDeviceConfiguration
    let playback: AlsaDeviceConfiguration
    let echo: DaemonConfiguration.EchoHandling
    let echoFilter: EchoCanceller.Settings.Filter
    let logger: Logger
    /// The models and session settings for the local session; nil runs the devices alone.
    var voiceLoop: (services: SessionServices, defaults: SessionConfiguration, metrics: DaemonMetrics)?
    /// The devices in use; nil while they are being reopened.
    private let devices: Mutex<AudioDevicePair?>
    private let gate = Mutex(EchoGate())

    private init(_ config: DaemonConfiguration, opened: AudioDevicePair, logger: Logger) {
        self.capture = config.capture
        self.playback = config.playback
        self.echo = config.echo
        self.echoFilter = config.echoFilter
        self.devices = Mutex(opened)
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
            let pair = try AudioDevicePair(capture: config.capture, playback: config.playback)
            var echo = config.echo.rawValue
            if config.echo == .cancel { echo += " (\(config.echoFilter.rawValue))" }
            logger.info("audio devices open", metadata: pair.metadata.merging(["echo": "\(echo)"]) { a, _ in a })
            return AudioDevicesService(config, opened: pair, logger: logger)
        } catch {
            if config.audioMode == .on { throw error }
            logger.warning("no local audio: \(error) (set audio.enabled=off to silence this, or =on to make it an error)")
            return nil
        }
    }

    func run() async throws {
        let session = try voiceLoop.map { try startSession($0.services, $0.defaults, $0.metrics) }
        defer {
            session?.closeAndWait()
            devices.withLock { $0?.stop(); $0 = nil }
            logger.info("audio devices closed")
        }
        var backoff: Duration = .milliseconds(500)
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            guard let pair = devices.withLock({ $0 }) else {
                do {
                    let pair = try AudioDevicePair(capture: capture, playback: playback)
                    devices.withLock { $0 = pair }
                    logger.notice("audio devices reopened", metadata: pair.metadata)
                    backoff = .milliseconds(500)
                } catch {
                    logger.warning("audio devices still unavailable: \(error); next try in \(backoff)")
                    try? await Task.sleep(for: backoff)
                    backoff = min(backoff * 2, .seconds(30))
                }
                continue
            }
            do {
                try await pump(pair, into: session)
            } catch {
                logger.error("audio device failed: \(error); the local voice loop waits for it (WebSocket sessions go on)")
                voiceLoop?.metrics.audioDeviceFailures.increment()
                devices.withLock { $0?.stop(); $0 = nil }
                if let session { session.handle(.cancelResponse) }
            }
        }
    }

    /// Moves microphone audio into the session until shutdown; throws when a device fails.
    private func pump(_ pair: AudioDevicePair, into session: RealtimeSession?) async throws {
        pair.start()
        let capture = pair.capture, playback = pair.playback
        var canceller: LoopEchoCanceller?
        if echo == .cancel {
            do {
                canceller = try LoopEchoCanceller(captureRate: capture.sampleRate, playbackRate: playback.sampleRate, filter: echoFilter)
            } catch {
                logger.error("the echo canceller cannot run: \(error); the echo gate keeps the reply out of the microphone instead")
            }
        }
        var reported = (captureXruns: 0, playbackXruns: 0, dropped: 0)
        var buffer = [Float](repeating: 0, count: capture.sampleRate)
        var sent = [Float](repeating: 0, count: playback.sampleRate)
        _ = playback.sent.drain()  // sent before this loop began: nobody's echo now
        var levelSum = 0.0, levelCount = 0, ticks = 0, echoPathsLogged = 0, trustLogged = false
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(20))
            let n = buffer.withUnsafeMutableBufferPointer { capture.ring.read(into: $0) }
            for i in 0..<n { levelSum += Double(buffer[i] * buffer[i]) }
            levelCount += n
            if let canceller {
                let m = sent.withUnsafeMutableBufferPointer { playback.sent.read(into: $0) }
                let cleaned = try canceller.process(microphone: Array(buffer[0..<n]), sent: Array(sent[0..<m]),
                                                    playbackDelayFrames: playback.status.delayFrames)
                let rate = canceller.canceller.settings.sampleRate
                if let session, !cleaned.isEmpty {
                    session.appendAudio(canceller.trusted ? cleaned : gated(cleaned, rate: rate, speakerActive: playback.isPlaying), sampleRate: rate)
                }
            } else if let session, n > 0 {
                let heard = Array(buffer[0..<n])
                session.appendAudio(echo == .off ? heard : gated(heard, rate: capture.sampleRate, speakerActive: playback.isPlaying),
                                    sampleRate: capture.sampleRate)
            }
            ticks += 1
            if ticks % 250 == 0, levelCount > 0 {
                let dbfs = 10 * log10(max(levelSum / Double(levelCount), 1e-12))
                logger.debug("microphone level", metadata: ["dBFS": "\(String(format: "%.1f", dbfs))"])
                levelSum = 0; levelCount = 0
            }
            guard ticks % 10 == 0 else { continue }
            if let canceller, let metrics = voiceLoop?.metrics {
                metrics.echoEnhancement.record(canceller.enhancementDB)
                metrics.echoDelay.record(canceller.delayMilliseconds / 1000)
            }
            if let canceller, canceller.trusted != trustLogged {
                trustLogged = canceller.trusted
                logger.info(trustLogged ? "echo canceller converged: it alone keeps the reply out of the microphone"
                                        : "echo canceller learning: the echo gate helps until it converges",
                            metadata: ["erle_db": "\(String(format: "%.1f", canceller.enhancementDB))"])
            }
            if let canceller, canceller.echoPathsMeasured > echoPathsLogged {
                echoPathsLogged = canceller.echoPathsMeasured
                logger.info("echo path measured", metadata: [
                    "delay_ms": "\(Int(canceller.delayMilliseconds))", "correlation": "\(String(format: "%.2f", canceller.delayCorrelation))",
                ])
            }
            if let message = capture.status.failureMessage {
                throw AudioError.alsa(device: capture.pcm.configuration.device, operation: "capture", message: message)
            }
            if let message = playback.status.failureMessage {
                throw AudioError.alsa(device: playback.pcm.configuration.device, operation: "playback", message: message)
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

    /// The microphone's samples through the echo gate, 20 ms at a time.
    private func gated(_ samples: [Float], rate: Int, speakerActive: Bool) -> [Float] {
        let hop = rate / 50
        return stride(from: 0, to: samples.count, by: hop).flatMap { start in
            let frame = Array(samples[start..<min(samples.count, start + hop)])
            return gate.withLock { $0.filter(frame, seconds: Double(frame.count) / Double(rate), speakerActive: speakerActive) }
        }
    }

    /// The local session: its reply audio goes to the speaker in use, a cancelled reply is cut off.
    private func startSession(_ services: SessionServices, _ defaults: SessionConfiguration, _ metrics: DaemonMetrics) throws -> RealtimeSession {
        let playbackRate = devices.withLock { $0?.playback.sampleRate } ?? playback.sampleRate
        let toSpeaker = try LockedResampler(from: AudioFormat.pcm24k.sampleRate, to: playbackRate)
        let logger = self.logger
        var configuration = defaults
        configuration.inputFormat = .pcm24k
        configuration.outputFormat = .pcm24k
        let speaking = Mutex(SpeakerItem())
        let sessionRef = Mutex<RealtimeSession?>(nil)
        let session = RealtimeSession(services: services, configuration: configuration) { output in
            switch output {
            case .audio(let samples, _, let part):
                guard let audio = toSpeaker.process(samples), !audio.isEmpty, let playback = self.devices.withLock({ $0?.playback }) else { return }
                self.gate.withLock { $0.played(levelDB: SignalLevel.decibels(audio), seconds: Double(audio.count) / Double(playback.sampleRate)) }
                let written = playback.ring.write(audio)
                speaking.withLock { $0.wrote(written, of: part.itemID) }
                if written < audio.count {
                    // Said, never silently dropped: the speaker's queue (30 s) is full.
                    metrics.audioDroppedSamples.increment(by: Int64(audio.count - written))
                    logger.warning("reply audio dropped: the speaker's queue is full", metadata: ["samples": "\(audio.count - written)"])
                }
            case .audioDone:
                break
            case .event(let event):
                metrics.observe(event)
                switch event {
                case .speechStarted:
                    // The user talks over the reply: the speaker stops now, and the session is
                    // told where. It resumes the reply from there if the user only acknowledged
                    // it or made a sound without words; else the history keeps what was played.
                    guard let playback = self.devices.withLock({ $0?.playback }), playback.ring.availableToRead > 0 else { break }
                    let unplayed = playback.ring.availableToRead + playback.status.delayFrames
                    playback.interrupt()
                    if let (itemID, played) = speaking.withLock({ $0.interrupted(unplayed: unplayed) }) {
                        let ms = played * 1000 / playback.sampleRate
                        sessionRef.withLock { $0 }?.handle(.truncate(itemID: itemID, contentIndex: 0, audioEndMs: ms))
                        logger.info("reply paused", metadata: ["played_ms": "\(ms)"])
                    }
                case .transcriptionCompleted(_, let transcript, _):
                    logger.info("heard", metadata: ["transcript": "\(transcript)"])
                case .responseDone(let summary):
                    if summary.status == .cancelled { self.devices.withLock { $0?.playback.interrupt() } }  // barge-in: the speaker stops now
                    logger.info("replied", metadata: ["status": "\(summary.status.rawValue)", "said": "\(summary.spoken)"])
                case .error(let error):
                    logger.warning("local session: \(error.message)")
                default:
                    break
                }
            }
        }
        sessionRef.withLock { $0 = session }
        logger.info("local voice loop running", metadata: ["mode": "\(configuration.reply.mode.rawValue)", "echo": "\(echo.rawValue)"])
        return session
    }
}

/// The reply item whose audio the speaker is playing, and how much of it was queued: where
/// the user stopped it by talking over it (the session resumes a reply from there).
struct SpeakerItem {
    var itemID: String?
    var samplesWritten = 0

    mutating func wrote(_ count: Int, of item: String) {
        if item != itemID { self = SpeakerItem(itemID: item) }
        samplesWritten += count
    }

    /// The item and the samples of it played, when it is cut off with `unplayed` samples still
    /// queued (nil: nothing plays). Audio written after this continues from the point played.
    mutating func interrupted(unplayed: Int) -> (String, Int)? {
        guard let itemID else { return nil }
        samplesWritten = max(0, samplesWritten - unplayed)
        return (itemID, samplesWritten)
    }
}

/// A microphone and a speaker opened together, and their threads.
final class AudioDevicePair: Sendable {
    let capture: AlsaCapture
    let playback: AlsaPlayback

    init(capture: AlsaDeviceConfiguration, playback: AlsaDeviceConfiguration) throws {
        self.capture = try AlsaCapture(capture)
        self.playback = try AlsaPlayback(playback)
    }

    func start() {
        capture.start()
        playback.start()
    }

    func stop() {
        capture.stop()
        playback.stop()
    }

    var metadata: Logger.Metadata {
        ["capture": "\(capture.pcm.configuration.device) \(capture.sampleRate) Hz period \(capture.pcm.periodFrames)",
         "playback": "\(playback.pcm.configuration.device) \(playback.sampleRate) Hz period \(playback.pcm.periodFrames)"]
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

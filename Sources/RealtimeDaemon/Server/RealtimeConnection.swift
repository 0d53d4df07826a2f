import Foundation
import HummingbirdWebSocket
import Logging
import NIOCore
import AudioIO
import Streaming
import Synchronization

/// What one connection may hold or take before it is closed: a client that stops reading, never
/// finishes a write, sends faster than the session consumes, or stays silent for too long cannot
/// keep memory or a session slot.
struct ConnectionLimits: Sendable {
    /// Largest client message (server.max_message_kb); larger ones get an `error` and are dropped.
    var maxMessageBytes: Int
    /// Output waiting for a client that does not read; beyond it the connection is closed.
    var maxPendingOutputBytes = 16 << 20
    /// A single write that takes longer (the client's window stays closed) closes the connection.
    var writeTimeout: Duration = .seconds(20)
    /// Client input queued in the session, not yet handled; the reader waits while it is above.
    var maxInputBacklogBytes = 4 << 20
    /// No client message for this long closes the session (server.session_idle_timeout_s).
    var idleTimeout: Duration = .seconds(900)
}

/// One WebSocket connection: frames in become session events and audio; session output
/// becomes JSON events, base64 PCM deltas or Opus packets. Writes happen on one task, in order.
struct RealtimeConnection {
    let services: SessionServices
    let defaults: SessionConfiguration
    let metrics: DaemonMetrics
    let limits: ConnectionLimits
    let logger: Logger

    /// `extensions`: what the client asked for in the URL (`?extensions=reasoning,timings`).
    func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, channel: any Channel, extensions: Set<ProtocolExtension>) async {
        let (outputs, continuation) = AsyncStream<SessionOutput>.makeStream()
        let pending = PendingOutput(limit: limits.maxPendingOutputBytes)
        let sent = SentExtensions(extensions)
        let session = RealtimeSession(services: services, configuration: defaults, extensions: extensions) { [metrics] output in
            if case .event(let event) = output {
                metrics.observe(event)  // counted even if never delivered
                if case .sessionUpdated(let session) = event { sent.update(from: session) }
            }
            guard pending.add(output.estimatedBytes) else {
                // The client stopped reading: nothing more is queued, and the socket goes.
                continuation.finish()
                channel.close(promise: nil)
                return
            }
            continuation.yield(output)
        }
        var logger = logger
        logger[metadataKey: "session"] = "\(session.id)"
        logger.info("session opened")
        let activity = ConnectionActivity()
        let writer = Task { [logger] in await write(outputs, to: outbound, pending: pending, activity: activity, extensions: sent, logger: logger) }
        let watchdog = Task { [limits, logger] in
            await Self.watch(activity, limits: limits, pending: pending, channel: channel, logger: logger)
        }
        do {
            try await read(inbound, into: session, activity: activity, outbound: outbound)
        } catch {
            logger.info("connection ended: \(error)")
        }
        watchdog.cancel()
        await session.close()
        continuation.finish()
        await writer.value
        logger.info("session closed")
    }

    // MARK: Reading

    /// Reassembles messages from frames (RFC 6455 §5.4): a continuation belongs to the message
    /// in progress; one without, or a new message before the last one ended, is a protocol
    /// error that closes the connection (1002).
    private func read(_ inbound: WebSocketInboundStream, into session: RealtimeSession, activity: ConnectionActivity,
                      outbound: WebSocketOutboundWriter) async throws {
        var message = ByteBuffer()
        var opcode: WebSocketDataFrame.Opcode?
        var oversized = false
        var decoder: OpusDecoder?
        for try await frame in inbound {
            activity.heard()
            switch (frame.opcode, opcode) {
            case (.continuation, nil):
                return try await closeForProtocolError(outbound, "a continuation frame with no message in progress")
            case (.text, .some), (.binary, .some):
                return try await closeForProtocolError(outbound, "a new message began before the last one ended")
            case (.continuation, .some):
                break
            default:
                opcode = frame.opcode
                message.clear()
                oversized = false
            }
            if !oversized {
                if message.readableBytes + frame.data.readableBytes > limits.maxMessageBytes {
                    oversized = true
                    message.clear()
                } else {
                    var data = frame.data
                    message.writeBuffer(&data)
                }
            }
            guard frame.fin else { continue }
            let kind = opcode
            opcode = nil
            defer { message.clear() }
            if oversized {
                session.reportError(ProtocolError(code: "message_too_large",
                    message: "messages are limited to \(limits.maxMessageBytes) bytes (server.max_message_kb); this one was dropped"))
                continue
            }
            // Back-pressure: a client sending faster than the session handles its input waits.
            while session.backlogBytes > limits.maxInputBacklogBytes { try await Task.sleep(for: .milliseconds(5)) }
            switch kind {
            case .text:
                let text = String(buffer: message)
                let parsed = ClientEvent.parse(text)
                if let event = parsed.event { session.handle(event, eventID: parsed.eventID, bytes: message.readableBytes) }
                if let error = parsed.error { session.reportError(error) }
            case .binary:
                receiveBinary(Array(message.readableBytesView), session: session, decoder: &decoder)
            default:
                break
            }
        }
    }

    private func closeForProtocolError(_ outbound: WebSocketOutboundWriter, _ reason: String) async throws {
        logger.notice("closing the connection: \(reason)")
        metrics.protocolViolations.increment()
        try await outbound.close(.protocolError, reason: reason)
    }

    private func receiveBinary(_ bytes: [UInt8], session: RealtimeSession, decoder: inout OpusDecoder?) {
        guard session.inputFormat == .opus else {
            return session.reportError(ProtocolError(code: "binary_not_expected",
                message: "binary frames carry Opus packets in audio/opus sessions; this session's input is audio/pcm (use input_audio_buffer.append)"))
        }
        if bytes.starts(with: Array("OggS".utf8)) {
            return session.reportError(ProtocolError(code: "ogg_not_supported",
                message: "send raw Opus packets, one per binary frame; Ogg pages are not supported"))
        }
        do {
            let opus = try decoder ?? OpusDecoder()
            decoder = opus
            session.appendAudio(try opus.decode(bytes))
        } catch {
            session.reportError(ProtocolError(code: "invalid_opus", message: "not a valid Opus packet (\(bytes.count) bytes): \(error)"))
        }
    }

    // MARK: Writing

    private func write(_ outputs: AsyncStream<SessionOutput>, to outbound: WebSocketOutboundWriter, pending: PendingOutput,
                       activity: ConnectionActivity, extensions: SentExtensions, logger: Logger) async {
        var counter = 0
        var opus = OpusFraming()
        func send(_ text: String) async throws {
            activity.writing(true)
            defer { activity.writing(false) }
            try await outbound.write(.text(text))
        }
        func send(_ event: ServerEvent) async throws {
            guard let text = event.encoded(eventID: "evt_\(counter + 1)", extensions: extensions.current) else { return }
            counter += 1
            try await send(text)
        }
        func send(binary packet: [UInt8]) async throws {
            activity.writing(true)
            defer { activity.writing(false) }
            try await outbound.write(.binary(ByteBuffer(bytes: packet)))
        }
        do {
            for await output in outputs {
                defer { pending.remove(output.estimatedBytes) }
                switch output {
                case .event(let event):
                    try await send(event)
                case let .audio(samples, format, part):
                    switch format {
                    case .pcm24k:
                        // 200 ms per delta: small enough to start playback early and to stop it quickly.
                        for start in stride(from: 0, to: samples.count, by: 4_800) {
                            let piece = Array(samples[start..<min(samples.count, start + 4_800)])
                            try await send(.audioDelta(part, base64: SampleConversion.floatToBase64PCM16(piece)))
                        }
                    case .opus:
                        for packet in try opus.packets(samples) { try await send(binary: packet) }
                    }
                case .audioDone(let event):
                    for packet in try opus.flush() { try await send(binary: packet) }
                    try await send(event)
                }
            }
        } catch {
            logger.info("stopped writing: \(error)")
        }
    }

    /// Closes the socket itself (not through the writer, which a stalled client blocks) when a
    /// write hangs, output piles up, or the client has been silent for the idle timeout.
    private static func watch(_ activity: ConnectionActivity, limits: ConnectionLimits, pending: PendingOutput,
                              channel: any Channel, logger: Logger) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            let now = ContinuousClock.now
            let reason: String? =
                if let started = activity.writeStarted, now - started > limits.writeTimeout { "a write waited longer than \(limits.writeTimeout) (the client is not reading)" }
                else if pending.overflowed { "more than \(limits.maxPendingOutputBytes >> 20) MiB of output waited for the client (it is not reading)" }
                else if now - activity.lastHeard > limits.idleTimeout { "no message from the client for \(limits.idleTimeout) (server.session_idle_timeout_s)" }
                else { nil }
            if let reason {
                logger.notice("closing the connection: \(reason)")
                channel.close(promise: nil)
                return
            }
        }
    }
}

/// When the client last sent something, and since when a write has been waiting.
final class ConnectionActivity: Sendable {
    private struct State {
        var lastHeard = ContinuousClock.now
        var writeStarted: ContinuousClock.Instant?
    }
    private let state = Mutex(State())

    func heard() { state.withLock { $0.lastHeard = .now } }
    func writing(_ inProgress: Bool) { state.withLock { $0.writeStarted = inProgress ? .now : nil } }
    var lastHeard: ContinuousClock.Instant { state.withLock { $0.lastHeard } }
    var writeStarted: ContinuousClock.Instant? { state.withLock { $0.writeStarted } }
}

/// The extensions the client asked for, as the writer must see them: those of the URL, then
/// whatever its last `session.update` said.
final class SentExtensions: Sendable {
    private let value: Mutex<Set<ProtocolExtension>>

    init(_ initial: Set<ProtocolExtension>) { value = Mutex(initial) }

    var current: Set<ProtocolExtension> { value.withLock { $0 } }

    func update(from session: [String: any Sendable]) {
        guard let names = session["extensions"] as? [String] else { return }
        value.withLock { $0 = Set(names.compactMap(ProtocolExtension.init(rawValue:))) }
    }
}

/// Bytes of output queued for the client, against a budget.
final class PendingOutput: Sendable {
    let limit: Int
    private let bytes = Atomic<Int>(0)
    private let tripped = Atomic<Bool>(false)

    init(limit: Int) { self.limit = limit }

    /// False (and from then on) once the queue would pass the limit.
    func add(_ count: Int) -> Bool {
        guard !tripped.load(ordering: .relaxed) else { return false }
        if bytes.add(count, ordering: .relaxed).newValue > limit {
            tripped.store(true, ordering: .relaxed)
            return false
        }
        return true
    }

    func remove(_ count: Int) { bytes.subtract(count, ordering: .relaxed) }
    var overflowed: Bool { tripped.load(ordering: .relaxed) }
}

extension SessionOutput {
    /// About what the output takes on the wire (base64 PCM for audio: 2⅔ bytes per sample).
    var estimatedBytes: Int {
        switch self {
        case .event(let event), .audioDone(let event): event.estimatedBytes
        case .audio(let samples, _, _): samples.count * 8 / 3 + 256
        }
    }
}

/// Cuts reply audio into 20 ms Opus packets, carrying the remainder to the next call.
struct OpusFraming {
    private var encoder: OpusEncoder?
    private var pending: [Float] = []

    mutating func packets(_ samples: [Float]) throws -> [[UInt8]] {
        let encoder = try encoder ?? OpusEncoder(bitrate: 32_000)
        self.encoder = encoder
        pending += samples
        var out: [[UInt8]] = []
        let n = OpusFormat.frameSamples
        while pending.count >= n {
            out.append(try encoder.encode(Array(pending[..<n])))
            pending.removeFirst(n)
        }
        return out
    }

    /// The last partial frame, padded with silence.
    mutating func flush() throws -> [[UInt8]] {
        guard !pending.isEmpty else { return [] }
        pending += [Float](repeating: 0, count: OpusFormat.frameSamples - pending.count)
        defer { pending = [] }
        return try packets([])
    }
}

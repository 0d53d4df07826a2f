import Foundation
import HummingbirdWebSocket
import Logging
import NIOCore
import Streaming

/// One WebSocket connection: frames in become session events and audio; session output
/// becomes JSON events, base64 PCM deltas or Opus packets. Writes happen on one task, in order.
struct RealtimeConnection {
    let services: SessionServices
    let defaults: SessionConfiguration
    let metrics: DaemonMetrics
    let maxMessageBytes: Int
    let logger: Logger

    func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async {
        let (outputs, continuation) = AsyncStream<SessionOutput>.makeStream()
        let session = RealtimeSession(services: services, configuration: defaults) { continuation.yield($0) }
        var logger = logger
        logger[metadataKey: "session"] = "\(session.id)"
        logger.info("session opened")
        let writer = Task { [logger] in await write(outputs, to: outbound, logger: logger) }
        do {
            try await read(inbound, into: session)
        } catch {
            logger.info("connection ended: \(error)")
        }
        session.close()
        continuation.finish()
        await writer.value
        logger.info("session closed")
    }

    // MARK: Reading

    private func read(_ inbound: WebSocketInboundStream, into session: RealtimeSession) async throws {
        var message = ByteBuffer()
        var opcode = WebSocketDataFrame.Opcode.text
        var oversized = false
        var decoder: OpusDecoder?
        for try await frame in inbound {
            if frame.opcode != .continuation {
                opcode = frame.opcode
                message.clear()
                oversized = false
            }
            if !oversized {
                if message.readableBytes + frame.data.readableBytes > maxMessageBytes {
                    oversized = true
                    message.clear()
                } else {
                    var data = frame.data
                    message.writeBuffer(&data)
                }
            }
            guard frame.fin else { continue }
            if oversized {
                session.reportError(ProtocolError(code: "message_too_large",
                    message: "messages are limited to \(maxMessageBytes) bytes (server.max_message_kb); this one was dropped"))
                continue
            }
            switch opcode {
            case .text:
                let text = String(buffer: message)
                let parsed = ClientEvent.parse(text)
                if let event = parsed.event { session.handle(event, eventID: parsed.eventID) }
                if let error = parsed.error { session.reportError(error) }
            case .binary:
                let bytes = Array(message.readableBytesView)
                receiveBinary(bytes, session: session, decoder: &decoder)
            default:
                break
            }
        }
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
            if decoder == nil { decoder = try OpusDecoder() }
            session.appendAudio(try decoder!.decode(bytes))
        } catch {
            session.reportError(ProtocolError(code: "invalid_opus", message: "not a valid Opus packet (\(bytes.count) bytes): \(error)"))
        }
    }

    // MARK: Writing

    private func write(_ outputs: AsyncStream<SessionOutput>, to outbound: WebSocketOutboundWriter, logger: Logger) async {
        var counter = 0
        var opus = OpusFraming()
        func send(_ event: ServerEvent) async throws {
            counter += 1
            metrics.observe(event)
            try await outbound.write(.text(event.encoded(eventID: "evt_\(counter)")))
        }
        do {
            for await output in outputs {
                switch output {
                case .event(let event):
                    try await send(event)
                case let .audio(samples, format, responseID, itemID):
                    switch format {
                    case .pcm24k:
                        // 200 ms per delta: small enough to start playback early and to stop it quickly.
                        for start in stride(from: 0, to: samples.count, by: 4_800) {
                            let piece = Array(samples[start..<min(samples.count, start + 4_800)])
                            try await send(ServerEvent("response.output_audio.delta", [
                                "response_id": responseID, "item_id": itemID, "content_index": 0,
                                "delta": SampleConversion.floatToBase64PCM16(piece),
                            ]))
                        }
                    case .opus:
                        for packet in try opus.packets(samples) { try await outbound.write(.binary(ByteBuffer(bytes: packet))) }
                    }
                case .audioDone(let event):
                    for packet in try opus.flush() { try await outbound.write(.binary(ByteBuffer(bytes: packet))) }
                    try await send(event)
                }
            }
        } catch {
            logger.info("stopped writing: \(error)")
        }
    }
}

/// Cuts reply audio into 20 ms Opus packets, carrying the remainder to the next call.
struct OpusFraming {
    private var encoder: OpusEncoder?
    private var pending: [Float] = []

    mutating func packets(_ samples: [Float]) throws -> [[UInt8]] {
        if encoder == nil { encoder = try OpusEncoder(bitrate: 32_000) }
        pending += samples
        var out: [[UInt8]] = []
        let n = OpusFormat.frameSamples
        while pending.count >= n {
            out.append(try encoder!.encode(Array(pending[..<n])))
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

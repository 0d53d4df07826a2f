import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import NIOCore
import AudioIO

/// One client session: connects, configures the session, speaks its utterances at real-time
/// pace and records every turn. A connection that fails or dies costs the turn at hand; the
/// session reconnects for the next one, so a run always ends with one record per utterance.
struct SessionDriver: Sendable {
    let settings: RunSettings
    let utterances: [Utterance]
    let recorder: TurnRecorder
    /// Called as each turn finishes, for progress lines.
    let onTurn: @Sendable (TurnRecord) -> Void

    static let frameDuration = 0.02

    func run() async -> [TurnRecord] {
        // Every utterance gets exactly one turn, so the turn count is the next utterance.
        while recorder.turnCount < utterances.count {
            let before = recorder.turnCount
            do {
                try await connect { outbound in
                    while recorder.turnCount < utterances.count, recorder.closedReason == nil {
                        try await speak(recorder.turnCount, outbound: outbound)
                        if settings.sessionPerUtterance { break }
                    }
                    try await finishOutstanding()
                }
            } catch {
                if recorder.turnCount == before {
                    // Not even the first turn could start on this connection: it costs one utterance.
                    let turn = recorder.beginTurn(utterances[before].name)
                    recorder.fail(turn, "connect: \(Self.describe(error))")
                    onTurn(recorder.records[turn])
                } else {
                    recorder.connectionClosed("connection_lost: \(Self.describe(error))")
                }
            }
            for turn in recorder.unfinishedTurns() { recorder.fail(turn, recorder.closedReason ?? "connection_closed") }
        }
        return recorder.records
    }

    // MARK: The connection

    private func connect(_ body: @escaping @Sendable (WebSocketOutboundWriter) async throws -> Void) async throws {
        let recorder = self.recorder
        recorder.connectionOpened()
        try await WebSocketClient.connect(url: settings.urlWithExtensions, configuration: settings.webSocketConfiguration,
                                          logger: RunSettings.quietLogger) { inbound, outbound, _ in
            let reader = Task {
                do {
                    for try await message in inbound.messages(maxSize: 1 << 24) {
                        switch message {
                        case .text(let text): recorder.receive(text: text)
                        case .binary(let buffer): recorder.receive(binary: Array(buffer.readableBytesView))
                        }
                    }
                    if !Task.isCancelled { recorder.connectionClosed("connection_closed") }
                } catch {
                    // Cancelled: this side closed the connection, and the next may be open already.
                    if !Task.isCancelled { recorder.connectionClosed("connection_lost: \(Self.describe(error))") }
                }
            }
            defer { reader.cancel() }
            try await waitFor("session.created", timeout: 10)
            try await send(settings.sessionUpdate, outbound)
            try await waitFor("session.updated", timeout: 10)
            try await body(outbound)
            try? await outbound.close(.normalClosure, reason: nil)
        }
    }

    private func waitFor(_ type: String, timeout: Double) async throws {
        let deadline = recorder.now + timeout
        while !recorder.hasSeen(type) {
            if let reason = recorder.closedReason { throw DriverError("\(reason) before \(type)") }
            guard recorder.now < deadline else { throw DriverError("no \(type) within \(Int(timeout)) s") }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    // MARK: A turn

    /// Sends utterance `index` at real-time pace and waits until its reply is done, or, with
    /// barge-in, until it is time to speak the next utterance over the reply.
    private func speak(_ index: Int, outbound: WebSocketOutboundWriter) async throws {
        let utterance = utterances[index]
        let interrupted = index > 0 && settings.bargeInAfter != nil ? recorder.unfinishedTurns().last : nil
        let turn = recorder.beginTurn(utterance.name)
        let rate = utterance.sampleRate
        let frame = Int(Double(rate) * Self.frameDuration)
        let manual = settings.turnEnd == .manual
        let end = manual ? utterance.speechEnd : utterance.samples.count + Int(settings.trailingSilence * Double(rate))
        let encoder = settings.format == .opus ? try OpusEncoder(bitrate: 32_000) : nil
        let started = recorder.now
        var position = 0
        var frameIndex = 0
        while position < end {
            let slot = started + Double(frameIndex) * Self.frameDuration + Double.random(in: 0...max(0, settings.jitterMs)) / 1000
            if slot > recorder.now { try await Task.sleep(for: .microseconds(Int((slot - recorder.now) * 1e6))) }
            var samples = position < utterance.samples.count ? Array(utterance.samples[position..<min(utterance.samples.count, position + frame)]) : []
            if samples.count < frame { samples += [Float](repeating: 0, count: frame - samples.count) }
            if let encoder {
                try await outbound.write(.binary(ByteBuffer(bytes: try encoder.encode(samples))))
            } else {
                try await send(["type": "input_audio_buffer.append", "audio": Data(SampleConversion.floatToPCM16LE(samples)).base64EncodedString()], outbound)
            }
            let range = position..<(position + frame)
            if let interrupted, range.contains(utterance.speechStart), !recorder.isFinished(interrupted) {
                recorder.bargeIn(interrupted)
                // Without the server's VAD nobody else will stop the reply: the client cancels it.
                if manual { try await send(["type": "response.cancel"], outbound) }
            }
            if range.contains(utterance.speechEnd - 1) { recorder.speechEnded(turn) }
            position += frame
            frameIndex += 1
            if recorder.closedReason != nil { return }
        }
        if manual {
            try await send(["type": "input_audio_buffer.commit"], outbound)
            try await send(["type": "response.create"], outbound)
        }
        try await waitForReply(turn, bargeInNext: index + 1 < utterances.count)
        onTurnIfFinished(turn)
        if let interrupted { onTurnIfFinished(interrupted) }
        // A listener hears the reply out before speaking again (unless barging in): the next
        // utterance starts once the reply has played, then after a pause. With a session per
        // utterance nobody will speak in this one again.
        if !settings.sessionPerUtterance, recorder.isFinished(turn), let end = recorder.playbackEnd(turn), end > recorder.now {
            try await Task.sleep(for: .microseconds(Int((end - recorder.now) * 1e6)))
        }
        try await Task.sleep(for: .milliseconds(Int(settings.pauseBetweenTurns * 1000)))
    }

    private func waitForReply(_ turn: Int, bargeInNext: Bool) async throws {
        let deadline = recorder.now + settings.turnTimeout
        while !recorder.isFinished(turn) {
            if recorder.closedReason != nil { return }
            if bargeInNext, let after = settings.bargeInAfter, let first = recorder.firstAudio(turn), recorder.now >= first + after { return }
            if recorder.now >= deadline {
                recorder.fail(turn, "timeout: no response.done within \(Int(settings.turnTimeout)) s")
                return
            }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Interrupted replies still end with `response.done`; wait for them before closing.
    private func finishOutstanding() async throws {
        let deadline = recorder.now + settings.turnTimeout
        while let turn = recorder.unfinishedTurns().first, recorder.closedReason == nil {
            if recorder.now >= deadline {
                recorder.fail(turn, "timeout: no response.done within \(Int(settings.turnTimeout)) s")
                continue
            }
            try await Task.sleep(for: .milliseconds(5))
            onTurnIfFinished(turn)
        }
    }

    private func onTurnIfFinished(_ turn: Int) {
        if recorder.isFinished(turn) { onTurn(recorder.records[turn]) }
    }

    private func send(_ event: [String: Any], _ outbound: WebSocketOutboundWriter) async throws {
        let data = try JSONSerialization.data(withJSONObject: event)
        try await outbound.write(.text(String(decoding: data, as: UTF8.self)))
    }

    static func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        return text.count > 160 ? String(text.prefix(160)) + "…" : text
    }
}

struct DriverError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension RunSettings {
    /// How every rtbench connection is made: large frames (whole replies' audio) and the token.
    var webSocketConfiguration: WebSocketClientConfiguration {
        var configuration = WebSocketClientConfiguration()
        configuration.maxFrameSize = 1 << 24
        if let token { configuration.additionalHeaders[.authorization] = "Bearer \(token)" }
        return configuration
    }

    /// The WebSocket client's own log stays quiet: rtbench reports failures per turn.
    static var quietLogger: Logger {
        var logger = Logger(label: "rtbench")
        logger.logLevel = .critical
        return logger
    }
}

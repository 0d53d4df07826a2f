import Foundation
import HummingbirdWSClient

/// One question asked as text on a new connection: the user's words are given (the truth
/// transcript, no recognition), and the reply goes through the same reasoning as a spoken turn's,
/// in the session's reasoning mode, with text out (the answer is what would have been spoken).
struct TextTurn: Sendable {
    struct Reply: Sendable, Equatable {
        var answer: String
        var reasoning: String
        var status: String
    }

    let settings: RunSettings

    func ask(_ question: String) async throws -> Reply {
        var textSettings = settings
        textSettings.turnEnd = .manual  // no audio comes: no turn detection
        let events: [[String: Any]] = [
            textSettings.sessionUpdate,
            ["type": "conversation.item.create", "item": ["type": "message", "role": "user", "content": [["type": "input_text", "text": question]]]],
            // Text out: the same reasoning and answer without waiting for the speech to play out.
            ["type": "response.create", "response": ["output_modalities": ["text"]]],
        ]
        let frames = try events.map { String(decoding: try JSONSerialization.data(withJSONObject: $0), as: UTF8.self) }
        let timeout = settings.turnTimeout
        let box = ReplyBox(Reply(answer: "", reasoning: "", status: "no response.done"))
        try await WebSocketClient.connect(url: settings.urlWithExtensions, configuration: settings.webSocketConfiguration,
                                          logger: RunSettings.quietLogger) { inbound, outbound, _ in
            let deadline = ContinuousClock.now + .seconds(timeout)
            let timer = Task {
                try? await Task.sleep(until: deadline)
                try? await outbound.close(.normalClosure, reason: "timeout")
            }
            defer { timer.cancel() }
            for frame in frames { try await outbound.write(.text(frame)) }
            for try await message in inbound.messages(maxSize: 1 << 24) {
                guard case .text(let text) = message,
                      let event = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any],
                      let type = event["type"] as? String else { continue }
                switch type {
                case "rtd.response.reasoning.delta": box.value.reasoning += event["delta"] as? String ?? ""
                case "response.output_audio_transcript.done", "response.output_text.done":
                    box.value.answer = event["transcript"] as? String ?? event["text"] as? String ?? ""
                case "response.done":
                    box.value.status = (event["response"] as? [String: Any])?["status"] as? String ?? "unknown"
                    try? await outbound.close(.normalClosure, reason: nil)
                case "error":
                    box.value.status = "error: " + ((event["error"] as? [String: Any])?["code"] as? String ?? "?")
                default: break
                }
            }
        }
        return box.value
    }
}

/// The reply as its events arrive (one reader task writes it).
private final class ReplyBox: @unchecked Sendable {
    var value: TextTurn.Reply
    init(_ value: TextTurn.Reply) { self.value = value }
}

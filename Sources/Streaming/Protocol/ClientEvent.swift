import AudioIO
import Foundation

/// An event a client sends (PROTOCOL.md, "Client → server events"), checked field by field.
public enum ClientEvent: Sendable {
    /// The `session` object as sent; applied by `SessionConfiguration.apply`, which validates it.
    case sessionUpdate(SessionUpdate)
    case appendAudio(base64: String)
    case commitAudio
    case clearAudio
    case createUserText(String)
    case createResponse(instructions: String?)
    case cancelResponse
    case truncate(itemID: String, contentIndex: Int, audioEndMs: Int)

    /// Longest text a client may give as instructions or as a typed message, in UTF-8 bytes
    /// (16 KiB: pages of text; a spoken conversation's prompt holds about 4 KB).
    public static let maximumTextBytes = 16 << 10

    /// Refuses text longer than `maximumTextBytes`.
    static func checkLength(_ text: String, _ field: String) throws(ProtocolError) -> String {
        guard text.utf8.count <= maximumTextBytes else {
            throw .invalidValue(field, "is limited to \(maximumTextBytes) bytes (got \(text.utf8.count))")
        }
        return text
    }

    /// A session object, kept as parsed JSON (not Sendable as such; read on the receiving task only).
    public struct SessionUpdate: @unchecked Sendable {
        public let object: [String: Any]
    }

    /// One text frame: the event and its `event_id`, or an error naming what is wrong.
    public static func parse(_ text: String) -> (event: ClientEvent?, eventID: String?, error: ProtocolError?) {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else {
            return (nil, nil, ProtocolError(code: "invalid_json", message: "a text frame must hold exactly one JSON object"))
        }
        let eventID = object["event_id"] as? String
        do {
            return (try parse(JSONFields(object)), eventID, nil)
        } catch {
            var e = error
            e.eventID = eventID
            return (nil, eventID, e)
        }
    }

    static func parse(_ f: JSONFields) throws(ProtocolError) -> ClientEvent {
        guard let type = try? f.string("type") else {
            throw ProtocolError(code: "missing_type", message: "the event has no \"type\" string")
        }
        switch type {
        case "session.update":
            return .sessionUpdate(SessionUpdate(object: try f.object("session").object))
        case "input_audio_buffer.append":
            return .appendAudio(base64: try f.string("audio"))
        case "input_audio_buffer.commit":
            return .commitAudio
        case "input_audio_buffer.clear":
            return .clearAudio
        case "conversation.item.create":
            let item = try f.object("item")
            let itemType = try item.optionalString("type") ?? "message"
            guard itemType == "message" else { throw .invalidValue("item.type", "only \"message\" items are supported (got \"\(itemType)\")") }
            let role = try item.string("role")
            guard role == "user" else { throw .invalidValue("item.role", "only user messages can be created (got \"\(role)\")") }
            guard let parts = try item.optionalArray("content"), !parts.isEmpty else {
                throw .invalidValue("item.content", "expected a non-empty array of content parts")
            }
            var text = ""
            for (i, part) in parts.enumerated() {
                guard let p = part as? [String: Any] else { throw .invalidValue("item.content[\(i)]", "expected an object") }
                let pf = JSONFields(p, prefix: "item.content[\(i)]")
                let partType = try pf.string("type")
                guard partType == "input_text" || partType == "text" else {
                    throw .invalidValue(pf.path("type"), "only input_text parts are supported (got \"\(partType)\")")
                }
                text += try pf.string("text")
            }
            guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw .invalidValue("item.content", "the message has no text")
            }
            return .createUserText(try checkLength(text, "item.content"))
        case "response.create":
            let response = try f.optionalObject("response")
            let instructions = try response?.optionalString("instructions")
            if let instructions { _ = try checkLength(instructions, "response.instructions") }
            return .createResponse(instructions: instructions)
        case "response.cancel":
            return .cancelResponse
        case "conversation.item.truncate":
            let itemID = try f.string("item_id")
            let index = try f.optionalInt("content_index") ?? 0
            guard let end = try f.optionalInt("audio_end_ms"), end >= 0 else {
                throw .invalidValue("audio_end_ms", "expected a non-negative integer")
            }
            return .truncate(itemID: itemID, contentIndex: index, audioEndMs: end)
        default:
            // At most 100 characters of it echoed: a client that does not read gets no amplification.
            let shown = type.count > 100 ? type.prefix(100) + "…" : Substring(type)
            throw ProtocolError(code: "unknown_event", message: "unknown event type \"\(shown)\"")
        }
    }
}

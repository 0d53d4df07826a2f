import AudioIO
import Foundation

/// An event a client sends (PROTOCOL.md, "Client → server events"), checked field by field.
public enum ClientEvent: Sendable {
    /// The `session` object as sent; applied by `SessionConfiguration.apply`, which validates it.
    case sessionUpdate(SessionUpdate)
    case appendAudio(base64: String)
    case commitAudio
    case clearAudio
    /// An item the client adds; `previousItemID` is checked but items always go at the end.
    case createItem(ConversationItem, previousItemID: String?)
    case retrieveItem(String)
    case deleteItem(String)
    case createResponse(ResponseOptions)
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
            return .createItem(try ConversationItem.parse(try f.object("item")), previousItemID: try f.optionalString("previous_item_id"))
        case "conversation.item.retrieve":
            return .retrieveItem(try f.string("item_id"))
        case "conversation.item.delete":
            return .deleteItem(try f.string("item_id"))
        case "response.create":
            return .createResponse(try f.optionalObject("response").map { r throws(ProtocolError) in try ResponseOptions.parse(r) } ?? ResponseOptions())
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

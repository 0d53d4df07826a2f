import Foundation

/// An event the server sends (PROTOCOL.md, "Server → client events"): its type and fields.
/// Values are strings, numbers, booleans, `NullValue.null`, arrays and `[String: any Sendable]`.
public struct ServerEvent: Sendable {
    public var type: String
    public var fields: [String: any Sendable]

    public init(_ type: String, _ fields: [String: any Sendable] = [:]) {
        self.type = type
        self.fields = fields
    }

    public static func error(_ e: ProtocolError) -> ServerEvent {
        var error: [String: any Sendable] = ["type": e.type, "code": e.code, "message": e.message]
        error["event_id"] = e.eventID ?? NullValue.null
        return ServerEvent("error", ["error": error])
    }

    /// About the bytes of the event's text values (the numbers and keys are small), for a
    /// transport's output budget; cheaper than encoding.
    public var estimatedPayloadBytes: Int { Self.textBytes(fields) }

    private static func textBytes(_ value: Any) -> Int {
        switch value {
        case let s as String: s.utf8.count
        case let d as [String: any Sendable]: d.values.reduce(0) { $0 + textBytes($1) + 16 }
        case let a as [any Sendable]: a.reduce(0) { $0 + textBytes($1) }
        default: 8
        }
    }

    /// The JSON text of the event, with a fresh `event_id`.
    public func encoded(eventID: String) -> String {
        var object = Self.foundation(fields) as? [String: Any] ?? [:]
        object["type"] = type
        object["event_id"] = eventID
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else {
            return #"{"type":"error","error":{"type":"server_error","code":"encoding","message":"unencodable event \#(type)"}}"#
        }
        return String(decoding: data, as: UTF8.self)
    }

    static func foundation(_ value: any Sendable) -> Any {
        switch value {
        case let d as [String: any Sendable]: return d.mapValues { foundation($0) }
        case let a as [any Sendable]: return a.map { foundation($0) }
        case let s as [String]: return s
        case is NullValue: return NSNull()
        case let d as Double: return d.isFinite ? d : NSNull()
        default: return value
        }
    }
}

/// What a session hands its transport: events, and reply audio at the output format's rate
/// (the transport makes PCM deltas or Opus packets of it).
public enum SessionOutput: Sendable {
    case event(ServerEvent)
    case audio(samples: [Float], format: AudioFormat, responseID: String, itemID: String)
    /// The reply's audio is complete: the transport flushes its last Opus frame, then sends the event.
    case audioDone(ServerEvent)
}

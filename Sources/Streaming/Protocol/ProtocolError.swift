/// An `error` event's payload (PROTOCOL.md): what went wrong with a client's event, or with the
/// session. The connection stays open unless `fatal`.
public struct ProtocolError: Error, Sendable, Equatable, CustomStringConvertible {
    public var type: String
    public var code: String
    public var message: String
    public var eventID: String?
    public var fatal = false

    public init(type: String = "invalid_request_error", code: String, message: String, eventID: String? = nil, fatal: Bool = false) {
        self.type = type
        self.code = code
        self.message = message
        self.eventID = eventID
        self.fatal = fatal
    }

    public var description: String { "\(code): \(message)" }

    public static func invalidValue(_ field: String, _ message: String, eventID: String? = nil) -> ProtocolError {
        ProtocolError(code: "invalid_value", message: "\(field): \(message)", eventID: eventID)
    }

    public static func overloaded(_ message: String, eventID: String? = nil) -> ProtocolError {
        ProtocolError(type: "server_error", code: "overloaded", message: message, eventID: eventID)
    }
}

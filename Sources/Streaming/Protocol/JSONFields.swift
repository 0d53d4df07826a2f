import AudioIO
import Foundation

/// Typed access to the fields of a client's JSON object, with errors that name the field's path
/// (`session.audio.input.format.rate: expected an integer`).
struct JSONFields {
    let object: [String: Any]
    let prefix: String

    init(_ object: [String: Any], prefix: String = "") {
        self.object = object
        self.prefix = prefix
    }

    func path(_ key: String) -> String { prefix.isEmpty ? key : prefix + "." + key }

    func has(_ key: String) -> Bool { object[key] != nil }
    func isNull(_ key: String) -> Bool { object[key] is NSNull }

    func string(_ key: String) throws(ProtocolError) -> String {
        guard let value = try optionalString(key) else { throw .invalidValue(path(key), "missing (expected a string)") }
        return value
    }

    func optionalString(_ key: String) throws(ProtocolError) -> String? {
        guard let value = object[key], !(value is NSNull) else { return nil }
        guard let s = value as? String else { throw .invalidValue(path(key), "expected a string") }
        return s
    }

    func optionalNumber(_ key: String) throws(ProtocolError) -> Double? {
        guard let value = object[key], !(value is NSNull) else { return nil }
        guard let n = value as? NSNumber, !Self.isBool(n), n.doubleValue.isFinite else { throw .invalidValue(path(key), "expected a number") }
        return n.doubleValue
    }

    func optionalInt(_ key: String) throws(ProtocolError) -> Int? {
        guard let d = try optionalNumber(key) else { return nil }
        guard d.rounded() == d, abs(d) < 1e15 else { throw .invalidValue(path(key), "expected an integer") }
        return Int(d)
    }

    /// A token limit: 1…4096, or "inf" (the API's default, which many clients send as is) as 4096.
    func optionalTokenLimit(_ key: String) throws(ProtocolError) -> Int? {
        if (object[key] as? String) == "inf" { return 4096 }
        guard let tokens = try optionalInt(key) else { return nil }
        guard (1...4096).contains(tokens) else { throw .invalidValue(path(key), "must be 1…4096 or \"inf\"") }
        return tokens
    }

    func optionalBool(_ key: String) throws(ProtocolError) -> Bool? {
        guard let value = object[key], !(value is NSNull) else { return nil }
        guard let n = value as? NSNumber, Self.isBool(n) else { throw .invalidValue(path(key), "expected true or false") }
        return n.boolValue
    }

    func optionalObject(_ key: String) throws(ProtocolError) -> JSONFields? {
        guard let value = object[key], !(value is NSNull) else { return nil }
        guard let o = value as? [String: Any] else { throw .invalidValue(path(key), "expected an object") }
        return JSONFields(o, prefix: path(key))
    }

    func object(_ key: String) throws(ProtocolError) -> JSONFields {
        guard let o = try optionalObject(key) else { throw .invalidValue(path(key), "missing (expected an object)") }
        return o
    }

    func optionalArray(_ key: String) throws(ProtocolError) -> [Any]? {
        guard let value = object[key], !(value is NSNull) else { return nil }
        guard let a = value as? [Any] else { throw .invalidValue(path(key), "expected an array") }
        return a
    }

    /// JSONSerialization gives booleans and numbers both as NSNumber; booleans are its
    /// `__NSCFBoolean` subclass (on Linux and Darwin alike).
    static func isBool(_ n: NSNumber) -> Bool {
        String(describing: type(of: n)) == "__NSCFBoolean"
    }
}

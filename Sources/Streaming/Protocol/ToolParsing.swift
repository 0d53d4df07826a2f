import Engine
import Foundation

/// `tools` and `tool_choice`, as `session.update` and `response.create` give them.
enum ToolParsing {
    /// More functions than a prompt can usefully describe.
    static let maximumTools = 64

    static func tools(_ value: [Any], path: String) throws(ProtocolError) -> [ToolDefinition] {
        guard value.count <= maximumTools else { throw .invalidValue(path, "at most \(maximumTools) tools") }
        var tools: [ToolDefinition] = []
        for (i, entry) in value.enumerated() {
            guard let object = entry as? [String: Any] else { throw .invalidValue("\(path)[\(i)]", "expected an object") }
            let f = JSONFields(object, prefix: "\(path)[\(i)]")
            let type = try f.optionalString("type") ?? "function"
            guard type == "function" else {
                throw .invalidValue(f.path("type"), "only function tools are supported (got \"\(type.prefix(40))\")")
            }
            let name = try f.string("name")
            guard !name.isEmpty, name.utf8.count <= 64, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
                throw .invalidValue(f.path("name"), "expected 1–64 letters, digits, _ or -")
            }
            guard !tools.contains(where: { $0.name == name }) else { throw .invalidValue(f.path("name"), "\"\(name)\" is given twice") }
            var parameters = #"{"type":"object","properties":{}}"#
            if let schema = f.object["parameters"], !(schema is NSNull) {
                guard JSONSerialization.isValidJSONObject(schema), let data = try? JSONSerialization.data(withJSONObject: schema, options: [.sortedKeys]) else {
                    throw .invalidValue(f.path("parameters"), "expected a JSON Schema object")
                }
                parameters = try ClientEvent.checkLength(String(decoding: data, as: UTF8.self), f.path("parameters"))
            }
            tools.append(ToolDefinition(name: name, description: try ClientEvent.checkLength(try f.optionalString("description") ?? "", f.path("description")),
                                        parameters: parameters))
        }
        return tools
    }

    static func choice(_ value: Any, path: String) throws(ProtocolError) -> ToolChoice {
        if let text = value as? String {
            switch text {
            case "auto": return .auto
            case "none": return .none
            case "required": return .required
            default: throw .invalidValue(path, "expected auto, none, required or {\"type\":\"function\",\"name\":…} (got \"\(text.prefix(40))\")")
            }
        }
        guard let object = value as? [String: Any] else { throw .invalidValue(path, "expected a string or an object") }
        let f = JSONFields(object, prefix: path)
        guard try f.optionalString("type") == "function" else { throw .invalidValue(f.path("type"), "only function choices are supported") }
        // The GA shape names the function at the top; the chat completions shape under "function".
        if let name = try f.optionalString("name") { return .function(name) }
        return .function(try f.object("function").string("name"))
    }

    /// The `tools` array as the session reports it.
    static func json(_ tools: [ToolDefinition]) -> [any Sendable] {
        tools.map { tool -> [String: any Sendable] in
            ["type": "function", "name": tool.name, "description": tool.description, "parameters": JSONValue(tool.schema)]
        }
    }
}

/// A parsed JSON value carried through the Sendable dictionaries sessions build (Foundation's
/// JSON objects are not Sendable); `ServerEvent.foundation` unwraps it.
struct JSONValue: @unchecked Sendable {
    let value: Any
    init(_ value: Any) { self.value = value }
}

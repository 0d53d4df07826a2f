import Engine

/// What a `response.create` may set for its response alone (the session's settings apply to the
/// rest).
public struct ResponseOptions: Sendable, Equatable {
    public var instructions: String?
    public var modality: ServerEvent.Modality?
    public var tools: [ToolDefinition]?
    public var toolChoice: ToolChoice?
    public var maxOutputTokens: Int?
    /// `conversation: "none"`: the response's items stay out of the conversation (out-of-band).
    public var outOfBand = false
    /// The conversation the response answers instead of the session's (`input` items).
    public var input: [ConversationItem]?
    /// The client's labels, returned in `response.done`.
    public var metadata: [String: String]?

    public init() {}

    static func parse(_ r: JSONFields) throws(ProtocolError) -> ResponseOptions {
        var o = ResponseOptions()
        if let instructions = try r.optionalString("instructions") { o.instructions = try ClientEvent.checkLength(instructions, r.path("instructions")) }
        let legacy = try r.optionalArray("modalities")  // the beta API's name
        if let modalities = try r.optionalArray("output_modalities") ?? legacy {
            o.modality = try Self.modality(modalities, path: r.path("output_modalities"))
        }
        if let tools = try r.optionalArray("tools") { o.tools = try ToolParsing.tools(tools, path: r.path("tools")) }
        if let choice = r.object["tool_choice"] { o.toolChoice = try ToolParsing.choice(choice, path: r.path("tool_choice")) }
        o.maxOutputTokens = try r.optionalTokenLimit("max_output_tokens")
        if let conversation = try r.optionalString("conversation") {
            guard conversation == "auto" || conversation == "none" else {
                throw .invalidValue(r.path("conversation"), "expected \"auto\" or \"none\" (got \"\(conversation.prefix(40))\")")
            }
            o.outOfBand = conversation == "none"
        }
        if let input = try r.optionalArray("input") {
            guard input.count <= 64 else { throw .invalidValue(r.path("input"), "at most 64 items") }
            var items: [ConversationItem] = []
            for (i, entry) in input.enumerated() {
                guard let object = entry as? [String: Any] else { throw .invalidValue(r.path("input[\(i)]"), "expected an item") }
                items.append(try ConversationItem.parse(JSONFields(object, prefix: r.path("input[\(i)]"))))
            }
            o.input = items
        }
        if let metadata = try r.optionalObject("metadata") {
            guard metadata.object.count <= 16 else { throw .invalidValue(metadata.prefix, "at most 16 entries") }
            var labels: [String: String] = [:]
            for key in metadata.object.keys {
                guard key.utf8.count <= 64, let value = try metadata.optionalString(key), value.utf8.count <= 512 else {
                    throw .invalidValue(metadata.path(String(key.prefix(64))), "expected a string of at most 512 characters under a key of at most 64")
                }
                labels[key] = value
            }
            o.metadata = labels
        }
        return o
    }

    /// `["audio"]` (speech with its transcript) or `["text"]`.
    static func modality(_ value: [Any], path: String) throws(ProtocolError) -> ServerEvent.Modality {
        let names = value.compactMap { $0 as? String }
        guard names.count == value.count, !names.isEmpty, names.allSatisfy({ $0 == "audio" || $0 == "text" }) else {
            throw .invalidValue(path, "expected [\"audio\"] or [\"text\"]")
        }
        return names.contains("audio") ? .audio : .text
    }
}

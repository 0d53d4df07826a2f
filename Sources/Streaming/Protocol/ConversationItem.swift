import Engine
import Foundation

/// An item of the conversation as the API describes it: a message (spoken or typed, by the
/// user, the assistant or the system), a function call, or a function's result.
public struct ConversationItem: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// A spoken turn (its transcript once known) or a typed message.
        case userAudio(transcript: String?)
        case userText(String)
        case system(String)
        /// A reply: what it says (or has said so far), spoken or as text.
        case assistant(transcript: String, modality: ServerEvent.Modality)
        case functionCall(FunctionCall)
        case functionCallOutput(callID: String, output: String)
    }
    public enum Status: String, Sendable { case inProgress = "in_progress", completed, incomplete }

    public var id: String
    public var kind: Kind
    public var status: Status

    public init(id: String, kind: Kind, status: Status = .completed) {
        self.id = id
        self.kind = kind
        self.status = status
    }

    public var json: [String: Any] {
        var item: [String: Any] = ["id": id, "object": "realtime.item", "status": status.rawValue]
        switch kind {
        case .userAudio(let transcript):
            item["type"] = "message"
            item["role"] = "user"
            item["content"] = [["type": "input_audio", "transcript": transcript.map { $0 as Any } ?? NSNull()]]
        case .userText(let text):
            item["type"] = "message"
            item["role"] = "user"
            item["content"] = [["type": "input_text", "text": text]]
        case .system(let text):
            item["type"] = "message"
            item["role"] = "system"
            item["content"] = [["type": "input_text", "text": text]]
        case .assistant(let transcript, let modality):
            item["type"] = "message"
            item["role"] = "assistant"
            item["content"] = modality == .audio ? [["type": "output_audio", "transcript": transcript]] : [["type": "output_text", "text": transcript]]
        case .functionCall(let call):
            item["type"] = "function_call"
            item["call_id"] = call.callID
            item["name"] = call.name
            item["arguments"] = call.arguments
        case .functionCallOutput(let callID, let output):
            item["type"] = "function_call_output"
            item["call_id"] = callID
            item["output"] = output
        }
        return item
    }

    /// The message the reasoner is given for this item (nil for a spoken turn not yet transcribed).
    var message: ChatMessage? {
        switch kind {
        case .userAudio(let transcript): transcript.map { ChatMessage(role: .user, content: $0, itemID: id) }
        case .userText(let text): ChatMessage(role: .user, content: text, itemID: id)
        case .system(let text): ChatMessage(role: .system, content: text, itemID: id)
        case .assistant(let text, _): ChatMessage(role: .assistant, content: text, itemID: id)
        case .functionCall(let call): ChatMessage(role: .assistant, content: "", itemID: id, functionCall: call)
        case .functionCallOutput(let callID, let output): ChatMessage(role: .tool, content: output, itemID: id, callID: callID)
        }
    }

    /// The item a message of the history is (for `conversation.item.retrieved`).
    init?(_ message: ChatMessage) {
        guard let id = message.itemID else { return nil }
        self.id = id
        status = .completed
        if let call = message.functionCall {
            kind = .functionCall(call)
            return
        }
        switch message.role {
        case .user: kind = .userText(message.content)
        case .system: kind = .system(message.content)
        case .assistant: kind = .assistant(transcript: message.content, modality: .audio)
        case .tool: kind = .functionCallOutput(callID: message.callID ?? "", output: message.content)
        }
    }

    /// A client's item (`conversation.item.create`): a message with text parts, a function call
    /// or a function's result. `id` is empty when the client left it to the server.
    static func parse(_ item: JSONFields) throws(ProtocolError) -> ConversationItem {
        let id = try item.optionalString("id") ?? ""
        guard id.utf8.count <= 64 else { throw .invalidValue(item.path("id"), "is limited to 64 characters") }
        let type = try item.optionalString("type") ?? "message"
        switch type {
        case "message":
            let role = try item.string("role")
            let text = try messageText(item)
            switch role {
            case "user": return ConversationItem(id: id, kind: .userText(text))
            case "system": return ConversationItem(id: id, kind: .system(text))
            case "assistant": return ConversationItem(id: id, kind: .assistant(transcript: text, modality: .text))
            default: throw .invalidValue(item.path("role"), "expected user, assistant or system (got \"\(role.prefix(40))\")")
            }
        case "function_call":
            let call = FunctionCall(callID: try item.optionalString("call_id") ?? "call_\(UUID().uuidString.prefix(12))",
                                    name: try item.string("name"),
                                    arguments: try ClientEvent.checkLength(try item.optionalString("arguments") ?? "{}", item.path("arguments")))
            return ConversationItem(id: id, kind: .functionCall(call))
        case "function_call_output":
            return ConversationItem(id: id, kind: .functionCallOutput(callID: try item.string("call_id"),
                                                                       output: try ClientEvent.checkLength(try item.string("output"), item.path("output"))))
        default:
            throw .invalidValue(item.path("type"), "expected message, function_call or function_call_output (got \"\(type.prefix(40))\")")
        }
    }

    /// The text of a message's content parts (input_text, text, output_text; a part's
    /// transcript stands for its audio).
    private static func messageText(_ item: JSONFields) throws(ProtocolError) -> String {
        guard let parts = try item.optionalArray("content"), !parts.isEmpty else {
            throw .invalidValue(item.path("content"), "expected a non-empty array of content parts")
        }
        var text = ""
        for (i, part) in parts.enumerated() {
            guard let p = part as? [String: Any] else { throw .invalidValue(item.path("content[\(i)]"), "expected an object") }
            let pf = JSONFields(p, prefix: item.path("content[\(i)]"))
            switch try pf.string("type") {
            case "input_text", "text", "output_text": text += try pf.string("text")
            case "input_audio", "output_audio", "audio":
                guard let transcript = try pf.optionalString("transcript") else {
                    throw .invalidValue(pf.path("transcript"), "audio parts need their transcript (items of audio alone are not supported)")
                }
                text += transcript
            case let other: throw .invalidValue(pf.path("type"), "unsupported content part \"\(other.prefix(40))\"")
            }
        }
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw .invalidValue(item.path("content"), "the message has no text")
        }
        return try ClientEvent.checkLength(text, item.path("content"))
    }
}

/// One message of a conversation: what a person or the assistant said, a function the assistant
/// called, or a function's result.
public struct ChatMessage: Sendable, Equatable {
    public enum Role: String, Sendable { case system, user, assistant, tool }
    public var role: Role
    public var content: String
    /// The conversation item this message is (the Realtime API's item id), when it has one.
    public var itemID: String?
    /// An assistant message that calls a function instead of saying something.
    public var functionCall: FunctionCall?
    /// A `tool` message: the call whose result it is.
    public var callID: String?

    public init(role: Role, content: String, itemID: String? = nil, functionCall: FunctionCall? = nil, callID: String? = nil) {
        self.role = role
        self.content = content
        self.itemID = itemID
        self.functionCall = functionCall
        self.callID = callID
    }
}

/// A function call the model made: which function, with which arguments (JSON text), under
/// which id (its result refers to it).
public struct FunctionCall: Sendable, Equatable {
    public var callID: String
    public var name: String
    public var arguments: String

    public init(callID: String, name: String, arguments: String) {
        self.callID = callID
        self.name = name
        self.arguments = arguments
    }
}

/// The chat template of a GGUF model, applied in Swift. ChatML (`<|im_start|>role\n…<|im_end|>\n`)
/// covers SmolLM2, Qwen2 and many others; the default system prompt some templates insert when
/// the conversation has none is read from the template text itself.
public struct ChatTemplate: Sendable, Equatable {
    public enum Format: Sendable, Equatable { case chatML }

    public var format: Format
    /// Inserted as the first message when a conversation starts without a system message.
    public var defaultSystemPrompt: String?

    public init(format: Format = .chatML, defaultSystemPrompt: String? = nil) {
        self.format = format
        self.defaultSystemPrompt = defaultSystemPrompt
    }

    /// Reads `tokenizer.chat_template`. Templates that are not ChatML are refused by name.
    public init(_ file: GGUFFile) throws(EngineError) {
        let text = file.metadata["tokenizer.chat_template"]?.string ?? ""
        guard text.isEmpty || text.contains("<|im_start|>") else {
            throw .unsupportedModel(path: file.path, message: "chat template is not ChatML (only ChatML templates are applied)")
        }
        format = .chatML
        let marker = "<|im_start|>system\n"
        if let start = text.range(of: "'" + marker), let end = text[start.upperBound...].range(of: "<|im_end|>") {
            defaultSystemPrompt = String(text[start.upperBound..<end.lowerBound])
        } else {
            defaultSystemPrompt = nil
        }
    }

    /// The prompt text for `messages`, ending with the assistant's opening when
    /// `addGenerationPrompt` (so the model writes the reply next).
    public func render(_ messages: [ChatMessage], addGenerationPrompt: Bool = true) -> String {
        var out = preamble(before: messages)
        for m in messages { out += segment(m) }
        if addGenerationPrompt { out += generationPrompt }
        return out
    }

    /// One message as the template renders it. What a person said or typed cannot open or close
    /// a turn: `<|` in content is written `< |`, so no special token hides in it (a client could
    /// otherwise speak as the system).
    ///
    /// A function call and its result have no form in a template without tools: they are
    /// written as what they are, an assistant note of the call and a user message with the result.
    public func segment(_ message: ChatMessage) -> String {
        var role = message.role.rawValue, content = message.content
        if let call = message.functionCall {
            content = "(called \(call.name) with \(call.arguments))"
        } else if message.role == .tool {
            role = ChatMessage.Role.user.rawValue
            content = "(result of the function call: \(message.content))"
        }
        return "<|im_start|>\(role)\n\(Self.escaped(content))<|im_end|>\n"
    }

    public var generationPrompt: String { "<|im_start|>assistant\n" }

    /// The token that closes a message.
    public var endOfMessage: String { "<|im_end|>" }

    /// The default system message, when the template inserts one before `messages`.
    public func preamble(before messages: [ChatMessage]) -> String {
        guard let system = defaultSystemPrompt, messages.first?.role != .system else { return "" }
        return "<|im_start|>system\n\(system)<|im_end|>\n"
    }

    static func escaped(_ content: String) -> String {
        content.contains("<|") ? content.replacingOccurrences(of: "<|", with: "< |") : content
    }
}

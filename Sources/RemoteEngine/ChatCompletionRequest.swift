import Engine
import Foundation

/// The JSON body of a streaming `/v1/chat/completions` request, for both input modes.
struct ChatCompletionRequest {
    var model: String
    var messages: [[String: Any]]
    var maxTokens: Int
    var temperature: Double?
    /// Extra fields (the audio mode's prefill and stop settings).
    var extra: [String: Any] = [:]

    /// Step-Audio-R1's end-of-turn token, and its text.
    static let stepAudioStopTokenID = 151_665
    static let stepAudioStopText = "<|EOT|>"
    /// Longest `input_audio` piece the audio model takes.
    static let maxAudioPieceSeconds = 25.0

    func body() throws -> Data {
        var object: [String: Any] = ["model": model, "messages": messages, "stream": true, "max_tokens": maxTokens]
        if let temperature { object["temperature"] = temperature }
        for (key, value) in extra { object[key] = value }
        return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    }

    /// Text mode: the conversation as chat messages; the last user message carries the local
    /// transcript and, after it, the acoustic evidence block and `note` (what differs between
    /// the formulation and articulation requests goes last, so that the server's prefix cache
    /// serves both).
    static func text(model: String, system: String?, turns: [ChatMessage], evidence: String?, note: String? = nil,
                     maxTokens: Int, temperature: Double?, tools: [ToolDefinition] = [], toolChoice: ToolChoice = .auto) -> Self {
        var messages = [[String: Any]]()
        if let system, !system.isEmpty { messages.append(["role": "system", "content": system]) }
        for (i, turn) in turns.enumerated() {
            var content = turn.content
            if i == turns.count - 1, turn.role == .user {
                for extra in [evidence, note] { if let extra, !extra.isEmpty { content += "\n" + extra } }
            }
            if let call = turn.functionCall {
                // The calls of one reply belong to one assistant message (with what it said before
                // them): each tool result must follow the message that made its call.
                let entry: [String: Any] = ["id": call.callID, "type": "function", "function": ["name": call.name, "arguments": call.arguments]]
                if var last = messages.last, last["role"] as? String == "assistant", i > 0, turns[i - 1].role == .assistant {
                    last["tool_calls"] = (last["tool_calls"] as? [[String: Any]] ?? []) + [entry]
                    messages[messages.count - 1] = last
                } else {
                    messages.append(["role": "assistant", "content": "", "tool_calls": [entry]])  // a string: some servers refuse null
                }
            } else if turn.role == .tool {
                messages.append(["role": "tool", "tool_call_id": turn.callID ?? "", "content": content])
            } else {
                messages.append(["role": turn.role.rawValue, "content": content])
            }
        }
        var request = Self(model: model, messages: messages, maxTokens: maxTokens, temperature: temperature)
        if !tools.isEmpty {
            request.extra["tools"] = tools.map { tool -> [String: Any] in
                ["type": "function", "function": ["name": tool.name, "description": tool.description, "parameters": tool.schema]]
            }
            request.extra["tool_choice"] = switch toolChoice {
            case .auto: "auto" as Any
            case .none: "none"
            case .required: "required"
            case .function(let name): ["type": "function", "function": ["name": name]]
            }
        }
        return request
    }

    /// Audio mode (Step-Audio-R1 on vLLM): earlier turns as text, the last user turn as WAV
    /// pieces of at most 25 s (16 kHz mono), and the assistant turn prefilled with `<think>\n`
    /// and continued, with the model's own end-of-turn token as the stop.
    static func audio(model: String, system: String?, turns: [ChatMessage], audio16k: [Float], maxTokens: Int, temperature: Double?) -> Self {
        var messages = [[String: Any]]()
        if let system, !system.isEmpty { messages.append(["role": "system", "content": system]) }
        let earlier = turns.last?.role == .user ? turns.dropLast() : turns[...]
        for turn in earlier { messages.append(["role": turn.role.rawValue, "content": turn.content]) }
        let parts: [[String: Any]] = WAVEncoding.pieces(audio16k, sampleRate: 16_000, maxSeconds: maxAudioPieceSeconds).map { wav in
            ["type": "input_audio", "input_audio": ["data": wav.base64EncodedString(), "format": "wav"]]
        }
        messages.append(["role": "user", "content": parts])
        messages.append(["role": "assistant", "content": "<think>\n"])
        return Self(model: model, messages: messages, maxTokens: maxTokens, temperature: temperature, extra: [
            "continue_final_message": true,
            "add_generation_prompt": false,
            "skip_special_tokens": false,
            "stop_token_ids": [stepAudioStopTokenID],
            "stop": [stepAudioStopText],
        ])
    }
}

import Engine
import Foundation

/// Reads a `text/event-stream` body (the WHATWG server-sent events format) incrementally:
/// bytes in, the `data` of each complete event out. Comments and other fields are skipped.
struct ServerSentEvents {
    private var buffer = [UInt8]()
    private var data: [String] = []

    /// Feeds bytes; returns the data of the events they completed.
    mutating func feed(_ bytes: some Sequence<UInt8>) -> [String] {
        buffer.append(contentsOf: bytes)
        var events = [String]()
        while let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
            var line = buffer[..<newline]
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            buffer.removeSubrange(...newline)
            if line.isEmpty {
                if !data.isEmpty { events.append(data.joined(separator: "\n")) }
                data = []
                continue
            }
            let text = String(decoding: line, as: UTF8.self)
            guard text.hasPrefix("data:") else { continue }  // ":comment", "event:", "id:", "retry:"
            var value = text.dropFirst(5)
            if value.first == " " { value = value.dropFirst() }
            data.append(String(value))
        }
        return events
    }

    /// What is left when the stream ends (an event without its blank line).
    mutating func finish() -> [String] {
        var events = feed([UInt8(ascii: "\n")])
        if !data.isEmpty { events.append(data.joined(separator: "\n")) }
        data = []
        return events
    }
}

/// One streamed chunk of a chat completion, reduced to what the daemon uses.
struct CompletionDelta: Equatable, Sendable {
    /// Answer text (or, from a model that writes `<think>` inline, both).
    var content = ""
    /// Thinking, from servers that separate it (`reasoning_content`, or `reasoning`).
    var reasoning = ""
    var finishReason: String?
    /// Parts of function calls (`delta.tool_calls`).
    var toolCalls: [ToolCallPart] = []

    /// One streamed piece of a function call: its place in the reply, and, in its first piece,
    /// its id and name.
    struct ToolCallPart: Equatable, Sendable {
        var index: Int
        var id: String?
        var name: String?
        var arguments: String
    }

    /// Parses one event's data. `[DONE]` gives nil; a server error object or anything that is
    /// not a chat completion chunk throws.
    static func parse(_ data: String) throws(RemoteError) -> CompletionDelta? {
        if data.trimmingCharacters(in: .whitespaces) == "[DONE]" { return nil }
        guard let object = (try? JSONSerialization.jsonObject(with: Data(data.utf8))) as? [String: Any] else {
            throw .malformed("a streamed event is not JSON: \(data.prefix(120))")
        }
        if let error = object["error"] {
            let message = (error as? [String: Any])?["message"] as? String ?? "\(error)"
            throw .server(message)
        }
        guard let choices = object["choices"] as? [[String: Any]] else {
            throw .malformed("a streamed event has no choices: \(data.prefix(120))")
        }
        var delta = CompletionDelta()
        guard let choice = choices.first else { return delta }  // a usage-only chunk
        let fields = choice["delta"] as? [String: Any] ?? [:]
        // Step-Audio-R1's server puts the text to speak under tts_content; others use content.
        let tts = (fields["tts_content"] as? [String: Any])?["tts_text"] as? String
        delta.content = tts ?? fields["content"] as? String ?? ""
        delta.reasoning = fields["reasoning_content"] as? String ?? fields["reasoning"] as? String ?? ""
        delta.finishReason = choice["finish_reason"] as? String
        for (position, call) in (fields["tool_calls"] as? [[String: Any]] ?? []).enumerated() {
            let function = call["function"] as? [String: Any] ?? [:]
            delta.toolCalls.append(ToolCallPart(index: (call["index"] as? Int) ?? position, id: call["id"] as? String,
                                                name: function["name"] as? String, arguments: function["arguments"] as? String ?? ""))
        }
        return delta
    }
}

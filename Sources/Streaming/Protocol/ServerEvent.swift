import AudioIO
import Engine
import Foundation

/// An event the server sends (PROTOCOL.md, "Server → client events"), as the OpenAI Realtime
/// API (GA) shapes it, one case per event type. Each case encodes itself (`json`); everything
/// in the process that reads events (metrics, the local loop, `converse`, `doctor`) reads these
/// typed values, never the JSON.
public enum ServerEvent: Sendable {
    case sessionCreated(session: [String: any Sendable])
    case sessionUpdated(session: [String: any Sendable])
    case speechStarted(itemID: String, audioStartMs: Int)
    case speechStopped(itemID: String, audioEndMs: Int)
    case committed(itemID: String, previousItemID: String?)
    case cleared
    /// An item joined the conversation (a user's turn or typed message, a reply's message).
    case itemAdded(ConversationItem, previousItemID: String?)
    /// An item is complete (a user turn with its transcript, a reply as it ended).
    case itemDone(ConversationItem, previousItemID: String?)
    case itemTruncated(itemID: String, audioEndMs: Int)
    case itemDeleted(itemID: String)
    case itemRetrieved(ConversationItem)
    case transcriptionDelta(itemID: String, delta: String)
    case transcriptionCompleted(itemID: String, transcript: String, audioSeconds: Double)
    case transcriptionFailed(itemID: String, message: String)
    case responseCreated(responseID: String)
    case outputItemAdded(ResponsePart, item: ConversationItem)
    case contentPartAdded(ResponsePart, modality: Modality)
    case transcriptDelta(ResponsePart, delta: String)
    case textDelta(ResponsePart, delta: String)
    /// PCM mode's audio (base64 16-bit), made by the transport from `SessionOutput.audio`.
    case audioDelta(ResponsePart, base64: String)
    case transcriptDone(ResponsePart, transcript: String)
    case textDone(ResponsePart, text: String)
    case audioDone(ResponsePart)
    case contentPartDone(ResponsePart, modality: Modality, transcript: String)
    case outputItemDone(ResponsePart, item: ConversationItem)
    case responseDone(ResponseSummary)
    /// Sent at the start of each response; no limits apply here, so the list is empty.
    case rateLimitsUpdated
    case functionCallArgumentsDelta(ResponsePart, callID: String, delta: String)
    case functionCallArgumentsDone(ResponsePart, call: FunctionCall)
    /// No speech for `idle_timeout_ms` after the last reply: an empty turn is committed and answered.
    case timeoutTriggered(itemID: String, audioStartMs: Int, audioEndMs: Int)
    case error(ProtocolError)
    /// Extension (opt-in `reasoning`): the model's thinking, never spoken.
    case reasoningDelta(ResponsePart, delta: String)
    case reasoningDone(ResponsePart, text: String)
    /// Extension (opt-in `timings`): when each stage of a reply was reached.
    case responseTimings(ResponseSummary)

    public enum Modality: String, Sendable { case audio, text }

    /// The wire name of the event.
    public var type: String {
        switch self {
        case .sessionCreated: "session.created"
        case .sessionUpdated: "session.updated"
        case .speechStarted: "input_audio_buffer.speech_started"
        case .speechStopped: "input_audio_buffer.speech_stopped"
        case .committed: "input_audio_buffer.committed"
        case .cleared: "input_audio_buffer.cleared"
        case .itemAdded: "conversation.item.added"
        case .itemDone: "conversation.item.done"
        case .itemTruncated: "conversation.item.truncated"
        case .itemDeleted: "conversation.item.deleted"
        case .itemRetrieved: "conversation.item.retrieved"
        case .transcriptionDelta: "conversation.item.input_audio_transcription.delta"
        case .transcriptionCompleted: "conversation.item.input_audio_transcription.completed"
        case .transcriptionFailed: "conversation.item.input_audio_transcription.failed"
        case .responseCreated: "response.created"
        case .outputItemAdded: "response.output_item.added"
        case .contentPartAdded: "response.content_part.added"
        case .transcriptDelta: "response.output_audio_transcript.delta"
        case .textDelta: "response.output_text.delta"
        case .audioDelta: "response.output_audio.delta"
        case .transcriptDone: "response.output_audio_transcript.done"
        case .textDone: "response.output_text.done"
        case .audioDone: "response.output_audio.done"
        case .contentPartDone: "response.content_part.done"
        case .outputItemDone: "response.output_item.done"
        case .responseDone: "response.done"
        case .rateLimitsUpdated: "rate_limits.updated"
        case .functionCallArgumentsDelta: "response.function_call_arguments.delta"
        case .functionCallArgumentsDone: "response.function_call_arguments.done"
        case .timeoutTriggered: "input_audio_buffer.timeout_triggered"
        case .error: "error"
        case .reasoningDelta: "rtd.response.reasoning.delta"
        case .reasoningDone: "rtd.response.reasoning.done"
        case .responseTimings: "rtd.response.timings"
        }
    }

    /// The extension a client must have asked for to get this event, if any.
    public var requiredExtension: ProtocolExtension? {
        switch self {
        case .reasoningDelta, .reasoningDone: .reasoning
        case .responseTimings: .timings
        default: nil
        }
    }
}

/// Additions to the OpenAI Realtime API that a client asks for (`session.extensions`, or the
/// `extensions` query parameter); without them it sees only what the API would send.
public enum ProtocolExtension: String, Sendable, CaseIterable {
    /// `rtd.response.reasoning.delta` / `.done`: the model's thinking.
    case reasoning
    /// `rtd.response.timings` before each `response.done`, and the mode in its `metadata`.
    case timings
}

/// Where in a response a part of its output belongs (the GA events' addressing).
public struct ResponsePart: Sendable, Equatable {
    public var responseID: String
    public var itemID: String
    public var outputIndex = 0
    public var contentIndex = 0

    public init(responseID: String, itemID: String) {
        self.responseID = responseID
        self.itemID = itemID
    }

    var fields: [String: Any] {
        ["response_id": responseID, "item_id": itemID, "output_index": outputIndex, "content_index": contentIndex]
    }
}

/// How a response ended, with what it said and cost, and when each stage was reached.
public struct ResponseSummary: Sendable, Equatable {
    public enum Status: String, Sendable { case completed, cancelled, failed, incomplete }

    public var id: String
    public var itemID: String
    public var status: Status
    /// The API's reason for a cancelled response: `turn_detected` (barge-in) or `client_cancelled`.
    public var reason: String?
    public var failure: String?
    /// What was said (after a barge-in, what the user heard).
    public var spoken: String
    public var modality: ServerEvent.Modality = .audio
    public var outputTokens = 0
    public var reasoningTokens = 0
    public var inputTokens = 0
    /// Milliseconds from the end of the turn (or `response.create`) to each stage.
    public var timingsMs: [String: Double] = [:]
    public var audioMs = 0
    public var mode = ""
    /// Started at a pause, before the turn's end was confirmed.
    public var speculative = false
    /// A speculative response's stages as they happened, from the confirmed end of the turn
    /// (negative: before it), with `started`; nil for others.
    public var speculativeTimingsMs: [String: Double]?
    /// A function the response called: its own output item after the message. A call whose
    /// arguments are not whole JSON (cut by the token limit or a cancellation) is incomplete.
    public struct Call: Sendable, Equatable {
        public var itemID: String
        public var call: FunctionCall
        public var complete: Bool
    }
    public var calls: [Call] = []
    /// The client's labels from `response.create`.
    public var metadata: [String: String]?

    public init(id: String, itemID: String, status: Status, spoken: String) {
        self.id = id
        self.itemID = itemID
        self.status = status
        self.spoken = spoken
    }

    var item: ConversationItem {
        ConversationItem(id: itemID, kind: .assistant(transcript: spoken, modality: modality), status: status == .completed ? .completed : .incomplete)
    }

    /// The response's output items, in order: its message, then its function calls.
    var output: [ConversationItem] {
        [item] + calls.map { ConversationItem(id: $0.itemID, kind: .functionCall($0.call), status: status == .completed && $0.complete ? .completed : .incomplete) }
    }
}

extension ServerEvent {
    /// The event's JSON object (without `event_id`), or nil when it is an extension the client
    /// did not ask for.
    public func json(extensions: Set<ProtocolExtension>) -> [String: Any]? {
        if let required = requiredExtension, !extensions.contains(required) { return nil }
        var object = fields(extensions: extensions)
        object["type"] = type
        return object
    }

    /// The JSON text of the event, with `eventID`, or nil when not sent to this client.
    public func encoded(eventID: String, extensions: Set<ProtocolExtension>) -> String? {
        guard var object = json(extensions: extensions) else { return nil }
        object["event_id"] = eventID
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else {
            return #"{"type":"error","event_id":"\#(eventID)","error":{"type":"server_error","code":"encoding","message":"unencodable event \#(type)"}}"#
        }
        return String(decoding: data, as: UTF8.self)
    }

    private func fields(extensions: Set<ProtocolExtension>) -> [String: Any] {
        switch self {
        case .sessionCreated(let session), .sessionUpdated(let session):
            return ["session": Self.foundation(session)]
        case let .speechStarted(itemID, ms): return ["item_id": itemID, "audio_start_ms": ms]
        case let .speechStopped(itemID, ms): return ["item_id": itemID, "audio_end_ms": ms]
        case let .committed(itemID, previous): return ["item_id": itemID, "previous_item_id": previous.map { $0 as Any } ?? NSNull()]
        case .cleared: return [:]
        case let .itemAdded(item, previous), let .itemDone(item, previous):
            return ["item": item.json, "previous_item_id": previous.map { $0 as Any } ?? NSNull()]
        case let .itemTruncated(itemID, ms): return ["item_id": itemID, "content_index": 0, "audio_end_ms": ms]
        case let .itemDeleted(itemID): return ["item_id": itemID]
        case let .itemRetrieved(item): return ["item": item.json]
        case let .transcriptionDelta(itemID, delta): return ["item_id": itemID, "content_index": 0, "delta": delta]
        case let .transcriptionCompleted(itemID, transcript, seconds):
            return ["item_id": itemID, "content_index": 0, "transcript": transcript,
                    "usage": ["type": "duration", "seconds": (seconds * 1000).rounded() / 1000]]
        case let .transcriptionFailed(itemID, message):
            return ["item_id": itemID, "content_index": 0, "error": ["type": "server_error", "code": "transcription_failed", "message": message]]
        case let .responseCreated(id):
            return ["response": ["id": id, "object": "realtime.response", "status": "in_progress", "output": [Any](), "status_details": NSNull()]]
        case let .outputItemAdded(part, item), let .outputItemDone(part, item):
            return ["response_id": part.responseID, "output_index": part.outputIndex, "item": item.json]
        case let .contentPartAdded(part, modality):
            return part.fields.merging(["part": modality == .audio ? ["type": "audio", "transcript": ""] : ["type": "text", "text": ""]]) { a, _ in a }
        case let .contentPartDone(part, modality, transcript):
            return part.fields.merging(["part": modality == .audio ? ["type": "audio", "transcript": transcript] : ["type": "text", "text": transcript]]) { a, _ in a }
        case let .transcriptDelta(part, delta), let .textDelta(part, delta), let .reasoningDelta(part, delta):
            return part.fields.merging(["delta": delta]) { a, _ in a }
        case let .audioDelta(part, base64): return part.fields.merging(["delta": base64]) { a, _ in a }
        case let .transcriptDone(part, transcript): return part.fields.merging(["transcript": transcript]) { a, _ in a }
        case let .textDone(part, text), let .reasoningDone(part, text): return part.fields.merging(["text": text]) { a, _ in a }
        case let .audioDone(part): return part.fields
        case let .responseDone(summary): return ["response": Self.response(summary, extensions: extensions)]
        case .rateLimitsUpdated: return ["rate_limits": [Any]()]
        case let .functionCallArgumentsDelta(part, callID, delta):
            return ["response_id": part.responseID, "item_id": part.itemID, "output_index": part.outputIndex, "call_id": callID, "delta": delta]
        case let .functionCallArgumentsDone(part, call):
            return ["response_id": part.responseID, "item_id": part.itemID, "output_index": part.outputIndex, "call_id": call.callID,
                    "name": call.name, "arguments": call.arguments]
        case let .timeoutTriggered(itemID, start, end): return ["item_id": itemID, "audio_start_ms": start, "audio_end_ms": end]
        case let .responseTimings(s):
            var fields: [String: Any] = ["response_id": s.id, "timings_ms": s.timingsMs, "audio_ms": s.audioMs, "mode": s.mode, "speculative": s.speculative]
            if let ahead = s.speculativeTimingsMs { fields["speculative_timings_ms"] = ahead }
            return fields
        case let .error(e):
            return ["error": ["type": e.type, "code": e.code, "message": e.message, "event_id": e.eventID.map { $0 as Any } ?? NSNull()]]
        }
    }

    static func response(_ s: ResponseSummary, extensions: Set<ProtocolExtension>) -> [String: Any] {
        var details: Any = NSNull()
        switch s.status {
        case .cancelled: details = ["type": "cancelled", "reason": s.reason ?? "client_cancelled"]
        case .failed: details = ["type": "failed", "error": ["type": "server_error", "code": "response_failed", "message": s.failure ?? ""]]
        case .incomplete: details = ["type": "incomplete", "reason": "max_output_tokens"]
        case .completed: break
        }
        var response: [String: Any] = [
            "id": s.id, "object": "realtime.response", "status": s.status.rawValue, "status_details": details,
            "output": s.output.map(\.json), "output_modalities": [s.modality.rawValue],
            "usage": ["total_tokens": s.inputTokens + s.outputTokens, "input_tokens": s.inputTokens, "output_tokens": s.outputTokens,
                      "output_token_details": ["text_tokens": s.outputTokens - s.reasoningTokens, "audio_tokens": 0],
                      "input_token_details": ["text_tokens": s.inputTokens, "audio_tokens": 0, "cached_tokens": 0]],
        ]
        // The API's metadata holds strings only; the mode and speculation go there for a client
        // that asked for timings (the numbers themselves come in `rtd.response.timings`).
        var metadata = s.metadata ?? [:]
        if extensions.contains(.timings) {
            metadata.merge(["mode": s.mode, "speculative": s.speculative ? "true" : "false", "audio_ms": String(s.audioMs)]) { mine, _ in mine }
        }
        response["metadata"] = metadata.isEmpty && s.metadata == nil ? NSNull() : metadata
        return response
    }

    /// Foundation values for JSON from the Sendable dictionaries sessions build.
    static func foundation(_ value: any Sendable) -> Any {
        switch value {
        case let d as [String: any Sendable]: return d.mapValues { foundation($0) }
        case let a as [any Sendable]: return a.map { foundation($0) }
        case let s as [String]: return s
        case is NullValue: return NSNull()
        case let json as JSONValue: return json.value
        case let d as Double: return d.isFinite ? d : NSNull()
        default: return value
        }
    }

    /// About the bytes of the event on the wire, for a transport's output budget.
    public var estimatedBytes: Int {
        switch self {
        case .sessionCreated, .sessionUpdated: 2_048 + ClientEvent.maximumTextBytes / 4
        case .audioDelta(_, let base64): 200 + base64.utf8.count
        case .transcriptDelta(_, let d), .textDelta(_, let d), .reasoningDelta(_, let d), .transcriptionDelta(_, let d): 200 + d.utf8.count
        case .transcriptDone(_, let t), .textDone(_, let t), .reasoningDone(_, let t), .contentPartDone(_, _, let t): 200 + t.utf8.count
        case .responseDone(let s), .responseTimings(let s): 1_000 + s.spoken.utf8.count + s.calls.reduce(0) { $0 + 300 + $1.call.arguments.utf8.count }
        case .itemAdded(let item, _), .itemDone(let item, _), .itemRetrieved(let item), .outputItemAdded(_, let item), .outputItemDone(_, let item):
            switch item.kind {
            case .userAudio(let t): 300 + (t?.utf8.count ?? 0)
            case .userText(let t), .system(let t), .assistant(let t, _): 300 + t.utf8.count
            case .functionCall(let call): 300 + call.arguments.utf8.count
            case .functionCallOutput(_, let output): 300 + output.utf8.count
            }
        case .functionCallArgumentsDelta(_, _, let d): 200 + d.utf8.count
        case .functionCallArgumentsDone(_, let call): 300 + call.arguments.utf8.count
        case .error(let e): 300 + e.message.utf8.count
        default: 300
        }
    }
}

/// What a session hands its transport: events, and reply audio at the output format's rate
/// (the transport makes PCM deltas or Opus packets of it).
public enum SessionOutput: Sendable {
    case event(ServerEvent)
    case audio(samples: [Float], format: AudioFormat, part: ResponsePart)
    /// The reply's audio is complete: the transport flushes its last Opus frame, then sends the event.
    case audioDone(ServerEvent)
}

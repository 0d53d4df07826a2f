import AudioIO
import Engine
import Foundation

/// A session's effective settings: what `session.update` changes and `session.updated` reports.
public struct SessionConfiguration: Sendable, Equatable {
    /// Server VAD settings; `nil` means manual turns (the client commits).
    public struct TurnDetection: Sendable, Equatable {
        /// `server_vad` (a fixed silence ends the turn) or `semantic_vad` (the silence needed
        /// depends on whether what was said sounds finished: `SemanticEndOfTurn`).
        public var type = "server_vad"
        public var vad = VoiceActivityDetector.Parameters()
        /// `semantic_vad`'s eagerness.
        public var eagerness = SemanticEndOfTurn.Eagerness.auto
        /// Silence after the last reply's audio that makes the server prompt the user
        /// (`input_audio_buffer.timeout_triggered`); nil: never.
        public var idleTimeoutMs: Int?
        /// Start a reply when the turn ends.
        public var createResponse = true
        /// User speech during a reply stops it (barge-in).
        public var interruptResponse = true
        public init() {}

        /// The semantic detector, for `semantic_vad`.
        public var semantic: SemanticEndOfTurn? {
            type == "semantic_vad" ? SemanticEndOfTurn(eagerness: eagerness) : nil
        }

        /// What the voice activity detector is given: with `semantic_vad` its own end of turn
        /// is only the bound (the longest silence); the session ends the turn sooner when the
        /// words say it is finished, so the pause that starts their transcription comes sooner too.
        public var detectorParameters: VoiceActivityDetector.Parameters {
            var p = vad
            if let semantic {
                p.silenceDurationMs = semantic.bounds.longest
                p.pauseMs = SemanticEndOfTurn.pauseMs
            }
            return p
        }
    }

    /// A conversation (`realtime`) or dictation and captions (`transcription`: turns are
    /// transcribed, never answered).
    public enum Kind: String, Sendable { case realtime, transcription }

    public var kind = Kind.realtime
    /// The system prompt. Empty: none, and the model's chat template puts its own in its place
    /// (SmolLM2's). SmolLM2-135M answered 9 of 22 tuning questions right with "You are a friendly
    /// voice assistant. Answer in one or two short, plain sentences." and 13 with its own
    /// (docs/accuracy.md): a small model answers best with the prompt it was tuned with.
    public var instructions = ""
    public var inputFormat = AudioFormat.pcm24k
    public var outputFormat = AudioFormat.pcm24k
    public var turnDetection: TurnDetection? = TurnDetection()
    public var voice = "default"
    /// Replies spoken (with their transcript) or written.
    public var outputModality = ServerEvent.Modality.audio
    /// Functions replies may call (`tools` of type function), and whether they must.
    public var tools: [ToolDefinition] = []
    public var toolChoice = ToolChoice.auto
    public var maxOutputTokens = 96
    /// Tokens of conversation (with the reply) the reasoner is given; older turns are dropped.
    /// It must fit the engine's context (the embedded engine's is 1024 per stream).
    public var historyTokens = 1024
    /// Tokens the history keeps free for a reply: its thinking, its answer and the evidence and tags.
    /// At most half the history's budget, whatever the client asked for (`max_output_tokens:
    /// "inf"` among them): the user's words must always fit, and a reply longer than the room
    /// left ends when the reasoner's context is full.
    public var replyTokens: Int { min(reply.maxReasoningTokens + maxOutputTokens + 64, historyTokens / 2) }
    /// A reply whose first audio comes later than this after the end of the turn is reported
    /// with an `overloaded` error (the reply still plays): the machine cannot keep the latency
    /// target for the sessions it has.
    public var overloadedAfterMs = 1_500.0
    /// A turn that begins this long after the last reply's audio ended starts a new
    /// conversation (the history keeps only the system prompt). The local voice loop sets it: a
    /// voice assistant on a box is asked about one thing, then later about another, and a small
    /// model copies old replies it still reads. nil (WebSocket sessions): the client decides.
    public var newConversationAfterSeconds: Double?
    public var reply = ReplySettings()
    /// What user speech over a reply does (pause, then stop or resume).
    public var interruptions = InterruptionPolicy()
    /// How far ahead of the client's playback reply audio is sent (`ReplyPlayback`); nil: all
    /// of it as soon as it is made. Paced, a reply can pause and resume where it was heard.
    public var outputLeadMs: Int? = 500

    public init() {}

    /// The longest answer, kept in both places that read it (the history's room for the reply,
    /// and the reply's own settings).
    public mutating func setMaxOutputTokens(_ tokens: Int) {
        maxOutputTokens = tokens
        reply.maxAnswerTokens = tokens
    }

    /// Applies a `session.update`'s `session` object; on error nothing is changed.
    public mutating func apply(_ object: [String: Any]) throws(ProtocolError) {
        var next = self
        let s = JSONFields(object, prefix: "session")
        if let type = try s.optionalString("type") {
            guard let kind = Kind(rawValue: type) else {
                throw .invalidValue("session.type", "expected \"realtime\" or \"transcription\" (got \"\(type.prefix(40))\")")
            }
            next.kind = kind
        }
        if let modalities = try s.optionalArray("output_modalities") {
            next.outputModality = try ResponseOptions.modality(modalities, path: "session.output_modalities")
        }
        if let tools = try s.optionalArray("tools") { next.tools = try ToolParsing.tools(tools, path: "session.tools") }
        if let choice = s.object["tool_choice"], !(choice is NSNull) { next.toolChoice = try ToolParsing.choice(choice, path: "session.tool_choice") }
        if let instructions = try s.optionalString("instructions") {
            next.instructions = try ClientEvent.checkLength(instructions, "session.instructions")
        }
        if let tokens = try s.optionalTokenLimit("max_output_tokens") { next.setMaxOutputTokens(tokens) }
        if let audio = try s.optionalObject("audio") {
            if let input = try audio.optionalObject("input") {
                if let format = try input.optionalObject("format") { next.inputFormat = try AudioFormat.parse(format) }
                if input.has("turn_detection") {
                    if input.isNull("turn_detection") {
                        next.turnDetection = nil
                    } else {
                        next.turnDetection = try Self.parseTurnDetection(try input.object("turn_detection"), current: turnDetection)
                    }
                }
            }
            if let output = try audio.optionalObject("output") {
                if let format = try output.optionalObject("format") { next.outputFormat = try AudioFormat.parse(format) }
                if let voice = try output.optionalString("voice") { next.voice = voice }
            }
        }
        if let reasoning = try s.optionalObject("reasoning") {
            if let mode = try reasoning.optionalString("mode") {
                guard let m = ReplyMode(rawValue: mode) else {
                    throw .invalidValue("session.reasoning.mode", "unknown mode \"\(mode)\"; use speak_first, think_first or think_before_speaking")
                }
                next.reply.mode = m
            }
            if let tokens = try reasoning.optionalInt("max_tokens") {
                guard (0...2048).contains(tokens) else { throw .invalidValue("session.reasoning.max_tokens", "must be 0…2048") }
                next.reply.maxReasoningTokens = tokens
            }
        }
        self = next
    }

    static func parseTurnDetection(_ t: JSONFields, current: TurnDetection?) throws(ProtocolError) -> TurnDetection {
        var d = current ?? TurnDetection()
        let type = try t.optionalString("type") ?? d.type
        guard type == "server_vad" || type == "semantic_vad" else {
            throw .invalidValue(t.path("type"), "expected \"server_vad\", \"semantic_vad\" or null for manual turns (got \"\(type.prefix(40))\")")
        }
        d.type = type
        if let eagerness = try t.optionalString("eagerness") {
            guard let value = SemanticEndOfTurn.Eagerness(rawValue: eagerness) else {
                throw .invalidValue(t.path("eagerness"), "expected low, medium, high or auto")
            }
            d.eagerness = value
        }
        if t.has("idle_timeout_ms") {
            if let ms = try t.optionalInt("idle_timeout_ms") {
                guard (5_000...30_000).contains(ms) else { throw .invalidValue(t.path("idle_timeout_ms"), "must be 5000…30000") }
                d.idleTimeoutMs = ms
            } else {
                d.idleTimeoutMs = nil
            }
        }
        if let threshold = try t.optionalNumber("threshold") {
            guard (0...1).contains(threshold) else { throw .invalidValue(t.path("threshold"), "must be between 0 and 1") }
            d.vad.threshold = threshold
        }
        if let ms = try t.optionalInt("prefix_padding_ms") {
            guard (0...2000).contains(ms) else { throw .invalidValue(t.path("prefix_padding_ms"), "must be 0…2000") }
            d.vad.prefixPaddingMs = ms
        }
        if let ms = try t.optionalInt("silence_duration_ms") {
            guard (100...5000).contains(ms) else { throw .invalidValue(t.path("silence_duration_ms"), "must be 100…5000") }
            d.vad.silenceDurationMs = ms
        }
        if let b = try t.optionalBool("create_response") { d.createResponse = b }
        if let b = try t.optionalBool("interrupt_response") { d.interruptResponse = b }
        return d
    }

    /// The whole effective session, as `session.created` / `session.updated` report it.
    public var json: [String: any Sendable] {
        var turn: any Sendable = NullValue.null
        if let t = turnDetection {
            var fields: [String: any Sendable] = ["type": t.type, "create_response": t.createResponse, "interrupt_response": t.interruptResponse]
            if t.semantic != nil {
                // The API's semantic_vad object has no threshold or silence of its own.
                fields["eagerness"] = t.eagerness.rawValue
            } else {
                fields["threshold"] = t.vad.threshold
                fields["prefix_padding_ms"] = t.vad.prefixPaddingMs
                fields["silence_duration_ms"] = t.vad.silenceDurationMs
            }
            if let ms = t.idleTimeoutMs { fields["idle_timeout_ms"] = ms }
            turn = fields
        }
        let transcription: [String: any Sendable] = ["model": "whisper-base"]
        if kind == .transcription {
            return [
                "type": "transcription", "object": "realtime.transcription_session",
                "audio": ["input": ["format": inputFormat.json, "turn_detection": turn, "transcription": transcription] as [String: any Sendable]]
                    as [String: any Sendable],
            ]
        }
        return [
            "type": "realtime", "object": "realtime.session", "instructions": instructions,
            "output_modalities": [outputModality.rawValue], "max_output_tokens": maxOutputTokens,
            "tools": ToolParsing.json(tools), "tool_choice": toolChoice.json,
            "audio": [
                "input": ["format": inputFormat.json, "turn_detection": turn, "transcription": transcription] as [String: any Sendable],
                "output": ["format": outputFormat.json, "voice": voice] as [String: any Sendable],
            ] as [String: any Sendable],
            "reasoning": ["mode": reply.mode.rawValue, "max_tokens": reply.maxReasoningTokens] as [String: any Sendable],
        ]
    }
}

/// JSON `null` in event payloads (encoded as NSNull by the transport).
public enum NullValue: Sendable { case null }

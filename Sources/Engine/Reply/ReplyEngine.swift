/// When the reply starts speaking relative to its thinking (Mind-Paced Speaking's modes).
public enum ReplyMode: String, Sendable, CaseIterable, Codable {
    /// Think to the end (or the thinking budget), then speak.
    case thinkBeforeSpeaking = "think_before_speaking"
    /// Speak after the first thought segment; later answer segments see the newer thoughts.
    case thinkFirst = "think_first"
    /// Speak at once; each answer segment is re-conditioned on the thoughts written so far.
    case speakFirst = "speak_first"
}

/// How one reply is generated: mode, budgets and segment sizes.
public struct ReplySettings: Sendable, Equatable {
    public var mode: ReplyMode = .speakFirst
    /// Thought tokens per formulation segment. The paper uses 80; here `think_first` waits for
    /// the first segment before speaking, and on 22 spoken questions 8 tokens gave a first
    /// packet p50 of 992 ms against 1040 ms for 16 (docs/realtime-server.md).
    public var thinkSegmentTokens = 8
    /// Answer tokens written before the articulation stream may be re-conditioned on newer thoughts.
    public var responseSegmentTokens = 24
    /// Thinking stops (the tag is closed for the model) after this many tokens.
    /// 32: the embedded model's answer does not read its thoughts (`answerReadsThoughts`), so a longer
    /// budget only delays `think_before_speaking` (by ~8 ms a token on two cores).
    public var maxReasoningTokens = 32
    /// Whether the answer is conditioned on the thoughts written so far (the articulation stream
    /// reads them, and is re-conditioned on newer ones between response segments). Off, the
    /// thinking runs and is reported but the answer is the model's answer to the conversation:
    /// a model too small to think usefully cannot be derailed by its thoughts.
    public var answerReadsThoughts = false
    public var maxAnswerTokens = 96
    public var sampler = SamplerSettings.conversational
    /// Functions the model may call, and whether it must (engines with `supportsTools` only).
    public var tools: [ToolDefinition] = []
    public var toolChoice = ToolChoice.auto

    public init() {}
}

extension SamplerSettings {
    /// What a small model needs to talk without looping: low temperature, a mild repetition
    /// penalty, a fixed seed so that a session is reproducible. The penalty is 1.1: at 1.2 it
    /// pushed numbers off their digits ("100.0 degrees" became "102.5"; 14 of 22 tuning questions
    /// right against 17 at 1.1), and without one answers repeated sentences.
    public static var conversational: SamplerSettings {
        var s = SamplerSettings()
        s.temperature = 0
        s.repetitionPenalty = 1.1
        s.repetitionWindow = 64
        return s
    }
}

/// What a reply produces, as it is produced.
public enum ReplyEvent: Sendable, Equatable {
    /// Thinking text (never spoken).
    case reasoning(String)
    /// Answer text, to be spoken.
    case answer(String)
    /// The answer is whole (thinking may go on): its last clause can be spoken now. Engines
    /// whose reply ends with the answer need not send it.
    case answerComplete
    /// Part of a function call (engines with `supportsTools` only).
    case functionCall(FunctionCallDelta)
}

/// How a reply ended and what it cost.
public struct ReplyOutcome: Sendable, Equatable {
    public enum Status: String, Sendable { case completed, cancelled, failed }
    public var status: Status
    public var reasoningTokens = 0
    public var answerTokens = 0
    /// Prompt tokens computed for this reply (the rest came from caches).
    public var prefilledTokens = 0
    /// Times the articulation stream was re-conditioned on newer thoughts.
    public var reconditionings = 0
    /// Decode steps that ran both streams in one pass.
    public var pairedSteps = 0
    public var failure: EngineError?

    public init(status: Status) { self.status = status }
}

/// The reasoner behind a session: the embedded model or a remote server. Shared by all
/// sessions; each session gets its own `ReplyContext` (its caches or its connection state).
public protocol ReplyEngine: AnyObject, Sendable {
    /// A short description for logs and `session.created`.
    var name: String { get }
    /// Whether replies need the user's turn as audio (a model that listens itself).
    var hearsAudio: Bool { get }
    /// Whether replies can call functions (`ReplySettings.tools`).
    var supportsTools: Bool { get }
    func makeContext() -> any ReplyContext
}

extension ReplyEngine {
    public var hearsAudio: Bool { false }
    public var supportsTools: Bool { false }
}

/// One session's side of the reasoner. Calls come from one thread at a time (the session's
/// reply worker); they block while the model computes and never run on the cooperative pool.
public protocol ReplyContext: AnyObject, Sendable {
    /// Listen while thinking: the conversation so far with the user's words heard up to now,
    /// or, between turns, the conversation up to the reply just spoken. The engine may compute
    /// what will not change (the embedded one prefills the stable part of the prompt), so that
    /// the reply starts sooner when the turn ends. `cancellation` stops it early (newer words,
    /// or the reply itself, are coming); what was computed by then is kept.
    func prepare(_ history: ConversationHistory, cancellation: CancellationFlag?) throws(EngineError)
    /// Generates the reply to the last user turn of `history`, calling `onEvent` as text comes.
    /// `evidence` is how the turn sounded (`AcousticEvidence.summary`), for the thinking to cite.
    /// `audio` is the turn itself at 16 kHz, for engines that hear (`hearsAudio`); nil otherwise.
    /// Returns when the reply is complete, failed, or `cancellation` was set (checked between tokens).
    func reply(to history: ConversationHistory, evidence: String?, audio: [Float]?, settings: ReplySettings, cancellation: CancellationFlag,
               onEvent: (ReplyEvent) -> Void) -> ReplyOutcome
    /// The model's probability that the words of the user's message, the last turn of `history`
    /// as heard so far, are finished there (that what follows them ends a sentence or the
    /// message): how complete they sound to it, for `semantic_vad`. nil when the engine cannot
    /// tell (the default).
    func endOfTurnProbability(_ history: ConversationHistory) throws(EngineError) -> Double?
}

extension ReplyContext {
    public func endOfTurnProbability(_ history: ConversationHistory) throws(EngineError) -> Double? { nil }

    /// Prepares without a way to stop early.
    public func prepare(_ history: ConversationHistory) throws(EngineError) {
        try prepare(history, cancellation: nil)
    }

    /// A reply from the words alone.
    public func reply(to history: ConversationHistory, evidence: String?, settings: ReplySettings, cancellation: CancellationFlag,
                      onEvent: (ReplyEvent) -> Void) -> ReplyOutcome {
        reply(to: history, evidence: evidence, audio: nil, settings: settings, cancellation: cancellation, onEvent: onEvent)
    }
}

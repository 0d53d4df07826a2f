import AudioIO
import Engine

/// What happens to a session: audio and client events from the transport, results from the
/// models, and the transport going away. `SessionMachine` turns each into `SessionAction`s.
public enum SessionInput: Sendable {
    /// Microphone audio at 16 kHz (the transport or the local loop resampled it).
    case audio([Float])
    case client(ClientEvent, eventID: String?)
    /// Something the transport found wrong (a bad frame); the session reports it and goes on.
    case transportError(ProtocolError)
    /// The streaming recogniser's latest belief about the turn being spoken.
    case partial(StreamingHypothesis)
    /// The final transcript of a committed turn.
    case transcribed(itemID: String, result: Result<Transcript, EngineError>, evidence: AcousticEvidence)
    /// The transcript of a turn up to a pause (`SessionAction.transcribeAtPause`).
    case transcribedAtPause(serial: Int, result: Result<Transcript, EngineError>, evidence: AcousticEvidence)
    /// The reasoner's probability that the user's message ends at the pause (nil: the engine
    /// cannot tell), for `SessionAction.estimateEndOfTurn`.
    case endOfTurnEstimated(serial: Int, probability: Double?)
    case reply(ReplyID, ReplyEvent)
    /// Audio of a reply's clause, at the reply's output rate.
    case replyAudio(ReplyID, samples: [Float], clause: String, index: Int)
    /// The reply's engine and voice are done; `failure` says what failed, if anything did.
    case replyEnded(ReplyID, ReplyOutcome, failure: String?)
    /// Time passed: the reply's next audio may be due (`SessionMachine.nextTick`).
    case tick
    case close
}

/// A reply's identity within its session.
public typealias ReplyID = String

/// What the session machine asks its runner to do, in order.
public enum SessionAction: Sendable {
    /// Send to the client (or, for the local loop, to the speaker and the log).
    case output(SessionOutput)
    /// The streaming recogniser: take more of the turn, forget it, or finish it (its result
    /// comes back as `.transcribed`).
    case transcriberAppend([Float])
    case transcriberReset
    case transcriberFinish(itemID: String, evidence: AcousticEvidence)
    /// Transcribe the turn so far at a pause (the runner takes the recogniser's settled words as
    /// the prefix before the reset that follows); the result comes back as `.transcribedAtPause`.
    case transcribeAtPause(serial: Int, audio: [Float], evidence: AcousticEvidence)
    case cancelTranscriptionAtPause(serial: Int)
    /// `semantic_vad`: ask the reasoner how likely the user's message (the last turn of the
    /// history, as heard up to the pause) is to end there; the answer comes back as
    /// `.endOfTurnEstimated`. Run before the reply started with it, which reuses the work.
    case estimateEndOfTurn(serial: Int, ConversationHistory)
    /// Listen while thinking: the reasoner reads `history` ahead of the reply; a newer one, or
    /// `stopPreparing`, stops the one before.
    case prepare(ConversationHistory)
    case stopPreparing
    case startReply(ReplyRequest)
    /// Stop a reply's generation and speech now.
    case stopReply(ReplyID)
    /// The session is over: stop the recogniser and everything running.
    case shutDown
}

/// Everything a runner needs to start a reply.
public struct ReplyRequest: Sendable {
    public var id: ReplyID
    public var conversation: ConversationHistory
    /// How the turn sounded (`AcousticEvidence.summary`), for the thinking.
    public var evidence: String?
    public var settings: ReplySettings
    /// The turn at 16 kHz, for an engine that hears.
    public var audio: [Float]?
    public var outputRate: Int
    /// Whether the reply is spoken (else it is only written: `output_modalities: ["text"]`).
    public var speaks = true
}

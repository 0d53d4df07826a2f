/// What a client observed during one turn, each on the client's clock (seconds).
///
/// The harness records events as they arrive; `TurnMetrics` turns them into numbers. Events may
/// be recorded out of order (several sockets, late reads): they are sorted by time first.
struct TurnEvent: Codable, Equatable, Sendable {
    enum Kind: String, Codable, Sendable {
        /// The last sample of the user's speech was sent.
        case speechEnded = "speech_ended"
        /// The server ended the user's turn (`input_audio_buffer.speech_stopped`).
        case turnEnded = "turn_ended"
        case partialTranscript = "partial_transcript"
        case finalTranscript = "final_transcript"
        case reasoningDelta = "reasoning_delta"
        case answerDelta = "answer_delta"
        /// The reply's whole transcript (`detail`), from `response.output_audio_transcript.done`.
        case answerText = "answer_text"
        /// A piece of reply audio arrived; `audioSeconds` is how much audio it holds.
        case audio
        /// The client started speaking over the reply.
        case bargeIn = "barge_in"
        /// The server said it heard the user talking over the reply (`speech_started`): a client stops playing then.
        case bargeInNoticed = "barge_in_noticed"
        case responseDone = "response_done"
        case error
    }

    var kind: Kind
    var time: Double
    var audioSeconds: Double?
    /// `response_done` status (completed, cancelled, failed) or the error code.
    var detail: String?
    /// The server's `metadata.timings_ms`, with `response_done`.
    var serverTimingsMs: [String: Double]?

    init(_ kind: Kind, at time: Double, audioSeconds: Double? = nil, detail: String? = nil, serverTimingsMs: [String: Double]? = nil) {
        self.kind = kind
        self.time = time
        self.audioSeconds = audioSeconds
        self.detail = detail
        self.serverTimingsMs = serverTimingsMs
    }
}

/// One turn as recorded: which configuration and utterance, and the events.
struct TurnRecord: Codable, Equatable, Sendable {
    var configuration: String
    var utterance: String
    var events: [TurnEvent]
}

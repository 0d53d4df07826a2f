import AudioIO
import Engine

/// One conversation's decisions, as a value: what the user is doing (silent, speaking, paused),
/// what the session is transcribing and replying, and the conversation so far. Each input (audio
/// at 16 kHz, a client event, a model's result) changes the state and returns the actions a
/// runner performs (send an event, start a reply, stop one, transcribe, prefill). It does no I/O
/// and owns no model, so every path through a turn is tested without models
/// (`SessionMachineTests`); `RealtimeSession` runs it.
///
/// Listen while thinking: the turn is transcribed while it is spoken (partial transcripts), and
/// the words heard so far are prefilled into the reasoner. At a pause the turn is transcribed
/// and a reply started, held back until the turn's end is confirmed (then it is sent, already
/// well under way) or the user speaks again (then it is dropped unseen). Barge-in cancels the
/// reply, and the conversation keeps only the words the user can have heard.
public struct SessionMachine: Sendable {
    public let sessionID: String
    public internal(set) var configuration: SessionConfiguration
    /// The additions to the API this client asked for.
    public internal(set) var extensions: Set<ProtocolExtension>
    /// The conversation the reasoner is given: what was said and heard.
    public internal(set) var history: ConversationHistory
    /// Whether the reply engine listens to the turn's audio itself.
    let hearsAudio: Bool
    /// Whether the reply engine can call functions.
    let supportsTools: Bool
    let engineName: String
    let server: [String: any Sendable]

    var vad: VoiceActivityDetector
    /// 16 kHz samples received so far (the clock of `audio_start_ms` / `audio_end_ms`).
    var receivedSamples = 0
    /// The last second of audio before the current turn (for the VAD's prefix padding).
    var preRoll: [Float] = []
    var turn = TurnAudio()
    var turnItemID: String?
    /// The last ended turn's audio, for an engine that hears.
    var turnAudioForReply: [Float]?
    var partialSent = ""
    /// Committed turns whose transcript is still coming.
    var transcribing = 0
    /// A reply asked for (by turn detection or `response.create`) that waits for a transcript.
    var responseAfterTranscript: PendingResponse?
    var reply: ReplyState?
    var lastReply: ReplyState?
    /// A reply started at a pause, before the turn's end is certain.
    var speculation: Speculation?
    /// The user's turn that began over a reply, until its words show whether it takes the turn.
    var interruption: Interruption?
    /// The last item shown to the client (`previous_item_id` of the next).
    var lastItemID: String?
    /// Where the silence after the last reply's audio began, in received samples (for
    /// `idle_timeout_ms`); nil while the user speaks or nothing was said yet.
    var idleSince: Int?
    /// User items that were spoken (retrieved as audio items with their transcript).
    var spokenItems: Set<String> = []
    var counter = 0
    public internal(set) var closed = false

    /// Longest user turn kept; with server VAD the turn is committed there.
    public static let maximumTurnSeconds = 120.0
    /// Turns longer than one recogniser window are not transcribed at a pause.
    static let speculationLimitSeconds = StreamingTranscriber.Options().segmentLimit
    static let sampleRate = VoiceActivityDetector.sampleRate

    struct PendingResponse: Sendable {
        var options = ResponseOptions()
        var reference: ContinuousClock.Instant
    }

    /// Speech over a reply, not yet known to be a new turn (`SessionMachine+Interruptions`).
    struct Interruption: Sendable {
        let itemID: String
        /// Where it began, in received samples.
        let startSample: Int
    }

    /// What was started at a pause: the turn's transcript, then a reply held back.
    struct Speculation: Sendable {
        /// Which pause: a slow transcript of an earlier one must not be taken for the latest.
        let serial: Int
        let itemID: String
        /// Turn samples the transcript covers.
        let covered: Int
        var transcript: (result: Result<Transcript, EngineError>, evidence: AcousticEvidence)?
        var replyID: ReplyID?
        var confirmedAt: ContinuousClock.Instant?
        /// When the pause was heard (its transcription started).
        var pausedAt: ContinuousClock.Instant
        /// `semantic_vad`: what the words up to the pause say about the turn being over, and
        /// whether the reasoner's estimate is still to come (the decision waits for it).
        var endOfTurn: SemanticEndOfTurn.Evidence?
        var reasonerEstimatePending = false
    }

    public init(sessionID: String, configuration: SessionConfiguration = SessionConfiguration(), extensions: Set<ProtocolExtension> = [],
                hearsAudio: Bool = false, supportsTools: Bool = false, engineName: String, server: [String: any Sendable]) {
        self.sessionID = sessionID
        self.configuration = configuration
        self.extensions = extensions
        self.hearsAudio = hearsAudio
        self.supportsTools = supportsTools
        self.engineName = engineName
        self.server = server
        vad = VoiceActivityDetector(parameters: configuration.turnDetection?.detectorParameters ?? .init())
        history = ConversationHistory(system: configuration.instructions, tokenBudget: configuration.historyTokens,
                                      reservedForReply: configuration.replyTokens)
    }

    /// The first event of a session.
    public mutating func start() -> [SessionAction] {
        var session = sessionJSON
        session["server"] = server
        return [.output(.event(.sessionCreated(session: session)))]
    }

    public mutating func handle(_ input: SessionInput, now: ContinuousClock.Instant = .now) -> [SessionAction] {
        var actions: [SessionAction] = []
        switch input {
        case .close:
            shutDown(now: now, into: &actions)
            return actions
        case .replyEnded(let id, let outcome, let failure):
            replyEnded(id, outcome: outcome, failure: failure, now: now, into: &actions)
            return actions
        case .transcribed(let itemID, let result, let evidence):
            transcribed(result, evidence: evidence, itemID: itemID, now: now, into: &actions)
            return actions
        default:
            break
        }
        guard !closed else { return [] }
        switch input {
        case .audio(let samples): receive(samples, now: now, into: &actions)
        case .client(let event, let eventID): client(event, eventID: eventID, now: now, into: &actions)
        case .transportError(let error): actions.append(.output(.event(.error(error))))
        case .partial(let hypothesis): partial(hypothesis, now: now, into: &actions)
        case .tick: deliverAudio(now: now, into: &actions)
        case .transcribedAtPause(let serial, let result, let evidence): transcribedAtPause(serial, result, evidence, now: now, into: &actions)
        case .endOfTurnEstimated(let serial, let probability): endOfTurnEstimated(serial, probability, now: now, into: &actions)
        case .reply(let id, let event): replyEvent(event, of: id, now: now, into: &actions)
        case .replyAudio(let id, let samples, let clause, let index): replyAudio(samples, clause: clause, index: index, of: id, now: now, into: &actions)
        case .close, .replyEnded, .transcribed: break
        }
        return actions
    }

    // MARK: Client events

    mutating func client(_ event: ClientEvent, eventID: String?, now: ContinuousClock.Instant, into actions: inout [SessionAction]) {
        switch event {
        case .sessionUpdate(let update): updateSession(update.object, eventID: eventID, into: &actions)
        case .appendAudio:
            // Decoded by the runner (it needs the resampler); reaching here means a wrong format.
            fail(.invalidValue("audio", "input_audio_buffer.append is for audio/pcm sessions; this session's input is audio/opus (binary frames)",
                               eventID: eventID), into: &actions)
        case .commitAudio: commit(eventID: eventID, now: now, into: &actions)
        case .clearAudio: clearBuffer(now: now, into: &actions)
        case let .createItem(item, previous): createItem(item, previousItemID: previous, eventID: eventID, into: &actions)
        case .retrieveItem(let itemID): retrieveItem(itemID, eventID: eventID, into: &actions)
        case .deleteItem(let itemID): deleteItem(itemID, eventID: eventID, into: &actions)
        case .createResponse(let options): requestResponse(options, eventID: eventID, now: now, into: &actions)
        case .cancelResponse:
            if reply != nil { cancelReply(reason: "client_cancelled", now: now, into: &actions) }
        case let .truncate(itemID, _, audioEndMs): truncate(itemID: itemID, audioEndMs: audioEndMs, eventID: eventID, into: &actions)
        }
    }

    mutating func updateSession(_ object: [String: Any], eventID: String?, into actions: inout [SessionAction]) {
        var next = configuration
        var nextExtensions = extensions
        do throws(ProtocolError) {
            try next.apply(object)
            if reply != nil, next.kind != configuration.kind {
                throw ProtocolError(code: "invalid_session_type", message: "the session's type cannot change while a response is in progress")
            }
            if let requested = object["extensions"] { nextExtensions = try Self.parseExtensions(requested) }
        } catch {
            var e = error
            e.eventID = eventID
            return fail(e, into: &actions)
        }
        if next.turnDetection?.detectorParameters != configuration.turnDetection?.detectorParameters {
            vad.parameters = next.turnDetection?.detectorParameters ?? .init()
        }
        if !next.tools.isEmpty, !supportsTools {
            fail(Self.toolsUnsupported(engineName, eventID: eventID), into: &actions)
            next.tools = []
            next.toolChoice = .auto
        }
        configuration = next
        extensions = nextExtensions
        history.system = next.instructions
        history.reservedForReply = next.replyTokens
        actions.append(.output(.event(.sessionUpdated(session: sessionJSON))))
    }

    static func parseExtensions(_ value: Any) throws(ProtocolError) -> Set<ProtocolExtension> {
        guard let names = value as? [Any] else { throw .invalidValue("session.extensions", "expected an array of names") }
        var set = Set<ProtocolExtension>()
        for name in names {
            guard let text = name as? String, let ext = ProtocolExtension(rawValue: text) else {
                throw .invalidValue("session.extensions", "unknown extension \(String(describing: name).prefix(40)); known: \(ProtocolExtension.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            set.insert(ext)
        }
        return set
    }

    /// The session object with this session's id and model.
    var sessionJSON: [String: any Sendable] {
        var json = configuration.json
        json["id"] = sessionID
        json["model"] = engineName
        json["extensions"] = extensions.map(\.rawValue).sorted()
        return json
    }

    // MARK: Helpers

    mutating func newID(_ prefix: String) -> String {
        counter += 1
        return "\(prefix)_\(sessionID.dropFirst(5).prefix(8))\(counter)"
    }

    func fail(_ error: ProtocolError, into actions: inout [SessionAction]) {
        actions.append(.output(.event(.error(error))))
    }

    func emit(_ event: ServerEvent, into actions: inout [SessionAction]) {
        actions.append(.output(.event(event)))
    }
}

import Dispatch
import Engine
import Foundation
import Synchronization

/// One conversation (PROTOCOL.md): audio and events in from a transport, events and reply audio
/// out through `sink`. Listens while thinking (the turn is transcribed while it is spoken, and
/// its stable words are prefilled into the reasoner) and thinks while speaking (the reply's
/// answer is spoken clause by clause as it is written, see `MindPacedDecoder`).
///
/// Every method may be called from any thread; state lives on one serial queue. Model work runs
/// on the transcriber's thread, the session's engine queue and the speech's thread, never on the
/// caller's.
public final class RealtimeSession: @unchecked Sendable {
    public typealias Sink = @Sendable (SessionOutput) -> Void

    public let id: String
    public let services: SessionServices
    let sink: Sink
    let queue = DispatchQueue(label: "session")
    let engineQueue = DispatchQueue(label: "session-engine", qos: .userInitiated)
    private let speculationQueue = DispatchQueue(label: "session-speculation", qos: .userInitiated)
    let context: any ReplyContext
    private var streaming: StreamingTranscriber!

    var configuration: SessionConfiguration
    private var vad: VoiceActivityDetector
    private var resampler: Resampler?
    var history: ConversationHistory
    /// 16 kHz samples received so far (the clock of `audio_start_ms` / `audio_end_ms`).
    private var receivedSamples = 0
    /// The last second of audio before the current turn (for the VAD's prefix padding).
    private var preRoll: [Float] = []
    private var turn = TurnAudio()
    /// The last ended turn's audio, for an engine that hears (`ReplyEngine.hearsAudio`).
    var turnAudioForReply: [Float]?
    private var turnItemID: String?
    private var partialSent = ""
    var transcribing = 0
    var responseAfterTranscript: (instructions: String?, reference: ContinuousClock.Instant)?
    var reply: ReplyRun?
    var lastReply: ReplyRun?
    /// Stops the reasoner's listen-while-thinking prefill in flight (`prepare`).
    var preparing: CancellationFlag?
    /// A reply started at a pause, before the turn's end is certain (see `paused`).
    private var speculation: Speculation?
    private var counter = 0
    var closed = false
    /// Client input queued on `queue` and not yet handled, in bytes (the transport's back-pressure).
    private let backlog = Atomic<Int>(0)
    /// Whether the input is Opus, readable from any thread without waiting for the queue.
    private let opusInput = Atomic<Bool>(false)
    /// Longest user turn kept (audio beyond it gets an error, never silently dropped).
    public static let maximumTurnSeconds = 120.0

    public init(services: SessionServices, configuration: SessionConfiguration = SessionConfiguration(), sink: @escaping Sink) {
        id = "sess_" + Self.randomID()
        self.services = services
        self.configuration = configuration
        self.sink = sink
        vad = VoiceActivityDetector(parameters: configuration.turnDetection?.vad ?? .init())
        history = ConversationHistory(system: configuration.instructions, tokenBudget: configuration.historyTokens,
                                      reservedForReply: configuration.replyTokens)
        context = services.engine.makeContext()
        streaming = StreamingTranscriber(transcriber: services.transcriber, scheduler: services.scheduler) { [weak self] hypothesis in
            guard let self else { return }
            queue.async { self.partial(hypothesis) }
        }
        resampler = try? Resampler(from: configuration.inputFormat.sampleRate, to: VoiceActivityDetector.sampleRate)
        opusInput.store(configuration.inputFormat == .opus, ordering: .relaxed)
        queue.async { [self] in
            emit("session.created", ["session": sessionJSON,
                                     "server": ["name": services.serverName, "version": services.serverVersion, "protocol": 1] as [String: any Sendable]])
        }
    }

    deinit { streaming?.close() }

    /// Ends the session: the reply in progress is cancelled, and so is every piece of work
    /// started for it (a prefill, a speculative transcription); workers stop. Returns once done.
    public func close() async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            queue.async { [self] in
                shutDown()
                done.resume()
            }
        }
    }

    /// `close` for callers on a thread of their own (not the cooperative pool).
    public func closeAndWait() {
        queue.sync { shutDown() }
    }

    private func shutDown() {
        guard !closed else { return }
        closed = true
        if let run = reply { cancel(run, reason: "session_closed") }
        if let pending = speculation {
            speculation = nil
            pending.transcription.cancel()
            if let run = pending.run { discard(run) }
        }
        stopPreparing()
        responseAfterTranscript = nil
        streaming.close()
    }

    /// How the client sends audio now (binary Opus frames or base64 PCM events).
    public var inputFormat: AudioFormat { opusInput.load(ordering: .relaxed) ? .opus : .pcm24k }

    /// Bytes of client input waiting to be handled.
    public var backlogBytes: Int { backlog.load(ordering: .relaxed) }

    /// Waits until everything queued so far has been handled (tests, shutdown).
    public func drain() { queue.sync {} }

    // MARK: Client events

    /// `bytes`: the size of the client's message, counted in `backlogBytes` until handled.
    public func handle(_ event: ClientEvent, eventID: String? = nil, bytes: Int = 0) {
        backlog.add(bytes, ordering: .relaxed)
        queue.async { [self] in
            defer { backlog.subtract(bytes, ordering: .relaxed) }
            guard !closed else { return }
            switch event {
            case .sessionUpdate(let update): updateSession(update.object, eventID: eventID)
            case .appendAudio(let base64):
                guard configuration.inputFormat == .pcm24k else {
                    return fail(.invalidValue("audio", "input_audio_buffer.append is for audio/pcm sessions; this session's input is audio/opus (binary frames)", eventID: eventID))
                }
                do { receive(try SampleConversion.base64PCM16ToFloat(base64), eventID: eventID) } catch {
                    fail(.invalidValue("audio", "not base64 16-bit PCM: \(error)", eventID: eventID))
                }
            case .commitAudio: commit(eventID: eventID)
            case .clearAudio: clearBuffer()
            case .createUserText(let text): addUserText(text)
            case .createResponse(let instructions): requestResponse(instructions: instructions, eventID: eventID)
            case .cancelResponse:
                if let run = reply { cancel(run, reason: "client_cancelled") }
            case let .truncate(itemID, _, audioEndMs): truncate(itemID: itemID, audioEndMs: audioEndMs, eventID: eventID)
            }
        }
    }

    /// Audio at the input format's rate (decoded from base64 PCM or Opus by the transport).
    public func appendAudio(_ samples: [Float]) {
        let bytes = samples.count * 4
        backlog.add(bytes, ordering: .relaxed)
        queue.async { [self] in
            defer { backlog.subtract(bytes, ordering: .relaxed) }
            if !closed { receive(samples, eventID: nil) }
        }
    }

    /// Reports an error found by the transport (a bad frame), keeping the session going.
    public func reportError(_ error: ProtocolError) {
        queue.async { [self] in fail(error) }
    }

    // MARK: Audio and turns

    private func receive(_ input: [Float], eventID: String?) {
        guard let resampler, let samples = try? resampler.process(input) else {
            return fail(ProtocolError(type: "server_error", code: "resampling", message: "cannot resample the input audio", eventID: eventID))
        }
        receivedSamples += samples.count
        if turnItemID != nil || configuration.turnDetection == nil {
            guard Double(turn.count) < Self.maximumTurnSeconds * 16_000 else {
                if let itemID = turnItemID, configuration.turnDetection != nil {
                    // Server VAD never heard the end (a noisy room): the turn ends at the cap,
                    // and listening starts again on what follows.
                    vad.reset()
                    emit("input_audio_buffer.speech_stopped", ["audio_end_ms": receivedSamples / 16, "item_id": itemID])
                    return endTurn(itemID: itemID, createResponse: configuration.turnDetection?.createResponse ?? false, reference: .now)
                }
                return fail(ProtocolError(code: "input_audio_buffer_full",
                                          message: "the turn is longer than \(Int(Self.maximumTurnSeconds)) s; commit or clear the buffer", eventID: eventID))
            }
            turn.append(samples)
            if speculation == nil { streaming.append(samples) }
        } else {
            // Keep the last second before this chunk, and the whole chunk (a turn may start anywhere in it).
            if preRoll.count > 16_000 { preRoll.removeFirst(preRoll.count - 16_000) }
            preRoll += samples
        }
        guard configuration.turnDetection != nil else { return }
        for event in vad.process(samples) {
            switch event {
            case .speechStarted(let sample): speechStarted(at: sample)
            case .speechStopped(let sample): speechStopped(at: sample)
            case .paused: paused()
            case .resumed: resumed()
            }
        }
    }

    private func speechStarted(at sample: Int) {
        let itemID = newID("item")
        turnItemID = itemID
        // The pre-roll ends at `receivedSamples`; the turn is its part from `sample` on.
        let offset = sample - (receivedSamples - preRoll.count)
        turn = TurnAudio(Array(preRoll[min(max(0, offset), preRoll.count)...]))
        preRoll = []
        streaming.reset()
        streaming.append(turn.samples)
        partialSent = ""
        emit("input_audio_buffer.speech_started", ["audio_start_ms": sample / 16, "item_id": itemID])
        // Barge-in: the reply stops now (its audio, generation and synthesis).
        if let run = reply, configuration.turnDetection?.interruptResponse ?? true { cancel(run, reason: "turn_detected") }
    }

    private func speechStopped(at sample: Int) {
        guard let itemID = turnItemID else { return }
        emit("input_audio_buffer.speech_stopped", ["audio_end_ms": sample / 16, "item_id": itemID])
        if var pending = speculation, pending.itemID == itemID {
            confirm(&pending)
        } else {
            endTurn(itemID: itemID, createResponse: configuration.turnDetection?.createResponse ?? false, reference: .now)
        }
    }

    // MARK: Speculative replies

    /// What was started at a pause: the turn's final transcript, then a reply whose output is
    /// held back until the turn's end is confirmed (then it is sent, already well under way) or
    /// the user speaks again (then it is dropped unseen).
    private struct Speculation {
        /// Which speculation this is: a turn can pause several times, and a slow transcript of an
        /// earlier pause must not be taken for the latest one's.
        let serial: Int
        let itemID: String
        /// Turn samples the speculative transcript covers.
        let covered: Int
        var transcript: (result: Result<Transcript, EngineError>, evidence: AcousticEvidence)?
        /// Stops the transcription when the user speaks again (most pauses are between words).
        let transcription = CancellationFlag()
        var run: ReplyRun?
        var confirmedAt: ContinuousClock.Instant?
    }

    private func paused() {
        guard let itemID = turnItemID, speculation == nil, reply == nil, configuration.turnDetection?.createResponse ?? false,
              Double(turn.count) < streaming.options.segmentLimit * 16_000 else { return }  // longer turns: one window is not enough
        counter += 1
        let serial = counter
        let pending = Speculation(serial: serial, itemID: itemID, covered: turn.count)
        speculation = pending
        // The streaming transcriber stops (its work would only compete for the cores; its settled
        // words start the transcript, as at the end of a turn); it takes the whole turn again if
        // the user resumes. So does the reasoner's prefill of the words heard so far.
        let prefix = streaming.confirmedTokens
        streaming.reset()
        stopPreparing()
        let audio = turn.samples
        let evidence = turn.evidence
        let transcriber = services.transcriber
        let scheduler = services.scheduler
        let flag = pending.transcription
        speculationQueue.async { [weak self] in
            // The reply waits for this: it is as urgent as the end of a turn.
            let (_, outcome) = scheduler.perform(.finalTranscript, cancellation: flag) {
                Result { () throws(EngineError) in try transcriber.transcribe(audio, prefix: prefix, cancellation: flag) }
            }
            let result = outcome ?? .failure(.cancelled)
            guard let self else { return }
            queue.async { self.speculativeTranscript(result, evidence: evidence, serial: serial) }
        }
    }

    private func speculativeTranscript(_ result: Result<Transcript, EngineError>, evidence: AcousticEvidence, serial: Int) {
        guard !closed, var pending = speculation, pending.serial == serial else { return }
        let itemID = pending.itemID
        pending.transcript = (result, evidence)
        if let confirmedAt = pending.confirmedAt {
            // The turn ended while this was being transcribed: carry on as for any turn.
            speculation = nil
            transcribing += 1
            responseAfterTranscript = (nil, confirmedAt)
            return transcribed(result, evidence: evidence, itemID: itemID)
        }
        if case .success(let transcript) = result {
            let text = transcript.text.trimmingCharacters(in: .whitespacesAndNewlines)
            if !text.isEmpty {
                var upcoming = history
                upcoming.appendUser(text)
                pending.run = startResponse(conversation: upcoming, evidence: evidence.summary, instructions: nil,
                                            reference: .now, transcriptFinal: .now, held: true,
                                            audio: services.engine.hearsAudio ? Array(turn.samples.prefix(pending.covered)) : nil)
            }
        }
        speculation = pending
    }

    /// Speech again before the turn's end was confirmed: the speculative reply is dropped and the
    /// streaming transcriber takes up the whole turn again.
    private func resumed() {
        guard let pending = speculation else { return }
        speculation = nil
        pending.transcription.cancel()
        if let run = pending.run { discard(run) }
        streaming.append(turn.samples)
    }

    private func confirm(_ pending: inout Speculation) {
        let now = ContinuousClock.now
        // A soft last word the VAD did not count as speech ("…of France") may have come after
        // the pause: then the speculation is dropped and the whole turn transcribed as usual.
        if Self.hasSound(turn.samples[min(pending.covered, turn.count)...], aboveDB: vad.noiseFloorDB + vad.parameters.marginDB) {
            speculation = nil
            pending.transcription.cancel()
            if let run = pending.run { discard(run) }
            streaming.append(turn.samples)
            return endTurn(itemID: pending.itemID, createResponse: true, reference: now)
        }
        emit("input_audio_buffer.committed", ["item_id": pending.itemID, "previous_item_id": NullValue.null])
        if services.engine.hearsAudio { turnAudioForReply = Array(turn.samples.prefix(pending.covered)) }
        turn = TurnAudio()
        turnItemID = nil
        guard let (result, evidence) = pending.transcript else {
            pending.confirmedAt = now  // the transcript is still coming; `speculativeTranscript` goes on
            speculation = pending
            return
        }
        speculation = nil
        guard let run = pending.run else {
            transcribing += 1
            return transcribed(result, evidence: evidence, itemID: pending.itemID)
        }
        recordTranscript(result, itemID: pending.itemID)
        release(run, reference: now)
    }

    /// Whether any 20 ms of `samples` is louder than `aboveDB`.
    static func hasSound(_ samples: ArraySlice<Float>, aboveDB: Double) -> Bool {
        stride(from: samples.startIndex, through: samples.endIndex - 320, by: 320).contains { start in
            SignalLevel.decibels(samples[start..<(start + 320)]) > aboveDB
        }
    }

    private func commit(eventID: String?) {
        if configuration.turnDetection != nil, turnItemID == nil {
            return fail(ProtocolError(code: "input_audio_buffer_commit_empty", message: "no speech in the buffer to commit", eventID: eventID))
        }
        if configuration.turnDetection == nil, turn.count < 1_600 {
            return fail(ProtocolError(code: "input_audio_buffer_commit_empty",
                                      message: "the buffer holds \(turn.count / 16) ms of audio; at least 100 ms is needed", eventID: eventID))
        }
        _ = vad.flush()
        let itemID = turnItemID ?? newID("item")
        endTurn(itemID: itemID, createResponse: configuration.turnDetection?.createResponse ?? false, reference: .now)
    }

    private func clearBuffer() {
        if let pending = speculation {
            speculation = nil
            pending.transcription.cancel()
            if let run = pending.run { discard(run) }
        }
        vad.reset()
        streaming.reset()
        turn = TurnAudio()
        turnItemID = nil
        partialSent = ""
        emit("input_audio_buffer.cleared")
    }

    /// The user's turn is over: transcribe it to the end, measure how it sounded, and reply if asked.
    private func endTurn(itemID: String, createResponse: Bool, reference: ContinuousClock.Instant) {
        emit("input_audio_buffer.committed", ["item_id": itemID, "previous_item_id": NullValue.null])
        let audio = turn.samples
        let evidence = turn.evidence
        if services.engine.hearsAudio { turnAudioForReply = audio }
        turn = TurnAudio()
        turnItemID = nil
        transcribing += 1
        if createResponse { responseAfterTranscript = (nil, reference) }
        stopPreparing()
        streaming.finish { [weak self] result in
            guard let self else { return }
            queue.async { self.transcribed(result, evidence: evidence, itemID: itemID) }
        }
    }

    private func partial(_ hypothesis: StreamingHypothesis) {
        guard !closed, let itemID = turnItemID, !hypothesis.isFinal else { return }
        let text = hypothesis.confirmedText
        if text.count > partialSent.count, text.hasPrefix(partialSent) {
            emit("conversation.item.input_audio_transcription.delta",
                 ["item_id": itemID, "content_index": 0, "delta": String(text.dropFirst(partialSent.count))])
            partialSent = text
        }
        // Listen while thinking: prefill the conversation with the words heard so far (the
        // tentative ones too: if they change, only what follows the change is computed again).
        let heard = hypothesis.text.trimmingCharacters(in: .whitespaces)
        if reply == nil, speculation == nil, !heard.isEmpty {
            var next = history
            next.appendUser(heard)
            prepare(next)
        }
    }

    func transcribed(_ result: Result<Transcript, EngineError>, evidence: AcousticEvidence, itemID: String) {
        transcribing -= 1
        guard !closed else { return }
        let pending = responseAfterTranscript
        responseAfterTranscript = nil
        guard recordTranscript(result, itemID: itemID), let pending else { return }
        startResponse(conversation: history, evidence: evidence.summary, instructions: pending.instructions,
                      reference: pending.reference, transcriptFinal: .now, audio: turnAudioForReply)
    }

    /// Tells the client the turn's final transcript (or that it failed) and adds its words to
    /// the history. False when there is nothing to answer (a failure, or silence and noise).
    @discardableResult
    private func recordTranscript(_ result: Result<Transcript, EngineError>, itemID: String) -> Bool {
        switch result {
        case .failure(let error):
            emit("conversation.item.input_audio_transcription.failed",
                 ["item_id": itemID, "content_index": 0, "error": ["type": "server_error", "message": error.description] as [String: any Sendable]])
            return false
        case .success(let transcript):
            let text = transcript.text.trimmingCharacters(in: .whitespacesAndNewlines)
            emit("conversation.item.input_audio_transcription.completed", ["item_id": itemID, "content_index": 0, "transcript": text])
            guard !text.isEmpty else { return false }
            history.appendUser(text)
            return true
        }
    }

    private func addUserText(_ text: String) {
        let itemID = newID("item")
        history.appendUser(text)
        turnAudioForReply = nil  // the turn to answer is typed: there is no audio of it
        emit("conversation.item.created", ["item": ["id": itemID, "type": "message", "role": "user",
                                                    "content": [["type": "input_text", "text": text] as [String: any Sendable]]] as [String: any Sendable]])
    }

    // MARK: Responses

    private func updateSession(_ object: [String: Any], eventID: String?) {
        var next = configuration
        do { try next.apply(object) } catch {
            var e = error
            e.eventID = eventID
            return fail(e)
        }
        if next.inputFormat != configuration.inputFormat {
            resampler = try? Resampler(from: next.inputFormat.sampleRate, to: VoiceActivityDetector.sampleRate)
            opusInput.store(next.inputFormat == .opus, ordering: .relaxed)
        }
        if next.turnDetection?.vad != configuration.turnDetection?.vad { vad.parameters = next.turnDetection?.vad ?? .init() }
        configuration = next
        history.system = next.instructions
        history.reservedForReply = next.replyTokens
        emit("session.updated", ["session": sessionJSON])
    }

    /// The session object with this session's id.
    private var sessionJSON: [String: any Sendable] {
        var json = configuration.json
        json["id"] = id
        json["model"] = services.engine.name
        return json
    }

    // MARK: Output

    func emit(_ type: String, _ fields: [String: any Sendable] = [:]) {
        sink(.event(ServerEvent(type, fields)))
    }

    func fail(_ error: ProtocolError) {
        sink(.event(.error(error)))
    }

    func newID(_ prefix: String) -> String {
        counter += 1
        return "\(prefix)_\(id.dropFirst(5).prefix(8))\(counter)"
    }

    static func randomID() -> String {
        String((0..<16).map { _ in "abcdefghijklmnopqrstuvwxyz0123456789".randomElement()! })
    }
}

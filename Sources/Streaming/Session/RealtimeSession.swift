import Dispatch
import Engine
import Foundation

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
    private let sink: Sink
    private let queue = DispatchQueue(label: "session")
    private let engineQueue = DispatchQueue(label: "session-engine", qos: .userInitiated)
    private let context: any ReplyContext
    private var streaming: StreamingTranscriber!

    private(set) var configuration: SessionConfiguration
    private var vad: VoiceActivityDetector
    private var resampler: Resampler?
    private var history: ConversationHistory
    /// 16 kHz samples received so far (the clock of `audio_start_ms` / `audio_end_ms`).
    private var receivedSamples = 0
    /// The last second of audio before the current turn (for the VAD's prefix padding).
    private var preRoll: [Float] = []
    private var turn: [Float] = []
    private var turnItemID: String?
    private var partialSent = ""
    private var transcribing = 0
    private var responseAfterTranscript: (instructions: String?, reference: ContinuousClock.Instant)?
    private var reply: ReplyRun?
    private var lastReply: ReplyRun?
    private var counter = 0
    private var closed = false
    /// Longest user turn kept (audio beyond it gets an error, never silently dropped).
    public static let maximumTurnSeconds = 120.0

    public init(services: SessionServices, configuration: SessionConfiguration = SessionConfiguration(), sink: @escaping Sink) {
        id = "sess_" + Self.randomID()
        self.services = services
        self.configuration = configuration
        self.sink = sink
        vad = VoiceActivityDetector(parameters: configuration.turnDetection?.vad ?? .init())
        history = ConversationHistory(system: configuration.instructions)
        context = services.engine.makeContext()
        streaming = StreamingTranscriber(transcriber: services.transcriber) { [weak self] hypothesis in
            guard let self else { return }
            queue.async { self.partial(hypothesis) }
        }
        resampler = try? Resampler(from: configuration.inputFormat.sampleRate, to: VoiceActivityDetector.sampleRate)
        queue.async { [self] in
            emit("session.created", ["session": sessionJSON,
                                     "server": ["name": services.serverName, "version": services.serverVersion, "protocol": 1] as [String: any Sendable]])
        }
    }

    deinit { streaming?.close() }

    /// Ends the session: the reply in progress is cancelled, workers stop.
    public func close() {
        queue.sync {
            closed = true
            if let run = reply { cancel(run, reason: "session_closed") }
            streaming.close()
        }
    }

    /// How the client sends audio now (binary Opus frames or base64 PCM events).
    public var inputFormat: AudioFormat { queue.sync { configuration.inputFormat } }

    /// Waits until everything queued so far has been handled (tests, shutdown).
    public func drain() { queue.sync {} }

    // MARK: Client events

    public func handle(_ event: ClientEvent, eventID: String? = nil) {
        queue.async { [self] in
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
        queue.async { [self] in if !closed { receive(samples, eventID: nil) } }
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
                return fail(ProtocolError(code: "input_audio_buffer_full",
                                          message: "the turn is longer than \(Int(Self.maximumTurnSeconds)) s; commit or clear the buffer", eventID: eventID))
            }
            turn += samples
            streaming.append(samples)
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
            }
        }
    }

    private func speechStarted(at sample: Int) {
        if let run = reply, configuration.turnDetection?.interruptResponse ?? true { cancel(run, reason: "turn_detected") }
        let itemID = newID("item")
        turnItemID = itemID
        // The pre-roll ends at `receivedSamples`; the turn is its part from `sample` on.
        let offset = sample - (receivedSamples - preRoll.count)
        turn = Array(preRoll[min(max(0, offset), preRoll.count)...])
        preRoll = []
        streaming.reset()
        streaming.append(turn)
        partialSent = ""
        emit("input_audio_buffer.speech_started", ["audio_start_ms": sample / 16, "item_id": itemID])
    }

    private func speechStopped(at sample: Int) {
        guard let itemID = turnItemID else { return }
        emit("input_audio_buffer.speech_stopped", ["audio_end_ms": sample / 16, "item_id": itemID])
        endTurn(itemID: itemID, createResponse: configuration.turnDetection?.createResponse ?? false, reference: .now)
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
        vad.reset()
        streaming.reset()
        turn = []
        turnItemID = nil
        partialSent = ""
        emit("input_audio_buffer.cleared")
    }

    /// The user's turn is over: transcribe it to the end, measure how it sounded, and reply if asked.
    private func endTurn(itemID: String, createResponse: Bool, reference: ContinuousClock.Instant) {
        emit("input_audio_buffer.committed", ["item_id": itemID, "previous_item_id": NullValue.null])
        let audio = turn
        turn = []
        turnItemID = nil
        transcribing += 1
        if createResponse { responseAfterTranscript = (nil, reference) }
        streaming.finish { [weak self] result in
            guard let self else { return }
            let evidence = AcousticEvidence.measure(audio)
            queue.async { self.transcribed(result, evidence: evidence, itemID: itemID) }
        }
    }

    private func partial(_ hypothesis: StreamingHypothesis) {
        guard let itemID = turnItemID, !hypothesis.isFinal else { return }
        let text = hypothesis.confirmedText
        if text.count > partialSent.count, text.hasPrefix(partialSent) {
            emit("conversation.item.input_audio_transcription.delta",
                 ["item_id": itemID, "content_index": 0, "delta": String(text.dropFirst(partialSent.count))])
            partialSent = text
            // Listen while thinking: prefill the conversation with the words that are settled.
            if reply == nil {
                var next = history
                next.appendUser(text.trimmingCharacters(in: .whitespaces))
                let upcoming = next
                engineQueue.async { [context] in try? context.prepare(upcoming) }
            }
        }
    }

    private func transcribed(_ result: Result<Transcript, EngineError>, evidence: AcousticEvidence, itemID: String) {
        transcribing -= 1
        let pending = responseAfterTranscript
        responseAfterTranscript = nil
        switch result {
        case .failure(let error):
            emit("conversation.item.input_audio_transcription.failed",
                 ["item_id": itemID, "content_index": 0, "error": ["type": "server_error", "message": error.description] as [String: any Sendable]])
            return
        case .success(let transcript):
            let text = transcript.text.trimmingCharacters(in: .whitespacesAndNewlines)
            emit("conversation.item.input_audio_transcription.completed", ["item_id": itemID, "content_index": 0, "transcript": text])
            guard !text.isEmpty else { return }  // silence or noise: nothing to answer
            history.appendUser(text, evidence: evidence.summary)
            if let pending { startResponse(instructions: pending.instructions, reference: pending.reference, transcriptFinal: .now) }
        }
    }

    private func addUserText(_ text: String) {
        let itemID = newID("item")
        history.appendUser(text)
        emit("conversation.item.created", ["item": ["id": itemID, "type": "message", "role": "user",
                                                    "content": [["type": "input_text", "text": text] as [String: any Sendable]]] as [String: any Sendable]])
    }

    // MARK: Responses

    private func requestResponse(instructions: String?, eventID: String?) {
        if reply != nil {
            return fail(ProtocolError(code: "conversation_already_has_active_response",
                                      message: "a response is in progress; cancel it first", eventID: eventID))
        }
        if transcribing > 0 {
            responseAfterTranscript = (instructions, .now)  // reply once the committed turn is transcribed
            return
        }
        startResponse(instructions: instructions, reference: .now, transcriptFinal: nil)
    }

    private func startResponse(instructions: String?, reference: ContinuousClock.Instant, transcriptFinal: ContinuousClock.Instant?) {
        if let run = reply { cancel(run, reason: "superseded") }
        let run = ReplyRun(id: newID("resp"), itemID: newID("item"), reference: reference, outputRate: configuration.outputFormat.sampleRate)
        if let transcriptFinal { run.mark("transcript_final", at: transcriptFinal) }
        reply = run
        emit("response.created", ["response": ["id": run.id, "object": "realtime.response", "status": "in_progress",
                                               "output": [any Sendable]()] as [String: any Sendable]])
        do {
            run.speech = try services.voice.makeSpeech(outputRate: run.outputRate) { [weak self] samples, clause, index in
                guard let self else { return }
                queue.async { self.audio(samples, clause: clause, index: index, of: run) }
            }
        } catch {
            return finish(run, outcome: ReplyOutcome(status: .failed), message: "the voice failed: \(error)")
        }
        var request = history
        if let instructions { request.system = instructions }
        var replySettings = configuration.reply
        replySettings.maxAnswerTokens = configuration.maxOutputTokens
        let (conversation, settings, speech, cancellation) = (request, replySettings, run.speech, run.cancellation)
        engineQueue.async { [weak self, context] in
            let outcome = context.reply(to: conversation, settings: settings, cancellation: cancellation) { event in
                if case .answer(let text) = event { speech?.feed(text) }
                guard let self else { return }
                self.queue.async { self.replyEvent(event, of: run) }
            }
            var failure: (any Error)?
            if !cancellation.isCancelled {
                speech?.finish()
                failure = speech?.waitUntilSpoken()
            }
            speech?.close()
            guard let self else { return }
            self.queue.async { [failure] in
                self.finish(run, outcome: outcome, message: failure.map { "the voice failed: \($0)" } ?? outcome.failure?.description)
            }
        }
    }

    private func replyEvent(_ event: ReplyEvent, of run: ReplyRun) {
        guard !run.ended else { return }
        switch event {
        case .reasoning(let text):
            run.mark("first_reasoning_token")
            run.reasoning += text
            emit("response.reasoning_text.delta", ["response_id": run.id, "item_id": run.itemID, "delta": text])
        case .answer(let text):
            run.mark("first_answer_token")
            run.answer += text
            emit("response.output_audio_transcript.delta", ["response_id": run.id, "item_id": run.itemID, "content_index": 0, "delta": text])
        }
    }

    private func audio(_ samples: [Float], clause: String, index: Int, of run: ReplyRun) {
        guard !run.ended, !samples.isEmpty else { return }
        run.audioSent(samples.count, clause: clause, index: index)
        sink(.audio(samples: samples, format: configuration.outputFormat, responseID: run.id, itemID: run.itemID))
    }

    /// Barge-in, `response.cancel`, or the session closing: audio stops now; the conversation
    /// keeps only the words the user can have heard.
    private func cancel(_ run: ReplyRun, reason: String) {
        guard !run.ended else { return }
        run.cancellation.cancel()
        run.speech?.cancel()
        let heard = run.heardText(untilMs: run.playedMs)
        if !heard.isEmpty { history.appendAssistant(heard) }
        end(run, status: "cancelled", details: ["type": "cancelled", "reason": reason], spoken: heard)
    }

    private func finish(_ run: ReplyRun, outcome: ReplyOutcome, message: String?) {
        guard !run.ended else { return }
        if outcome.status == .completed, message == nil {
            let spoken = run.answer.trimmingCharacters(in: .whitespacesAndNewlines)
            if !spoken.isEmpty { history.appendAssistant(spoken) }
            end(run, status: "completed", details: NullValue.null, spoken: spoken, outcome: outcome)
        } else if outcome.status == .cancelled {
            cancel(run, reason: "cancelled")
        } else {
            fail(ProtocolError(type: "server_error", code: "response_failed", message: message ?? "the reply failed"))
            end(run, status: "failed", details: ["type": "failed", "error": message ?? ""] as [String: any Sendable], spoken: "", outcome: outcome)
        }
    }

    private func end(_ run: ReplyRun, status: String, details: any Sendable, spoken: String, outcome: ReplyOutcome? = nil) {
        run.ended = true
        run.mark("done")
        if reply === run { reply = nil }
        lastReply = run
        emit("response.reasoning_text.done", ["response_id": run.id, "item_id": run.itemID, "text": run.reasoning])
        emit("response.output_audio_transcript.done", ["response_id": run.id, "item_id": run.itemID, "content_index": 0, "transcript": spoken])
        sink(.audioDone(ServerEvent("response.output_audio.done", ["response_id": run.id, "item_id": run.itemID, "content_index": 0])))
        var usage: [String: any Sendable] = ["output_tokens": (outcome?.answerTokens ?? 0) + (outcome?.reasoningTokens ?? 0)]
        if let outcome {
            usage["output_token_details"] = ["reasoning_tokens": outcome.reasoningTokens, "answer_tokens": outcome.answerTokens] as [String: any Sendable]
            usage["input_tokens"] = outcome.prefilledTokens
        }
        let timings = run.timings.mapValues { $0 as any Sendable }
        emit("response.done", ["response": [
            "id": run.id, "object": "realtime.response", "status": status, "status_details": details,
            "output": [["id": run.itemID, "type": "message", "role": "assistant",
                        "content": [["type": "output_audio", "transcript": spoken] as [String: any Sendable]]] as [String: any Sendable]],
            "usage": usage,
            "metadata": ["timings_ms": timings, "audio_ms": run.audioMs, "mode": configuration.reply.mode.rawValue] as [String: any Sendable],
        ] as [String: any Sendable]])
    }

    private func truncate(itemID: String, audioEndMs: Int, eventID: String?) {
        guard let run = lastReply, run.itemID == itemID else {
            return fail(ProtocolError(code: "item_not_found", message: "no assistant item \(itemID) to truncate", eventID: eventID))
        }
        let heard = run.heardText(untilMs: audioEndMs)
        history.truncateLastAssistant(toHeard: heard)
        emit("conversation.item.truncated", ["item_id": itemID, "content_index": 0, "audio_end_ms": audioEndMs])
    }

    private func updateSession(_ object: [String: Any], eventID: String?) {
        var next = configuration
        do { try next.apply(object) } catch {
            var e = error
            e.eventID = eventID
            return fail(e)
        }
        if next.inputFormat != configuration.inputFormat {
            resampler = try? Resampler(from: next.inputFormat.sampleRate, to: VoiceActivityDetector.sampleRate)
        }
        if next.turnDetection?.vad != configuration.turnDetection?.vad { vad.parameters = next.turnDetection?.vad ?? .init() }
        configuration = next
        history.system = next.instructions
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

    private func emit(_ type: String, _ fields: [String: any Sendable] = [:]) {
        sink(.event(ServerEvent(type, fields)))
    }

    private func fail(_ error: ProtocolError) {
        sink(.event(.error(error)))
    }

    private func newID(_ prefix: String) -> String {
        counter += 1
        return "\(prefix)_\(id.dropFirst(5).prefix(8))\(counter)"
    }

    static func randomID() -> String {
        String((0..<16).map { _ in "abcdefghijklmnopqrstuvwxyz0123456789".randomElement()! })
    }
}

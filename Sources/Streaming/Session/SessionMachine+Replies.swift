import AudioIO
import Engine
import Foundation

/// Responses: started by the end of a turn or `response.create`, streamed as events and
/// audio, ended by completion, failure, `response.cancel`, barge-in or the session closing.
extension SessionMachine {
    mutating func requestResponse(_ options: ResponseOptions, eventID: String?, now: ContinuousClock.Instant, into actions: inout [SessionAction]) {
        if configuration.kind == .transcription {
            return fail(ProtocolError(code: "invalid_session_type", message: "a transcription session transcribes turns and does not reply",
                                      eventID: eventID), into: &actions)
        }
        if reply != nil {
            return fail(ProtocolError(code: "conversation_already_has_active_response",
                                      message: "a response is in progress; cancel it first", eventID: eventID), into: &actions)
        }
        if let tools = options.tools, !tools.isEmpty, !supportsTools {
            fail(Self.toolsUnsupported(engineName, eventID: eventID), into: &actions)
            if (options.toolChoice ?? configuration.toolChoice).forcesCall { return }
        }
        if transcribing > 0, options.input == nil {
            responseAfterTranscript = PendingResponse(options: options, reference: now)  // once the turn is transcribed
            return
        }
        startReply(conversation: history, evidence: nil, options: options, reference: now, transcriptFinal: nil,
                   audio: options.input == nil ? turnAudioForReply : nil, into: &actions)
    }

    static func toolsUnsupported(_ engine: String, eventID: String?) -> ProtocolError {
        ProtocolError(code: "tools_unsupported",
                      message: "this server's reasoner (\(engine)) cannot call functions reliably, so tools are not used; "
                          + "run the daemon with the remote engine (engine.kind=remote) for function calling",
                      eventID: eventID)
    }

    /// Starts a reply to `conversation` (`evidence`: how the last turn sounded, for the thinking;
    /// the history keeps only the words). A `held` reply keeps its output until `releaseReply`
    /// (or drops it in `discardReply`).
    @discardableResult
    mutating func startReply(conversation: ConversationHistory, evidence: String?, options: ResponseOptions = ResponseOptions(),
                             reference: ContinuousClock.Instant, transcriptFinal: ContinuousClock.Instant?, held: Bool = false,
                             previousItemID: String? = nil, audio: [Float]?, into actions: inout [SessionAction]) -> ReplyID? {
        guard !closed else { return nil }
        if reply != nil { cancelReply(reason: "turn_detected", now: reference, into: &actions) }
        actions.append(.stopPreparing)
        let modality = options.modality ?? configuration.outputModality
        var state = ReplyState(id: newID("resp"), itemID: newID("item"), previousItemID: previousItemID ?? lastItemID, reference: reference,
                               outputFormat: configuration.outputFormat, mode: configuration.reply.mode, modality: modality,
                               outOfBand: options.outOfBand, leadMs: configuration.outputLeadMs)
        state.held = held
        state.metadata = options.metadata
        if let transcriptFinal { state.mark("transcript_final", at: transcriptFinal) }
        if !held, !options.outOfBand { lastItemID = state.itemID }
        let item = ConversationItem(id: state.itemID, kind: .assistant(transcript: "", modality: modality), status: .inProgress)
        reply = state
        send(.event(.responseCreated(responseID: state.id)), into: &actions)
        send(.event(.rateLimitsUpdated), into: &actions)
        send(.event(.outputItemAdded(state.part, item: item)), into: &actions)
        if !options.outOfBand { send(.event(.itemAdded(item, previousItemID: state.previousItemID)), into: &actions) }
        send(.event(.contentPartAdded(state.part, modality: modality)), into: &actions)
        var request = conversation
        if let input = options.input {
            request.clear()
            for message in input.compactMap(\.message) { request.append(message) }
        }
        if let instructions = options.instructions { request.system = instructions }
        var settings = configuration.reply
        settings.maxAnswerTokens = options.maxOutputTokens ?? configuration.maxOutputTokens
        if supportsTools {
            settings.tools = options.tools ?? configuration.tools
            settings.toolChoice = options.toolChoice ?? configuration.toolChoice
            // A forced call answers the user; the reply that follows its result says what it
            // found (forced again, it would call again without end).
            if request.turns.last?.role == .tool, settings.toolChoice.forcesCall { settings.toolChoice = .auto }
        }
        actions.append(.startReply(ReplyRequest(id: state.id, conversation: request, evidence: evidence, settings: settings,
                                                audio: audio, outputRate: state.outputRate, speaks: modality == .audio)))
        return state.id
    }

    /// Sends `output` of the active reply, or keeps it while the reply is held.
    mutating func send(_ output: SessionOutput, into actions: inout [SessionAction]) {
        if reply?.held == true { reply?.heldOutputs.append(output) } else { actions.append(.output(output)) }
    }

    /// A held reply becomes real: what it produced so far goes out now, the rest as it comes.
    /// Its timings are measured from `reference` (the confirmed end of the turn), so work done
    /// before it shows as negative or small numbers.
    mutating func releaseReply(reference: ContinuousClock.Instant, into actions: inout [SessionAction]) {
        guard var state = reply else { return }
        let outputs = state.release(at: reference, reference: reference)
        if !state.outOfBand { lastItemID = state.itemID }
        reply = state
        actions += outputs.map { .output($0) }
        deliverAudio(now: reference, into: &actions)
    }

    /// Sends the reply's audio that is due (`ReplyPlayback`), and ends the reply once its engine
    /// has ended and the client has had all of it.
    mutating func deliverAudio(now: ContinuousClock.Instant, into actions: inout [SessionAction]) {
        guard var state = reply, !state.held else { return }
        if let piece = state.playback.due(at: now, last: state.engineEnded != nil) {
            actions.append(.output(.audio(samples: Array(piece), format: state.outputFormat, part: state.part)))
        }
        reply = state
        guard let (outcome, failure) = state.engineEnded, state.playback.isDrained, !state.playback.isPaused else { return }
        finishReply(outcome: outcome, failure: failure, now: now, into: &actions)
    }

    /// When the runner should come back (`SessionInput.tick`) to send the reply's next audio.
    public func nextTick(after now: ContinuousClock.Instant) -> ContinuousClock.Instant? {
        guard let reply, !reply.held else { return nil }
        return reply.playback.nextDue(after: now, last: reply.engineEnded != nil)
    }

    /// Drops a held reply without a trace.
    mutating func discardReply(into actions: inout [SessionAction]) {
        guard let state = reply else { return }
        reply = nil
        actions.append(.stopReply(state.id))
    }

    mutating func replyEvent(_ event: ReplyEvent, of id: ReplyID, now: ContinuousClock.Instant, into actions: inout [SessionAction]) {
        guard var state = reply, state.id == id else { return }
        switch event {
        case .reasoning(let text):
            state.mark("first_reasoning_token", at: now)
            state.reasoning += text
            reply = state
            send(.event(.reasoningDelta(state.part, delta: text)), into: &actions)
        case .answer(let text):
            state.mark("first_answer_token", at: now)
            state.answer += text
            reply = state
            send(.event(state.modality == .audio ? .transcriptDelta(state.part, delta: text) : .textDelta(state.part, delta: text)), into: &actions)
        case .answerComplete:
            break
        case .functionCall(let delta):
            functionCall(delta, of: &state, into: &actions)
            reply = state
        }
    }

    /// A function call's first part adds its output item; every part adds to its arguments.
    mutating func functionCall(_ delta: FunctionCallDelta, of state: inout ReplyState, into actions: inout [SessionAction]) {
        let index: Int
        if let known = state.calls.firstIndex(where: { $0.call.callID == delta.callID }) {
            index = known
        } else {
            guard state.calls.count < ToolParsing.maximumTools else { return }
            var part = ResponsePart(responseID: state.id, itemID: newID("item"))
            part.outputIndex = state.calls.count + 1  // the message is output 0
            let call = FunctionCall(callID: delta.callID, name: delta.name, arguments: "")
            state.calls.append((part.itemID, part, call))
            let item = ConversationItem(id: part.itemID, kind: .functionCall(call), status: .inProgress)
            state.mark("first_function_call", at: .now)
            send(.event(.outputItemAdded(part, item: item)), into: &actions)
            if !state.outOfBand { send(.event(.itemAdded(item, previousItemID: state.calls.count > 1 ? state.calls[state.calls.count - 2].itemID : state.itemID)), into: &actions) }
            index = state.calls.count - 1
        }
        guard !delta.arguments.isEmpty, state.calls[index].call.arguments.utf8.count + delta.arguments.utf8.count <= ClientEvent.maximumTextBytes else { return }
        state.calls[index].call.arguments += delta.arguments
        send(.event(.functionCallArgumentsDelta(state.calls[index].part, callID: delta.callID, delta: delta.arguments)), into: &actions)
    }

    mutating func replyAudio(_ samples: [Float], clause: String, index: Int, of id: ReplyID, now: ContinuousClock.Instant,
                             into actions: inout [SessionAction]) {
        guard reply?.id == id, !samples.isEmpty else { return }
        let first = reply?.audioMs == 0
        // In place: the reply's audio grows to its whole length, and a copy of the state would
        // copy all of it for every piece.
        reply?.audioProduced(samples, clause: clause, index: index, at: now)
        guard let state = reply else { return }
        if first, !state.held, let late = state.timings["first_audio"], late > configuration.overloadedAfterMs {
            send(.event(.error(.overloaded(String(format: "the reply started %.0f ms after the turn ended (the limit is %.0f ms): this machine is serving more than it can at full speed", late, configuration.overloadedAfterMs)))), into: &actions)
        }
        deliverAudio(now: now, into: &actions)
    }

    /// The reply's engine and voice are done. It ends for the client once it has had everything
    /// (a held reply when released, paced audio when sent, a paused one when resumed).
    mutating func replyEnded(_ id: ReplyID, outcome: ReplyOutcome, failure: String?, now: ContinuousClock.Instant, into actions: inout [SessionAction]) {
        guard reply?.id == id else { return }
        reply?.engineEnded = (outcome, failure)
        deliverAudio(now: now, into: &actions)
    }

    mutating func finishReply(outcome: ReplyOutcome, failure: String?, now: ContinuousClock.Instant, into actions: inout [SessionAction]) {
        guard let state = reply else { return }
        if outcome.status == .completed, failure == nil {
            let spoken = state.answer.trimmingCharacters(in: .whitespacesAndNewlines)
            if !spoken.isEmpty, !state.outOfBand { history.appendAssistant(spoken, itemID: state.itemID) }
            endReply(status: .completed, reason: nil, failure: nil, spoken: spoken, outcome: outcome, now: now, into: &actions)
        } else if outcome.status == .cancelled, failure == nil {
            cancelReply(reason: "client_cancelled", now: now, into: &actions)
        } else {
            let message = failure ?? outcome.failure?.description ?? "the reply failed"
            send(.event(.error(ProtocolError(type: "server_error", code: "response_failed", message: message))), into: &actions)
            endReply(status: .failed, reason: nil, failure: message, spoken: "", outcome: outcome, now: now, into: &actions)
        }
    }

    /// Barge-in, `response.cancel`, or the session closing: audio stops now; the conversation
    /// keeps only the words the user can have heard.
    mutating func cancelReply(reason: String, now: ContinuousClock.Instant, into actions: inout [SessionAction]) {
        guard let state = reply else { return }
        if state.held { return discardReply(into: &actions) }
        actions.append(.stopReply(state.id))
        let heard = state.modality == .audio ? state.heardText(untilMs: state.playedMs(at: now)) : state.answer
        if !heard.isEmpty, !state.outOfBand { history.appendAssistant(heard, itemID: state.itemID) }
        endReply(status: .cancelled, reason: reason, failure: nil, spoken: heard, outcome: nil, now: now, into: &actions)
    }

    /// The reply's closing events, in the API's order, and the reasoner takes in the
    /// conversation so far (this reply included) so that the next turn leaves it only the user's
    /// words to read.
    mutating func endReply(status: ResponseSummary.Status, reason: String?, failure: String?, spoken: String, outcome: ReplyOutcome?,
                           now: ContinuousClock.Instant, into actions: inout [SessionAction]) {
        guard var state = reply else { return }
        state.mark("done", at: now)
        reply = nil
        // The idle timeout counts from when the client has played the reply to its end.
        let unplayedMs = state.modality == .audio ? state.audioMs - state.playedMs(at: now) : 0
        idleSince = receivedSamples + unplayedMs * Self.sampleRate / 1000
        lastReply = state
        // A completed reply's whole calls join the conversation after what it said.
        let calls = state.calls.map { ResponseSummary.Call(itemID: $0.itemID, call: $0.call, complete: Self.isWholeJSON($0.call.arguments)) }
        if status == .completed, !state.outOfBand {
            for call in calls where call.complete {
                history.append(ChatMessage(role: .assistant, content: "", itemID: call.itemID, functionCall: call.call))
            }
        }
        if !closed { actions.append(.prepare(history)) }
        var summary = ResponseSummary(id: state.id, itemID: state.itemID, status: status, spoken: spoken)
        summary.reason = reason
        summary.failure = failure
        summary.reasoningTokens = outcome?.reasoningTokens ?? 0
        summary.outputTokens = (outcome?.answerTokens ?? 0) + summary.reasoningTokens
        summary.inputTokens = outcome?.prefilledTokens ?? 0
        summary.timingsMs = state.timings
        summary.audioMs = state.audioMs
        summary.mode = state.mode.rawValue
        summary.speculative = state.wasSpeculative
        summary.speculativeTimingsMs = state.speculativeTimings
        summary.modality = state.modality
        summary.metadata = state.metadata
        summary.calls = calls
        let part = state.part
        let item = summary.item
        var closing: [SessionOutput] = [.event(.reasoningDone(part, text: state.reasoning))]
        if state.modality == .audio {
            closing += [.event(.transcriptDone(part, transcript: spoken)), .audioDone(.audioDone(part))]
        } else {
            closing.append(.event(.textDone(part, text: spoken)))
        }
        closing += [.event(.contentPartDone(part, modality: state.modality, transcript: spoken)), .event(.outputItemDone(part, item: item))]
        if !state.outOfBand { closing.append(.event(.itemDone(item, previousItemID: state.previousItemID))) }
        var previous = state.itemID
        for (callItem, call) in zip(summary.output.dropFirst(), state.calls) {
            closing += [.event(.functionCallArgumentsDone(call.part, call: call.call)), .event(.outputItemDone(call.part, item: callItem))]
            if !state.outOfBand { closing.append(.event(.itemDone(callItem, previousItemID: previous))) }
            previous = call.itemID
        }
        if !state.outOfBand, !state.calls.isEmpty, status == .completed { lastItemID = previous }
        closing += [.event(.responseTimings(summary)), .event(.responseDone(summary))]
        actions += closing.map { .output($0) }
    }

    /// Whether a call's arguments are complete JSON (a call cut short cannot be made).
    static func isWholeJSON(_ text: String) -> Bool {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) != nil
    }

    mutating func truncate(itemID: String, audioEndMs: Int, eventID: String?, into actions: inout [SessionAction]) {
        if var paused = reply, paused.itemID == itemID, paused.playback.isPaused, audioEndMs >= 0 {
            // The client stopped playing when the user spoke over the reply: if the reply goes
            // on, it goes on from here; if it stops, this is what was heard.
            paused.playback.clientStopped(at: min(audioEndMs, paused.audioMs) * paused.outputRate / 1000)
            reply = paused
            return emit(.itemTruncated(itemID: itemID, audioEndMs: paused.playback.pausedAt.map { $0 * 1000 / paused.outputRate } ?? 0), into: &actions)
        }
        guard let state = lastReply, state.itemID == itemID else {
            return fail(ProtocolError(code: "item_not_found", message: "no assistant item \(itemID.prefix(100)) to truncate", eventID: eventID), into: &actions)
        }
        guard audioEndMs >= 0 else {
            return fail(.invalidValue("audio_end_ms", "must be 0 or more (got \(audioEndMs))", eventID: eventID), into: &actions)
        }
        // Clamped to the item's audio: a client may say it played more than there was.
        let endMs = min(audioEndMs, state.audioMs)
        history.truncateLastAssistant(toHeard: state.heardText(untilMs: endMs))
        emit(.itemTruncated(itemID: itemID, audioEndMs: endMs), into: &actions)
    }

    /// The transport is gone: the reply in progress and everything started for it stop.
    mutating func shutDown(now: ContinuousClock.Instant, into actions: inout [SessionAction]) {
        guard !closed else { return }
        closed = true
        if reply != nil { cancelReply(reason: "client_cancelled", now: now, into: &actions) }
        if let pending = speculation { dropSpeculation(pending, into: &actions) }
        responseAfterTranscript = nil
        actions += [.stopPreparing, .shutDown]
    }
}

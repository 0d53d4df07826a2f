import AudioIO
import Engine

/// The user's turns: audio, turn detection, speculation at pauses, commits and transcripts.
extension SessionMachine {
    mutating func receive(_ samples: [Float], now: ContinuousClock.Instant, into actions: inout [SessionAction]) {
        receivedSamples += samples.count
        if turnItemID != nil || configuration.turnDetection == nil {
            guard Double(turn.count) < Self.maximumTurnSeconds * Double(Self.sampleRate) else {
                if let itemID = turnItemID, configuration.turnDetection != nil {
                    // Server VAD never heard the end (a noisy room): the turn ends at the cap,
                    // and listening starts again on what follows.
                    vad.reset()
                    emit(.speechStopped(itemID: itemID, audioEndMs: receivedSamples * 1000 / Self.sampleRate), into: &actions)
                    return endTurn(itemID: itemID, createResponse: configuration.turnDetection?.createResponse ?? false, reference: now, into: &actions)
                }
                return fail(ProtocolError(code: "input_audio_buffer_full",
                                          message: "the turn is longer than \(Int(Self.maximumTurnSeconds)) s; commit or clear the buffer"), into: &actions)
            }
            turn.append(samples)
            if speculation == nil { actions.append(.transcriberAppend(samples)) }
        } else {
            // Keep the last second before this chunk, and the whole chunk (a turn may start anywhere in it).
            if preRoll.count > Self.sampleRate { preRoll.removeFirst(preRoll.count - Self.sampleRate) }
            preRoll += samples
        }
        guard configuration.turnDetection != nil else { return }
        checkIdleTimeout(now: now, into: &actions)
        for event in vad.process(samples) {
            switch event {
            case .speechStarted(let sample): speechStarted(at: sample, now: now, into: &actions)
            case .speechStopped(let sample): speechStopped(at: sample, now: now, into: &actions)
            case .paused: paused(now: now, into: &actions)
            case .resumed: resumed(into: &actions)
            }
        }
        endTurnIfFinished(now: now, into: &actions)
    }

    /// `semantic_vad`: the turn ends as soon as the silence is as long as what was said asks
    /// for (`SemanticEndOfTurn`); the detector's own end, at the longest silence, is the bound.
    mutating func endTurnIfFinished(now: ContinuousClock.Instant, into actions: inout [SessionAction]) {
        guard let semantic = configuration.turnDetection?.semantic, turnItemID != nil, vad.inSpeech,
              vad.silenceMs >= vad.parameters.pauseMs else { return }
        var completeness: Double?
        if let pending = speculation, !pending.reasonerEstimatePending, let evidence = pending.endOfTurn {
            completeness = SemanticEndOfTurn.completeness(evidence)
        }
        guard vad.silenceMs >= semantic.requiredSilenceMs(completeness: completeness),
              case .speechStopped(let sample)? = vad.endTurn() else { return }
        speechStopped(at: sample, now: now, into: &actions)
    }

    mutating func endOfTurnEstimated(_ serial: Int, _ probability: Double?, now: ContinuousClock.Instant, into actions: inout [SessionAction]) {
        guard var pending = speculation, pending.serial == serial, pending.reasonerEstimatePending else { return }
        pending.reasonerEstimatePending = false
        pending.endOfTurn?.reasonerProbability = probability
        speculation = pending
        endTurnIfFinished(now: now, into: &actions)
    }

    mutating func speechStarted(at sample: Int, now: ContinuousClock.Instant, into actions: inout [SessionAction]) {
        if let after = configuration.newConversationAfterSeconds, let since = idleSince, reply == nil,
           sample - since >= Int(after * Double(Self.sampleRate)) {
            history.clear()
        }
        idleSince = nil
        let itemID = newID("item")
        turnItemID = itemID
        // The pre-roll ends at `receivedSamples`; the turn is its part from `sample` on.
        let offset = sample - (receivedSamples - preRoll.count)
        turn = TurnAudio(Array(preRoll[min(max(0, offset), preRoll.count)...]))
        preRoll = []
        partialSent = ""
        actions += [.transcriberReset, .transcriberAppend(turn.samples)]
        emit(.speechStarted(itemID: itemID, audioStartMs: sample * 1000 / Self.sampleRate), into: &actions)
        // Barge-in: the reply pauses now, and stops if the user is taking the turn.
        if reply != nil { speechOverReply(itemID: itemID, sample: sample, now: now, into: &actions) }
    }

    /// `idle_timeout_ms` of silence after the last reply's audio: an empty turn is committed and
    /// answered (the reasoner is told how long the user has been quiet), as the API does.
    mutating func checkIdleTimeout(now: ContinuousClock.Instant, into actions: inout [SessionAction]) {
        guard let timeout = configuration.turnDetection?.idleTimeoutMs, let since = idleSince, configuration.kind == .realtime,
              turnItemID == nil, reply == nil, speculation == nil, transcribing == 0,
              receivedSamples - since >= timeout * Self.sampleRate / 1000 else { return }
        idleSince = nil
        let itemID = newID("item")
        emit(.timeoutTriggered(itemID: itemID, audioStartMs: since * 1000 / Self.sampleRate, audioEndMs: receivedSamples * 1000 / Self.sampleRate),
             into: &actions)
        commitItem(itemID, into: &actions)
        emit(.itemDone(ConversationItem(id: itemID, kind: .userAudio(transcript: "")), previousItemID: nil), into: &actions)
        spokenItems.insert(itemID)
        var request = history
        request.appendUser("(silence for \(timeout / 1000) seconds)")
        startReply(conversation: request, evidence: nil, reference: now, transcriptFinal: nil, audio: nil, into: &actions)
    }

    mutating func speechStopped(at sample: Int, now: ContinuousClock.Instant, into actions: inout [SessionAction]) {
        guard let itemID = turnItemID else { return }
        emit(.speechStopped(itemID: itemID, audioEndMs: sample * 1000 / Self.sampleRate), into: &actions)
        if let pending = speculation, pending.itemID == itemID {
            confirm(pending, now: now, into: &actions)
        } else {
            endTurn(itemID: itemID, createResponse: configuration.turnDetection?.createResponse ?? false, reference: now, into: &actions)
        }
    }

    /// A pause that may be the end of the turn: the turn so far is transcribed now (the
    /// streaming recogniser stops: its work would only compete for the cores; its settled
    /// words start the transcript), and the reasoner's prefill of the words heard stops too.
    mutating func paused(now: ContinuousClock.Instant, into actions: inout [SessionAction]) {
        guard let itemID = turnItemID, speculation == nil, reply == nil, interruption == nil, configuration.kind == .realtime,
              configuration.turnDetection?.createResponse ?? false,
              Double(turn.count) < Self.speculationLimitSeconds * Double(Self.sampleRate) else { return }
        counter += 1
        speculation = Speculation(serial: counter, itemID: itemID, covered: turn.count, pausedAt: now)
        actions += [.transcribeAtPause(serial: counter, audio: turn.samples, evidence: turn.evidence), .transcriberReset, .stopPreparing]
    }

    mutating func transcribedAtPause(_ serial: Int, _ result: Result<Transcript, EngineError>, _ evidence: AcousticEvidence,
                                     now: ContinuousClock.Instant, into actions: inout [SessionAction]) {
        guard var pending = speculation, pending.serial == serial else { return }
        pending.transcript = (result, evidence)
        if let confirmedAt = pending.confirmedAt {
            // The turn ended while this was being transcribed: carry on as for any turn.
            speculation = nil
            transcribing += 1
            responseAfterTranscript = PendingResponse(reference: confirmedAt)
            return transcribed(result, evidence: evidence, itemID: pending.itemID, now: now, into: &actions)
        }
        if case .success(let transcript) = result {
            let text = transcript.text.trimmingCharacters(in: .whitespacesAndNewlines)
            if configuration.turnDetection?.semantic != nil {
                pending.endOfTurn = SemanticEndOfTurn.Evidence(text: text, finalPitchSlope: evidence.finalPitchSlopeHzPerSecond)
            }
            if !text.isEmpty {
                var upcoming = history
                upcoming.appendUser(text)
                if pending.endOfTurn != nil {
                    pending.reasonerEstimatePending = true
                    actions.append(.estimateEndOfTurn(serial: serial, upcoming))
                }
                pending.replyID = startReply(conversation: upcoming, evidence: evidence.summary, reference: now,
                                             transcriptFinal: now, held: true, previousItemID: pending.itemID,
                                             audio: hearsAudio ? Array(turn.samples.prefix(pending.covered)) : nil, into: &actions)
                reply?.pausedAt = pending.pausedAt
            }
        }
        speculation = pending
        endTurnIfFinished(now: now, into: &actions)
    }

    /// Speech again before the turn's end was confirmed: what was started at the pause is
    /// dropped unseen, and the streaming recogniser takes up the whole turn again.
    mutating func resumed(into actions: inout [SessionAction]) {
        guard let pending = speculation else { return }
        dropSpeculation(pending, into: &actions)
        actions.append(.transcriberAppend(turn.samples))
    }

    mutating func dropSpeculation(_ pending: Speculation, into actions: inout [SessionAction]) {
        speculation = nil
        actions.append(.cancelTranscriptionAtPause(serial: pending.serial))
        if let id = pending.replyID, reply?.id == id { discardReply(into: &actions) }
    }

    mutating func confirm(_ pending: Speculation, now: ContinuousClock.Instant, into actions: inout [SessionAction]) {
        // A soft last word the VAD did not count as speech ("…of France") may have come after
        // the pause: then the speculation is dropped and the whole turn transcribed as usual.
        if vad.hasSound(turn.samples[min(pending.covered, turn.count)...]) {
            dropSpeculation(pending, into: &actions)
            actions.append(.transcriberAppend(turn.samples))
            return endTurn(itemID: pending.itemID, createResponse: true, reference: now, into: &actions)
        }
        commitItem(pending.itemID, into: &actions)
        if hearsAudio { turnAudioForReply = Array(turn.samples.prefix(pending.covered)) }
        turn = TurnAudio()
        turnItemID = nil
        guard let (result, evidence) = pending.transcript else {
            var waiting = pending
            waiting.confirmedAt = now  // the transcript is still coming
            speculation = waiting
            return
        }
        speculation = nil
        guard let id = pending.replyID, reply?.id == id else {
            transcribing += 1
            return transcribed(result, evidence: evidence, itemID: pending.itemID, now: now, into: &actions)
        }
        recordTranscript(result, itemID: pending.itemID, into: &actions)
        releaseReply(reference: now, into: &actions)
    }

    mutating func commit(eventID: String?, now: ContinuousClock.Instant, into actions: inout [SessionAction]) {
        if configuration.turnDetection != nil, turnItemID == nil {
            return fail(ProtocolError(code: "input_audio_buffer_commit_empty", message: "no speech in the buffer to commit", eventID: eventID), into: &actions)
        }
        if configuration.turnDetection == nil, turn.count < Self.sampleRate / 10 {
            return fail(ProtocolError(code: "input_audio_buffer_commit_empty",
                                      message: "the buffer holds \(turn.count * 1000 / Self.sampleRate) ms of audio; at least 100 ms is needed",
                                      eventID: eventID), into: &actions)
        }
        _ = vad.flush()
        if let pending = speculation { dropSpeculation(pending, into: &actions) }
        let itemID = turnItemID ?? newID("item")
        endTurn(itemID: itemID, createResponse: configuration.turnDetection?.createResponse ?? false, reference: now, into: &actions)
    }

    mutating func clearBuffer(now: ContinuousClock.Instant, into actions: inout [SessionAction]) {
        if let pending = speculation { dropSpeculation(pending, into: &actions) }
        if interruption != nil {
            // The speech over the reply is forgotten: the reply plays on.
            interruption = nil
            resumeReply(now: now, into: &actions)
        }
        vad.reset()
        actions.append(.transcriberReset)
        turn = TurnAudio()
        turnItemID = nil
        partialSent = ""
        emit(.cleared, into: &actions)
    }

    /// The audio buffer becomes a user item.
    mutating func commitItem(_ itemID: String, into actions: inout [SessionAction]) {
        emit(.committed(itemID: itemID, previousItemID: lastItemID), into: &actions)
        emit(.itemAdded(ConversationItem(id: itemID, kind: .userAudio(transcript: nil), status: .inProgress), previousItemID: lastItemID), into: &actions)
        lastItemID = itemID
    }

    /// The user's turn is over: transcribe it to the end, measure how it sounded, and reply if asked.
    mutating func endTurn(itemID: String, createResponse: Bool, reference: ContinuousClock.Instant, into actions: inout [SessionAction]) {
        commitItem(itemID, into: &actions)
        let evidence = turn.evidence
        if hearsAudio { turnAudioForReply = turn.samples }
        turn = TurnAudio()
        turnItemID = nil
        transcribing += 1
        if createResponse, configuration.kind == .realtime { responseAfterTranscript = PendingResponse(reference: reference) }
        actions += [.stopPreparing, .transcriberFinish(itemID: itemID, evidence: evidence)]
    }

    mutating func partial(_ hypothesis: StreamingHypothesis, now: ContinuousClock.Instant, into actions: inout [SessionAction]) {
        guard let itemID = turnItemID, !hypothesis.isFinal else { return }
        if interruption != nil { interruptionHeard(hypothesis, now: now, into: &actions) }
        let text = hypothesis.confirmedText
        if text.count > partialSent.count, text.hasPrefix(partialSent) {
            emit(.transcriptionDelta(itemID: itemID, delta: String(text.dropFirst(partialSent.count))), into: &actions)
            partialSent = text
        }
        // Listen while thinking: prefill the conversation with the words heard so far (the
        // tentative ones too: if they change, only what follows the change is computed again).
        let heard = hypothesis.text.trimmingCharacters(in: .whitespaces)
        if reply == nil, speculation == nil, !heard.isEmpty, configuration.kind == .realtime {
            var next = history
            next.appendUser(heard)
            actions.append(.prepare(next))
        }
    }

    mutating func transcribed(_ result: Result<Transcript, EngineError>, evidence: AcousticEvidence, itemID: String,
                              now: ContinuousClock.Instant, into actions: inout [SessionAction]) {
        transcribing -= 1
        guard !closed else { return }
        let pending = responseAfterTranscript
        responseAfterTranscript = nil
        if settleInterruption(of: itemID, result, now: now, into: &actions) {
            // Said over a reply that goes on: shown to the client, not answered, not in the history.
            recordTranscript(result, itemID: itemID, joinsHistory: false, into: &actions)
            return
        }
        guard recordTranscript(result, itemID: itemID, into: &actions), let pending else { return }
        startReply(conversation: history, evidence: evidence.summary, options: pending.options, reference: pending.reference,
                   transcriptFinal: now, audio: turnAudioForReply, into: &actions)
    }

    /// Tells the client the turn's final transcript (or that it failed) and adds its words to
    /// the history. False when there is nothing to answer (a failure, or silence and noise).
    @discardableResult
    mutating func recordTranscript(_ result: Result<Transcript, EngineError>, itemID: String, joinsHistory: Bool = true,
                                   into actions: inout [SessionAction]) -> Bool {
        switch result {
        case .failure(let error):
            emit(.transcriptionFailed(itemID: itemID, message: error.description), into: &actions)
            emit(.itemDone(ConversationItem(id: itemID, kind: .userAudio(transcript: nil), status: .incomplete), previousItemID: nil), into: &actions)
            return false
        case .success(let transcript):
            let text = transcript.text.trimmingCharacters(in: .whitespacesAndNewlines)
            emit(.transcriptionCompleted(itemID: itemID, transcript: text, audioSeconds: transcript.audioSeconds), into: &actions)
            emit(.itemDone(ConversationItem(id: itemID, kind: .userAudio(transcript: text)), previousItemID: nil), into: &actions)
            guard !text.isEmpty, joinsHistory else { return false }
            history.appendUser(text, itemID: itemID)
            spokenItems.insert(itemID)
            if spokenItems.count > ConversationHistory.maximumTurns { spokenItems = spokenItems.filter { history.message(itemID: $0) != nil } }
            return true
        }
    }
}

import Engine
import Foundation

/// Responses: started by the end of a turn or `response.create`, streamed as events and
/// audio, ended by completion, failure, `response.cancel` or barge-in. All on the session's queue.
extension RealtimeSession {
    func requestResponse(instructions: String?, eventID: String?) {
        if reply != nil {
            return fail(ProtocolError(code: "conversation_already_has_active_response",
                                      message: "a response is in progress; cancel it first", eventID: eventID))
        }
        if transcribing > 0 {
            responseAfterTranscript = (instructions, .now)  // reply once the committed turn is transcribed
            return
        }
        startResponse(conversation: history, evidence: nil, instructions: instructions, reference: .now, transcriptFinal: nil,
                      audio: turnAudioForReply)
    }

    /// Starts generating and speaking a reply to `conversation` (`evidence`: how the last turn
    /// sounded, for the thinking; the history keeps only the words). A `held` reply keeps its output
    /// until `release` (or drops it in `discard`). `audio`: the turn at 16 kHz, for an engine that hears.
    @discardableResult
    func startResponse(conversation: ConversationHistory, evidence: String?, instructions: String?, reference: ContinuousClock.Instant,
                       transcriptFinal: ContinuousClock.Instant?, held: Bool = false, audio: [Float]? = nil) -> ReplyRun? {
        guard !closed else { return nil }
        if let run = reply { cancel(run, reason: "superseded") }
        stopPreparing()
        let run = ReplyRun(id: newID("resp"), itemID: newID("item"), reference: reference, outputFormat: configuration.outputFormat)
        run.held = held
        if let transcriptFinal { run.mark("transcript_final", at: transcriptFinal) }
        reply = run
        send(.event(ServerEvent("response.created", ["response": ["id": run.id, "object": "realtime.response", "status": "in_progress",
                                                                  "output": [any Sendable]()] as [String: any Sendable]])), for: run)
        do {
            run.speech = try services.voice.makeSpeech(outputRate: run.outputRate) { [weak self] samples, clause, index in
                guard let self else { return }
                queue.async { self.audio(samples, clause: clause, index: index, of: run) }
            }
        } catch {
            finish(run, outcome: ReplyOutcome(status: .failed), message: "the voice failed: \(error)")
            return run
        }
        var request = conversation
        if let instructions { request.system = instructions }
        var replySettings = configuration.reply
        replySettings.maxAnswerTokens = configuration.maxOutputTokens
        let (settings, speech, cancellation) = (replySettings, run.speech, run.cancellation)
        let prompt = request
        engineQueue.async { [weak self, context] in
            let outcome = context.reply(to: prompt, evidence: evidence, audio: audio, settings: settings, cancellation: cancellation) { event in
                switch event {
                case .answer(let text): speech?.feed(text)
                case .answerComplete: speech?.finish()
                case .reasoning: break
                }
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
        return run
    }

    /// A held reply becomes real: what it produced so far goes out now, the rest as it comes.
    /// Its timings are measured from `reference` (the confirmed end of the turn), so work done
    /// before it shows as negative or small numbers.
    func release(_ run: ReplyRun, reference: ContinuousClock.Instant) {
        for output in run.release(at: .now, reference: reference) { sink(output) }
    }

    /// Drops a held reply without a trace.
    func discard(_ run: ReplyRun) {
        run.cancellation.cancel()
        run.speech?.cancel()
        run.ended = true
        run.heldOutputs = []
        run.speech = nil  // the speech's listener holds the run: break the cycle
        if reply === run { reply = nil }
    }

    func send(_ output: SessionOutput, for run: ReplyRun) {
        if run.held { run.heldOutputs.append(output) } else { sink(output) }
    }

    func emit(_ type: String, _ fields: [String: any Sendable], for run: ReplyRun) {
        send(.event(ServerEvent(type, fields)), for: run)
    }

    private func replyEvent(_ event: ReplyEvent, of run: ReplyRun) {
        guard !run.ended else { return }
        switch event {
        case .reasoning(let text):
            run.mark("first_reasoning_token")
            run.reasoning += text
            emit("response.reasoning_text.delta", ["response_id": run.id, "item_id": run.itemID, "delta": text], for: run)
        case .answer(let text):
            run.mark("first_answer_token")
            run.answer += text
            emit("response.output_audio_transcript.delta", ["response_id": run.id, "item_id": run.itemID, "content_index": 0, "delta": text], for: run)
        case .answerComplete:
            break
        }
    }

    private func audio(_ samples: [Float], clause: String, index: Int, of run: ReplyRun) {
        guard !run.ended, !samples.isEmpty else { return }
        let first = run.sentSamples == 0
        run.audioSent(samples.count, clause: clause, index: index)
        if first, !run.held, let late = run.timings["first_audio"], late > configuration.overloadedAfterMs {
            send(.event(.error(.overloaded(String(format: "the reply started %.0f ms after the turn ended (the limit is %.0f ms): this machine is serving more than it can at full speed", late, configuration.overloadedAfterMs)))), for: run)
        }
        send(.audio(samples: samples, format: run.outputFormat, responseID: run.id, itemID: run.itemID), for: run)
    }

    /// Barge-in, `response.cancel`, or the session closing: audio stops now; the conversation
    /// keeps only the words the user can have heard.
    func cancel(_ run: ReplyRun, reason: String) {
        guard !run.ended else { return }
        if run.held { return discard(run) }
        run.cancellation.cancel()
        run.speech?.cancel()
        let heard = run.heardText(untilMs: run.playedMs)
        if !heard.isEmpty { history.appendAssistant(heard) }
        end(run, status: "cancelled", details: ["type": "cancelled", "reason": reason] as [String: any Sendable], spoken: heard)
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
            send(.event(.error(ProtocolError(type: "server_error", code: "response_failed", message: message ?? "the reply failed"))), for: run)
            end(run, status: "failed", details: ["type": "failed", "error": message ?? ""] as [String: any Sendable], spoken: "", outcome: outcome)
        }
    }

    private func end(_ run: ReplyRun, status: String, details: any Sendable, spoken: String, outcome: ReplyOutcome? = nil) {
        run.ended = true
        run.speech = nil  // the speech's listener holds the run: break the cycle
        run.mark("done")
        if reply === run { reply = nil }
        lastReply = run
        // Between turns the reasoner takes in the conversation so far, this reply included, so
        // that the next turn leaves it only the user's words to read (and old turns that no
        // longer fit are left out now rather than while the user waits).
        prepare(history)
        let ids: [String: any Sendable] = ["response_id": run.id, "item_id": run.itemID]
        emit("response.reasoning_text.done", ids.merging(["text": run.reasoning]) { a, _ in a }, for: run)
        emit("response.output_audio_transcript.done", ids.merging(["content_index": 0, "transcript": spoken]) { a, _ in a }, for: run)
        send(.audioDone(ServerEvent("response.output_audio.done", ids.merging(["content_index": 0]) { a, _ in a })), for: run)
        var usage: [String: any Sendable] = ["output_tokens": (outcome?.answerTokens ?? 0) + (outcome?.reasoningTokens ?? 0)]
        if let outcome {
            usage["output_token_details"] = ["reasoning_tokens": outcome.reasoningTokens, "answer_tokens": outcome.answerTokens] as [String: any Sendable]
            usage["input_tokens"] = outcome.prefilledTokens
        }
        emit("response.done", ["response": [
            "id": run.id, "object": "realtime.response", "status": status, "status_details": details,
            "output": [["id": run.itemID, "type": "message", "role": "assistant",
                        "content": [["type": "output_audio", "transcript": spoken] as [String: any Sendable]]] as [String: any Sendable]],
            "usage": usage,
            "metadata": ["timings_ms": run.timings.mapValues { $0 as any Sendable }, "audio_ms": run.audioMs,
                         "mode": configuration.reply.mode.rawValue, "speculative": run.releasedAt != nil] as [String: any Sendable],
        ] as [String: any Sendable]], for: run)
    }

    /// Listen while thinking: the reasoner computes ahead what `conversation` will not change,
    /// on the engine's queue. A newer call, or a reply starting, stops the one before (at its
    /// next step; what it computed is kept).
    func prepare(_ conversation: ConversationHistory) {
        stopPreparing()
        guard !closed else { return }
        let flag = CancellationFlag()
        preparing = flag
        engineQueue.async { [context] in try? context.prepare(conversation, cancellation: flag) }
    }

    /// Stops a prepare in flight: a reply is about to need the cores and the engine's queue.
    func stopPreparing() {
        preparing?.cancel()
        preparing = nil
    }

    func truncate(itemID: String, audioEndMs: Int, eventID: String?) {
        guard let run = lastReply, run.itemID == itemID else {
            return fail(ProtocolError(code: "item_not_found", message: "no assistant item \(itemID) to truncate", eventID: eventID))
        }
        guard audioEndMs >= 0 else {
            return fail(.invalidValue("audio_end_ms", "must be 0 or more (got \(audioEndMs))", eventID: eventID))
        }
        // Clamped to the item's audio: a client may say it played more than there was.
        let endMs = min(audioEndMs, run.audioMs)
        let heard = run.heardText(untilMs: endMs)
        history.truncateLastAssistant(toHeard: heard)
        emit("conversation.item.truncated", ["item_id": itemID, "content_index": 0, "audio_end_ms": endMs])
    }
}

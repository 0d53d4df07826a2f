import Engine

/// Speech over a reply (`InterruptionPolicy`): the reply's audio pauses at once; the words decide
/// whether it stops (the user takes the turn) or goes on where it paused (a backchannel, or no
/// words: a cough, a door). A turn that only acknowledged the reply is not answered, and its
/// words stay out of the reasoner's history.
extension SessionMachine {
    /// The user started speaking (turn `itemID`, at `sample`) while a reply is in progress.
    mutating func speechOverReply(itemID: String, sample: Int, now: ContinuousClock.Instant, into actions: inout [SessionAction]) {
        guard var state = reply, configuration.turnDetection?.interruptResponse ?? true else { return }
        guard configuration.interruptions.pausesFirst, !state.held else {
            return cancelReply(reason: "turn_detected", now: now, into: &actions)
        }
        interruption = Interruption(itemID: itemID, startSample: sample)
        state.playback.pause(at: now)
        reply = state
    }

    /// The streaming recogniser's words so far in a turn spoken over a reply: words that take the
    /// turn stop the reply now, if they are settled or more than one (a single tentative word may
    /// be half of one: "Oh" becoming "Okay"; the audio is paused meanwhile anyway); no words at
    /// all after `falseInterruptionMs` of speech let it play on.
    mutating func interruptionHeard(_ hypothesis: StreamingHypothesis, now: ContinuousClock.Instant, into actions: inout [SessionAction]) {
        guard let interruption, interruption.itemID == turnItemID, reply != nil else { return }
        let policy = configuration.interruptions
        let heard = policy.verdict(hypothesis.text)
        let sure = policy.verdict(hypothesis.confirmedText) == .takesTurn
            || (heard == .takesTurn && InterruptionPolicy.words(hypothesis.text).count > 1)
        if sure {
            self.interruption = nil
            cancelReply(reason: "turn_detected", now: now, into: &actions)
        } else if heard == .noWords,
                  (receivedSamples - interruption.startSample) * 1000 / Self.sampleRate >= policy.falseInterruptionMs {
            resumeReply(now: now, into: &actions)
        }
    }

    /// The final transcript of turn `itemID`. True when it was spoken over a reply and did not
    /// take the turn (no words, or a backchannel): the reply goes on, and the turn is not answered.
    mutating func settleInterruption(of itemID: String, _ result: Result<Transcript, EngineError>, now: ContinuousClock.Instant,
                                     into actions: inout [SessionAction]) -> Bool {
        guard interruption?.itemID == itemID else { return false }
        interruption = nil
        let text = (try? result.get().text) ?? ""
        guard configuration.interruptions.verdict(text) != .takesTurn else {
            cancelReply(reason: "turn_detected", now: now, into: &actions)
            return false
        }
        resumeReply(now: now, into: &actions)
        return true
    }

    /// A paused reply plays on from where the client stopped it.
    mutating func resumeReply(now: ContinuousClock.Instant, into actions: inout [SessionAction]) {
        guard var state = reply, state.playback.isPaused else { return }
        state.playback.resume()
        reply = state
        deliverAudio(now: now, into: &actions)
    }
}

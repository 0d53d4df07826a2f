import Foundation
import AudioIO
import Synchronization

/// Records what one session's server sends, on the client's clock, into the turn it belongs to.
///
/// Events are routed by their ids where they carry them (`item_id` for the user's turn,
/// `response_id` for a reply); Opus binary frames carry none and belong to the reply in
/// progress. Anything the client cannot read (not JSON, no `type`, bad audio) is recorded as
/// an error on the turn at hand, and the run goes on.
final class TurnRecorder: Sendable {
    fileprivate struct State {
        var turns: [TurnRecord] = []
        var finished: Set<Int> = []
        var firstAudio: [Int: Double] = [:]
        /// The turn whose audio is being sent.
        var current: Int?
        /// Turns whose speech has ended and whose response has not yet been created, in order.
        var awaitingResponse: [Int] = []
        /// The turn whose reply the user is talking over, until the server says it heard them.
        var bargeInUnnoticed: Int?
        var turnOfItem: [String: Int] = [:]
        var turnOfResponse: [String: Int] = [:]
        /// The reply in progress: where Opus frames go.
        var openResponse: String?
        /// Responses created before their turn's speech ended.
        var answersToPartOfATurn: Set<String> = []
        /// `rtd.response.timings` by response, until its `response.done`.
        var serverTimings: [String: [String: Double]] = [:]
        var seen: Set<String> = []
        var closedReason: String?
    }

    let configuration: String
    private let origin: ContinuousClock.Instant
    private let state = Mutex(State())

    init(configuration: String, origin: ContinuousClock.Instant) {
        self.configuration = configuration
        self.origin = origin
    }

    /// Seconds since the run began.
    var now: Double { (ContinuousClock.now - origin).seconds }

    var records: [TurnRecord] { state.withLock { $0.turns } }
    var turnCount: Int { state.withLock { $0.turns.count } }
    var closedReason: String? { state.withLock { $0.closedReason } }
    func hasSeen(_ type: String) -> Bool { state.withLock { $0.seen.contains(type) } }
    func isFinished(_ turn: Int) -> Bool { state.withLock { $0.finished.contains(turn) } }
    func firstAudio(_ turn: Int) -> Double? { state.withLock { $0.firstAudio[turn] } }
    /// When a client playing the turn's reply in real time would have finished it.
    func playbackEnd(_ turn: Int) -> Double? { state.withLock { Playback($0.turns[turn].events.sorted { $0.time < $1.time }).end } }
    func unfinishedTurns() -> [Int] { state.withLock { s in s.turns.indices.filter { !s.finished.contains($0) } } }

    /// Starts a turn for `utterance`; it becomes the current one.
    func beginTurn(_ utterance: String) -> Int {
        state.withLock { s in
            s.turns.append(TurnRecord(configuration: configuration, utterance: utterance, events: []))
            s.current = s.turns.count - 1
            return s.turns.count - 1
        }
    }

    /// A connection opened: the session events of the previous one no longer count.
    func connectionOpened() {
        state.withLock { s in
            s.seen = []
            s.closedReason = nil
            s.openResponse = nil
            s.awaitingResponse = []
        }
    }

    func speechEnded(_ turn: Int) {
        let t = now
        state.withLock { s in
            s.turns[turn].events.append(TurnEvent(.speechEnded, at: t))
            s.awaitingResponse.append(turn)
        }
    }

    func bargeIn(_ turn: Int) {
        add(.bargeIn, turn: turn)
        state.withLock { $0.bargeInUnnoticed = turn }
    }

    /// The turn failed on the client's side (connect refused, timeout); it is finished.
    func fail(_ turn: Int, _ reason: String) {
        add(.error, turn: turn, detail: reason)
        state.withLock { _ = $0.finished.insert(turn) }
    }

    /// The connection ended: every turn still waiting fails with `reason`.
    func connectionClosed(_ reason: String) {
        let t = now
        state.withLock { s in
            guard s.closedReason == nil else { return }
            s.closedReason = reason
            for turn in s.turns.indices where !s.finished.contains(turn) {
                s.turns[turn].events.append(TurnEvent(.error, at: t, detail: reason))
                s.finished.insert(turn)
            }
        }
    }

    private func add(_ kind: TurnEvent.Kind, turn: Int, audioSeconds: Double? = nil, detail: String? = nil) {
        let t = now
        state.withLock { $0.turns[turn].events.append(TurnEvent(kind, at: t, audioSeconds: audioSeconds, detail: detail)) }
    }

    // MARK: What the server sends

    func receive(text: String) {
        let t = now
        let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
        state.withLock { s in
            guard let object, let type = object["type"] as? String else {
                return s.recordOnTurnAtHand(TurnEvent(.error, at: t, detail: "malformed_event"))
            }
            s.seen.insert(type)
            s.route(type: type, object, at: t)
        }
    }

    func receive(binary packet: [UInt8]) {
        let t = now
        state.withLock { s in
            guard let response = s.openResponse, let turn = s.turnOfResponse[response] else {
                return s.recordOnTurnAtHand(TurnEvent(.error, at: t, detail: "unexpected_binary_frame"))
            }
            do {
                let samples = try OpusFormat.sampleCount(of: packet)
                s.audio(turn: turn, seconds: Double(samples) / Double(OpusFormat.sampleRate), at: t)
            } catch {
                s.turns[turn].events.append(TurnEvent(.error, at: t, detail: "invalid_opus_packet"))
            }
        }
    }
}

extension TurnRecorder.State {
    fileprivate mutating func route(type: String, _ event: [String: Any], at t: Double) {
        let itemID = event["item_id"] as? String
        let responseID = event["response_id"] as? String
        switch type {
        case "input_audio_buffer.speech_started":
            if let itemID, let current { turnOfItem[itemID] = current }
            if let interrupted = bargeInUnnoticed {
                turns[interrupted].events.append(TurnEvent(.bargeInNoticed, at: t))
                bargeInUnnoticed = nil
            }
        case "input_audio_buffer.speech_stopped":
            userTurn(itemID).map { turns[$0].events.append(TurnEvent(.turnEnded, at: t)) }
        case "conversation.item.input_audio_transcription.delta":
            userTurn(itemID).map { turns[$0].events.append(TurnEvent(.partialTranscript, at: t)) }
        case "conversation.item.input_audio_transcription.completed":
            userTurn(itemID).map { turns[$0].events.append(TurnEvent(.finalTranscript, at: t, detail: event["transcript"] as? String)) }
        case "response.created":
            guard let id = (event["response"] as? [String: Any])?["id"] as? String else {
                return recordOnTurnAtHand(TurnEvent(.error, at: t, detail: "malformed_event"))
            }
            let turn = awaitingResponse.isEmpty ? (current ?? turns.indices.last) : awaitingResponse.removeFirst()
            if let turn {
                turnOfResponse[id] = turn
                // The server answered before the user finished (a turn cut at a pause): that
                // reply's end is not the turn's.
                if !turns[turn].events.contains(where: { $0.kind == .speechEnded }) { answersToPartOfATurn.insert(id) }
            }
            openResponse = id
        case "rtd.response.reasoning.delta":
            responseTurn(responseID).map { turns[$0].events.append(TurnEvent(.reasoningDelta, at: t)) }
        case "response.output_audio_transcript.delta":
            responseTurn(responseID).map { turns[$0].events.append(TurnEvent(.answerDelta, at: t)) }
        case "response.output_audio_transcript.done":
            responseTurn(responseID).map { turns[$0].events.append(TurnEvent(.answerText, at: t, detail: event["transcript"] as? String)) }
        case "response.output_audio.delta":
            guard let turn = responseTurn(responseID) else { return }
            guard let base64 = event["delta"] as? String, let bytes = Data(base64Encoded: base64) else {
                return turns[turn].events.append(TurnEvent(.error, at: t, detail: "malformed_audio"))
            }
            audio(turn: turn, seconds: Double(bytes.count / 2) / 24_000, at: t)
        case "rtd.response.timings":
            // This daemon's extension, asked for in the URL: the server's own timings, just before response.done.
            if let id = event["response_id"] as? String, let timings = event["timings_ms"] as? [String: Any] {
                serverTimings[id] = timings.compactMapValues { ($0 as? NSNumber)?.doubleValue }
                // A speculative reply's stages as they happened (negative: before the turn's end).
                for (stage, ms) in event["speculative_timings_ms"] as? [String: Any] ?? [:] {
                    if let ms = (ms as? NSNumber)?.doubleValue { serverTimings[id]?["speculative.\(stage)"] = ms }
                }
            }
        case "response.done":
            let response = event["response"] as? [String: Any]
            let id = response?["id"] as? String
            guard let turn = responseTurn(id) else { return }
            let timings = id.flatMap { serverTimings.removeValue(forKey: $0) }
            turns[turn].events.append(TurnEvent(.responseDone, at: t, detail: response?["status"] as? String ?? "unknown", serverTimingsMs: timings))
            if openResponse == id { openResponse = nil }
            if let id, answersToPartOfATurn.remove(id) != nil { return }
            finished.insert(turn)
        case "error":
            let code = (event["error"] as? [String: Any])?["code"] as? String ?? "error"
            recordOnTurnAtHand(TurnEvent(.error, at: t, detail: code))
        default:
            break
        }
    }

    fileprivate mutating func audio(turn: Int, seconds: Double, at t: Double) {
        turns[turn].events.append(TurnEvent(.audio, at: t, audioSeconds: seconds))
        if firstAudio[turn] == nil { firstAudio[turn] = t }
    }

    /// The turn an input event belongs to: by its item, else the one being spoken.
    private func userTurn(_ itemID: String?) -> Int? { itemID.flatMap { turnOfItem[$0] } ?? current }

    /// The turn a response event belongs to: by its response id, else the reply in progress.
    private func responseTurn(_ responseID: String?) -> Int? { (responseID ?? openResponse).flatMap { turnOfResponse[$0] } }

    /// Errors without an id go to the reply in progress, else the turn being spoken.
    fileprivate mutating func recordOnTurnAtHand(_ event: TurnEvent) {
        guard let turn = openResponse.flatMap({ turnOfResponse[$0] }) ?? current ?? turns.indices.last else { return }
        turns[turn].events.append(event)
    }
}

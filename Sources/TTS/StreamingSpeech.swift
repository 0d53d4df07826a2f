import Dispatch
import Engine
import Foundation
import AudioIO
import Streaming
import Synchronization

/// One piece of a spoken reply, ready to play.
public struct SpeechChunk: Sendable {
    public var samples: [Float]
    public var sampleRate: Int
    /// The clause it says.
    public var text: String
    public var index: Int
    /// Compute time of this chunk.
    public var synthesisSeconds: Double
}

/// Think while speaking, the voice's half: answer text is fed as it is written, cut into
/// clauses (`ClauseChunker`), and each clause is synthesised on a worker thread as soon as it is
/// complete, so the first audio comes while the rest is still being written.
///
/// A clause's audio comes in pieces (its first ~0.37 s as soon as decoded, then the rest; see
/// `VITSModel.firstWindowFrames`). Clauses join without clicks: each starts and ends with a 4 ms
/// fade (Piper's clause audio begins and ends in near-silence, so nothing audible is lost), and
/// one streaming resampler carries its state across pieces when the output rate differs from
/// the voice's. The listener is called on the worker thread, under the speech's lock: it must
/// not call back into this object (hand the samples to a queue or ring buffer). `cancel()`
/// drops the queue and stops the clause being synthesised at its next stage; no chunk is
/// delivered after it returns.
public final class StreamingSpeech: @unchecked Sendable {
    public typealias Listener = @Sendable (SpeechChunk) -> Void

    private struct State {
        var chunker = ClauseChunker()
        var queue: [String] = []
        var finishing = false
        /// `finish()` was called for the text fed so far (new text starts a new one).
        var textEnded = false
        var closed = false
        var generation = 0
        var inFlight: CancellationFlag?
        var index = 0
        /// When the reply's first audio went out, and how much has gone out since: a later
        /// clause is needed by the time that audio has played (its deadline in the scheduler).
        var firstDelivered: ContinuousClock.Instant?
        var deliveredSeconds = 0.0
        var failure: TTSError?
    }

    public let voice: SpeechVoice
    public let outputRate: Int
    /// Where each clause's synthesis takes its turn: the first as the reply's first audio,
    /// later ones by when the audio ahead of them runs out.
    public let scheduler: EngineScheduler
    /// Whether the audio is played as it comes (a session's reply): later clauses are then
    /// synthesised when they are about to be needed (`lookahead`), not as fast as possible.
    public let pacedByPlayback: Bool
    private let listener: Listener
    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)
    private let done = DispatchSemaphore(value: 0)
    private let resampler: Mutex<Resampler?>
    static let fadeSeconds = 0.004
    /// A later clause is synthesised no earlier than this before the audio ahead of it runs out:
    /// replies are written much faster than they are spoken, and synthesising one far ahead
    /// would only take the cores from other sessions' urgent work (and be wasted by a barge-in).
    static let lookahead: Duration = .milliseconds(1_500)

    public init(voice: SpeechVoice, outputRate: Int? = nil, scheduler: EngineScheduler = EngineScheduler(), pacedByPlayback: Bool = false,
                listener: @escaping Listener) throws(TTSError) {
        self.voice = voice
        self.outputRate = outputRate ?? voice.sampleRate
        self.scheduler = scheduler
        self.pacedByPlayback = pacedByPlayback
        self.listener = listener
        if self.outputRate != voice.sampleRate {
            do { resampler = Mutex(try Resampler(from: voice.sampleRate, to: self.outputRate)) } catch {
                throw .model("cannot resample \(voice.sampleRate) Hz to \(self.outputRate) Hz: \(error)")
            }
        } else {
            resampler = Mutex(nil)
        }
        let thread = Thread { [weak self] in self?.workerLoop() }
        thread.name = "tts"
        thread.start()
    }

    deinit { close() }

    /// Adds answer text (any amount, any thread).
    public func feed(_ text: String) {
        let added = state.withLock { s -> Bool in
            if !text.isEmpty { s.textEnded = false }
            let pieces = s.chunker.feed(text)
            s.queue += pieces
            return !pieces.isEmpty
        }
        if added { wake.signal() }
    }

    /// Speaks a text that is already complete (`speak`): its first clause is not cut early,
    /// since nothing is being waited for, and the text ends with it.
    public func say(_ text: String) {
        state.withLock { $0.chunker.cutsFirstPieceEarly = false }
        feed(text)
        finish()
    }

    /// Ends the text: the rest becomes the last clause. `waitUntilDone` then returns once it
    /// has been spoken.
    /// Calling it again does nothing (an engine may end its answer before its reply ends).
    public func finish() {
        let first = state.withLock { s -> Bool in
            guard !s.textEnded else { return false }
            s.textEnded = true
            if let rest = s.chunker.finish() { s.queue.append(rest) }
            s.finishing = true
            return true
        }
        if first { wake.signal() }
    }

    /// Stops at once: queued clauses are dropped and the one being synthesised is abandoned.
    public func cancel() {
        let wasFinishing = state.withLock { s in
            let wasFinishing = s.finishing
            s.generation += 1
            s.queue = []
            s.chunker = ClauseChunker()
            s.inFlight?.cancel()
            s.finishing = false
            s.textEnded = false
            s.index = 0
            s.firstDelivered = nil
            s.deliveredSeconds = 0
            return wasFinishing
        }
        // A waiter for the text cancelled here is released (it would otherwise wait forever).
        if wasFinishing { done.signal() }
        resampler.withLock { r in
            if let rate = r?.inputRate, let out = r?.outputRate { r = try? Resampler(from: rate, to: out) }
        }
        wake.signal()
    }

    /// Blocks until everything fed before `finish()` has been delivered or cancelled; returns
    /// the first synthesis error, if any.
    public func waitUntilDone() -> TTSError? {
        done.wait()
        return state.withLock { $0.failure }
    }

    public func close() {
        state.withLock { s in
            s.closed = true
            s.inFlight?.cancel()
        }
        wake.signal()
    }

    private enum Job { case clause(String, generation: Int, flag: CancellationFlag, index: Int), finished(index: Int), wait, exit }

    private func nextJob() -> Job {
        state.withLock { s -> Job in
            if s.closed { return .exit }
            if !s.queue.isEmpty {
                let clause = s.queue.removeFirst()
                let flag = CancellationFlag()
                s.inFlight = flag
                s.index += 1
                return .clause(clause, generation: s.generation, flag: flag, index: s.index - 1)
            }
            if s.finishing {
                s.finishing = false
                defer {
                    s.index = 0
                    s.firstDelivered = nil
                    s.deliveredSeconds = 0
                }
                return .finished(index: s.index)
            }
            return .wait
        }
    }

    private func workerLoop() {
        while true {
            switch nextJob() {
            case .exit: return
            case .wait: wake.wait()
            case let .finished(index):
                // Drain the resampler's tail into a last (short) chunk.
                let tail = resampler.withLock { r -> [Float] in (try? r?.flush()) ?? [] }
                if !tail.isEmpty {
                    listener(SpeechChunk(samples: tail, sampleRate: outputRate, text: "", index: index, synthesisSeconds: 0))
                }
                done.signal()
            case let .clause(text, generation, flag, index):
                let started = ContinuousClock.now
                var first = true
                do throws(TTSError) {
                    let deliver = { [self] (piece: [Float], isLast: Bool) in
                        var audio = piece
                        let fade = Int(Self.fadeSeconds * Double(voice.sampleRate))
                        if first { Self.fade(&audio, samples: fade, in: true) }
                        if isLast { Self.fade(&audio, samples: fade, in: false) }
                        first = false
                        if let converted = resampler.withLock({ r in try? r?.process(audio) }) { audio = converted }
                        let chunk = SpeechChunk(samples: audio, sampleRate: outputRate, text: text, index: index,
                                                synthesisSeconds: (ContinuousClock.now - started).seconds)
                        // Deliver only if no cancel came in meanwhile; the check and the call are
                        // ordered by the lock, so nothing is delivered after cancel() returns.
                        state.withLock { s in
                            guard s.generation == generation && !audio.isEmpty else { return }
                            if s.firstDelivered == nil { s.firstDelivered = .now }
                            s.deliveredSeconds += Double(audio.count) / Double(outputRate)
                            listener(chunk)
                        }
                    }
                    // Only the first clause of a reply is worth splitting for an earlier start:
                    // later ones are ready before the audio ahead of them has played.
                    let deadline = state.withLock { s in s.firstDelivered.map { $0 + .milliseconds(Int(s.deliveredSeconds * 1000)) } }
                    if pacedByPlayback, index > 0, let deadline { try Self.wait(until: deadline - Self.lookahead, cancellation: flag) }
                    let (turn, _) = try scheduler.perform(index == 0 ? .firstAudio : .nextClause, deadline: deadline, cancellation: flag) {
                        () throws(TTSError) in
                        if index == 0 {
                            try voice.synthesize(text, cancellation: flag, onAudio: deliver)
                        } else {
                            deliver(try voice.synthesize(text, cancellation: flag), true)
                        }
                    }
                    if turn == .cancelled { throw TTSError.cancelled }
                    state.withLock { $0.inFlight = nil }
                } catch .cancelled {
                    state.withLock { $0.inFlight = nil }
                } catch {
                    state.withLock { s in
                        s.inFlight = nil
                        if s.failure == nil { s.failure = error }
                    }
                }
            }
        }
    }

    /// Sleeps until `instant` (already past: returns at once), waking for a cancellation.
    static func wait(until instant: ContinuousClock.Instant, cancellation: CancellationFlag) throws(TTSError) {
        while ContinuousClock.now < instant {
            if cancellation.isCancelled { throw .cancelled }
            let left = (instant - ContinuousClock.now).seconds
            Thread.sleep(forTimeInterval: min(0.02, max(0, left)))
        }
        if cancellation.isCancelled { throw .cancelled }
    }

    /// A linear fade over the first (`in`) or last `samples` samples.
    static func fade(_ audio: inout [Float], samples: Int, in fadeIn: Bool) {
        let n = min(samples, audio.count)
        guard n > 0 else { return }
        for i in 0..<n {
            let g = Float(i) / Float(n)
            if fadeIn { audio[i] *= g } else { audio[audio.count - 1 - i] *= g }
        }
    }
}

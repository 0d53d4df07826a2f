import Dispatch
import Foundation
import Synchronization

/// What the streaming transcriber currently believes was said.
public struct StreamingHypothesis: Sendable, Equatable {
    /// Settled text: it only ever grows during an utterance (a reasoner may prefill it).
    public var confirmedText: String
    /// The rest of the latest run's text, which may still change.
    public var tentativeText: String
    public var confirmedTokens: [Int]
    /// Audio covered by the run, in seconds from the start of the utterance.
    public var audioSeconds: Double
    /// Compute time of the run.
    public var runSeconds: Double
    public var isFinal: Bool

    public var text: String {
        [confirmedText, tentativeText].filter { !$0.isEmpty }.joined(separator: " ")
    }
}

/// Listen while thinking: recognises an utterance while it is still being spoken.
///
/// Audio is appended as it arrives (any thread, cheap). A worker thread re-runs the recogniser
/// on the whole utterance so far every `cadence` seconds of new audio; when a run takes longer
/// than the cadence, the next one simply starts on everything that arrived meanwhile, so the
/// transcriber skips steps instead of queueing them and never falls behind. Successive runs
/// confirm a stable prefix (`TranscriptAgreement`), which later runs take as a forced prefix.
/// `finish` cancels a run in flight and makes one last run whose work is the encoder plus the
/// unconfirmed tail.
///
/// Utterances longer than one window are cut at a quiet moment near 28 s; the part before the
/// cut is transcribed once and becomes confirmed text.
public final class StreamingTranscriber: @unchecked Sendable {
    public struct Options: Sendable {
        /// Seconds of new audio between runs.
        public var cadence: Double = 0.5
        /// No run before this much audio.
        public var minimumAudio: Double = 0.3
        /// A segment is cut when the utterance reaches this many seconds.
        public var segmentLimit: Double = 28
        public init() {}
    }

    public typealias Listener = @Sendable (StreamingHypothesis) -> Void

    private struct State {
        var audio: [Float] = []
        /// Text of finished segments of this utterance (utterances longer than one window).
        var committedText = ""
        var audioBeforeSegment = 0
        var agreement: TranscriptAgreement
        var samplesAtLastRun = 0
        var finishing: (@Sendable (Result<Transcript, EngineError>) -> Void)?
        var closed = false
        var inFlight: CancellationFlag?
        var generation = 0
        var skippedSteps = 0
    }

    public let transcriber: WhisperTranscriber
    public let options: Options
    /// Where its passes take their turn: partial ones are skipped when they wait longer than
    /// the cadence (the machine is busy with more urgent work), the last one is urgent.
    public let scheduler: EngineScheduler
    private let listener: Listener
    private let state: Mutex<State>
    private let wake = DispatchSemaphore(value: 0)
    private let sampleRate = Double(LogMelSpectrogram.sampleRate)

    public init(transcriber: WhisperTranscriber, options: Options = Options(), scheduler: EngineScheduler = EngineScheduler(),
                listener: @escaping Listener = { _ in }) {
        self.transcriber = transcriber
        self.options = options
        self.scheduler = scheduler
        self.listener = listener
        let vocabulary = transcriber.model.vocabulary
        let startsWord: @Sendable (Int) -> Bool = { id in
            id < vocabulary.endOfText && (vocabulary.tokens[id].first == "Ġ")
        }
        state = Mutex(State(agreement: TranscriptAgreement(startsWord: startsWord)))
        let thread = Thread { [weak self] in self?.workerLoop() }
        thread.name = "streaming-asr"
        thread.start()
    }

    deinit { close() }

    /// Stops the worker; pending work is dropped.
    public func close() {
        state.withLock { s in
            s.closed = true
            s.inFlight?.cancel()
        }
        wake.signal()
    }

    /// Appends 16 kHz mono samples of the current utterance.
    public func append(_ samples: [Float]) {
        let due = state.withLock { s -> Bool in
            s.audio += samples
            let newAudio = Double(s.audio.count - s.samplesAtLastRun) / sampleRate
            return s.inFlight == nil && newAudio >= options.cadence && Double(s.audio.count) / sampleRate >= options.minimumAudio
        }
        if due { wake.signal() }
    }

    /// Seconds of audio in the current utterance.
    public var audioSeconds: Double {
        state.withLock { s in Double(s.audioBeforeSegment + s.audio.count) / sampleRate }
    }

    /// The utterance's settled tokens so far (what a last run may take as its forced prefix);
    /// empty once the utterance has been cut into segments.
    public var confirmedTokens: [Int] {
        state.withLock { s in s.audioBeforeSegment == 0 ? s.agreement.confirmed : [] }
    }

    /// Cadence steps that were skipped because a run was still going.
    public var skippedSteps: Int { state.withLock { $0.skippedSteps } }

    /// Ends the utterance: cancels a run in flight and calls `completion` (on the worker thread)
    /// with the final transcript. The transcriber is then ready for the next utterance.
    public func finish(_ completion: @escaping @Sendable (Result<Transcript, EngineError>) -> Void) {
        state.withLock { s in
            s.finishing = completion
            s.inFlight?.cancel()
        }
        wake.signal()
    }

    public func finish() async throws(EngineError) -> Transcript {
        let result = await withCheckedContinuation { continuation in
            finish { continuation.resume(returning: $0) }
        }
        return try result.get()
    }

    /// Forgets the current utterance without transcribing it.
    public func reset() {
        state.withLock { s in
            s.inFlight?.cancel()
            Self.clear(&s)
        }
    }

    private static func clear(_ s: inout State) {
        s.audio = []
        s.committedText = ""
        s.audioBeforeSegment = 0
        s.agreement.reset()
        s.samplesAtLastRun = 0
        s.generation += 1
    }

    private enum Job {
        case partial(audio: [Float], prefix: [Int], generation: Int, flag: CancellationFlag)
        case segment(audio: [Float], generation: Int)
        case final(audio: [Float], prefix: [Int], committed: String, offset: Int,
                   completion: @Sendable (Result<Transcript, EngineError>) -> Void)
        case exit
        case wait
    }

    private func nextJob() -> Job {
        state.withLock { s -> Job in
            if s.closed { return .exit }
            if let completion = s.finishing {
                s.finishing = nil
                let job = Job.final(audio: s.audio, prefix: s.agreement.confirmed, committed: s.committedText,
                                    offset: s.audioBeforeSegment, completion: completion)
                Self.clear(&s)
                return job
            }
            let seconds = Double(s.audio.count) / sampleRate
            if seconds >= options.segmentLimit {
                let cut = WhisperTranscriber.quietestCut(s.audio, from: s.audio.count - Int(2 * sampleRate), to: s.audio.count)
                let segment = Array(s.audio[..<cut])
                s.audio.removeFirst(cut)
                s.audioBeforeSegment += cut
                s.agreement.reset()
                s.samplesAtLastRun = 0
                return .segment(audio: segment, generation: s.generation)
            }
            let newAudio = Double(s.audio.count - s.samplesAtLastRun) / sampleRate
            guard newAudio >= options.cadence, seconds >= options.minimumAudio else { return .wait }
            // Count the cadence steps this run covers beyond one: those were skipped.
            s.skippedSteps += max(0, Int(newAudio / options.cadence) - 1)
            s.samplesAtLastRun = s.audio.count
            let flag = CancellationFlag()
            s.inFlight = flag
            return .partial(audio: s.audio, prefix: s.agreement.confirmed, generation: s.generation, flag: flag)
        }
    }

    private func workerLoop() {
        while true {
            switch nextJob() {
            case .exit:
                return
            case .wait:
                wake.wait()
            case let .partial(audio, prefix, generation, flag):
                let started = ContinuousClock.now
                let (turn, result) = scheduler.perform(.partialTranscript, shedAfter: .milliseconds(Int(options.cadence * 1000)), cancellation: flag) {
                    Result { () throws(EngineError) in try transcriber.transcribe(audio, prefix: prefix, cancellation: flag) }
                }
                let hypothesis = state.withLock { s -> StreamingHypothesis? in
                    s.inFlight = nil
                    if turn == .shed { s.skippedSteps += 1 }
                    guard s.generation == generation, case let .success(transcript)? = result else { return nil }
                    s.agreement.update(with: transcript.tokens)
                    let vocabulary = transcriber.model.vocabulary
                    let confirmed = Self.join(s.committedText, vocabulary.text(s.agreement.confirmed))
                    return StreamingHypothesis(
                        confirmedText: confirmed, tentativeText: vocabulary.text(s.agreement.previousTail).trimmingCharacters(in: .whitespaces),
                        confirmedTokens: s.agreement.confirmed, audioSeconds: Double(s.audioBeforeSegment + audio.count) / sampleRate,
                        runSeconds: (ContinuousClock.now - started).seconds, isFinal: false)
                }
                if let hypothesis { listener(hypothesis) }
            case let .segment(audio, generation):
                let (_, result) = scheduler.perform(.prefill) { Result { () throws(EngineError) in try transcriber.transcribe(audio) } }
                if case let .success(transcript)? = result {
                    state.withLock { s in
                        if s.generation == generation { s.committedText = Self.join(s.committedText, transcript.text) }
                    }
                }
            case let .final(audio, prefix, committed, offset, completion):
                let started = ContinuousClock.now
                do throws(EngineError) {
                    let (_, result) = scheduler.perform(.finalTranscript) { Result { () throws(EngineError) in try transcriber.transcribe(audio, prefix: prefix) } }
                    guard var transcript = try result?.get() else { throw EngineError.cancelled }
                    transcript.text = Self.join(committed, transcript.text)
                    transcript.audioSeconds = Double(offset + audio.count) / sampleRate
                    listener(StreamingHypothesis(confirmedText: transcript.text, tentativeText: "", confirmedTokens: transcript.tokens,
                                                 audioSeconds: transcript.audioSeconds, runSeconds: (ContinuousClock.now - started).seconds,
                                                 isFinal: true))
                    completion(.success(transcript))
                } catch {
                    completion(.failure(error))
                }
            }
        }
    }

    private static func join(_ a: String, _ b: String) -> String {
        let b = b.trimmingCharacters(in: .whitespaces)
        return a.isEmpty ? b : (b.isEmpty ? a : a + " " + b)
    }
}

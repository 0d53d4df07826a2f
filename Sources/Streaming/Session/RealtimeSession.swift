import AudioIO
import Dispatch
import Engine
import Foundation
import Synchronization

/// One conversation (PROTOCOL.md): runs a `SessionMachine` and performs what it decides. Audio
/// and events come in from a transport (or the local loop), events and reply audio go out
/// through `sink`; the models' work goes to the recogniser, the reasoner and the voice, whose
/// results come back as inputs to the machine.
///
/// Every method may be called from any thread; the machine lives on one serial queue. Model work
/// runs on the recogniser's thread, the session's engine queue and the voice's thread, never on
/// the caller's, and takes its turn in the engine's scheduler with every other session's.
public final class RealtimeSession: @unchecked Sendable {
    public typealias Sink = @Sendable (SessionOutput) -> Void

    public var id: String { sessionID }
    public let services: SessionServices
    private let sessionID: String
    private let sink: Sink
    private let queue = DispatchQueue(label: "session")
    private let engineQueue = DispatchQueue(label: "session-engine", qos: .userInitiated)
    private let atPauseQueue = DispatchQueue(label: "session-pause", qos: .userInitiated)
    private let context: any ReplyContext
    private var machine: SessionMachine
    private var streaming: StreamingTranscriber!
    private var resampler: (rate: Int, resampler: Resampler)?
    /// Replies running now: what stops them.
    private var running: [ReplyID: (cancellation: CancellationFlag, speech: (any ReplySpeech)?)] = [:]
    /// Stops the reasoner's listen-while-thinking prefill in flight.
    private var preparing: CancellationFlag?
    /// When a tick is already scheduled.
    private var tickAt: ContinuousClock.Instant?
    /// Stops transcriptions started at pauses.
    private var atPause: [Int: CancellationFlag] = [:]
    /// Client input queued on `queue` and not yet handled, in bytes (the transport's back-pressure).
    private let backlog = Atomic<Int>(0)
    /// Whether the input is Opus, readable from any thread without waiting for the queue.
    private let opusInput = Atomic<Bool>(false)

    public init(services: SessionServices, configuration: SessionConfiguration = SessionConfiguration(),
                extensions: Set<ProtocolExtension> = [], sink: @escaping Sink) {
        sessionID = "sess_" + Self.randomID()
        self.services = services
        self.sink = sink
        machine = SessionMachine(sessionID: sessionID, configuration: configuration, extensions: extensions,
                                 hearsAudio: services.engine.hearsAudio, supportsTools: services.engine.supportsTools, engineName: services.engine.name,
                                 server: ["name": services.serverName, "version": services.serverVersion, "protocol": 2])
        context = services.engine.makeContext()
        opusInput.store(configuration.inputFormat == .opus, ordering: .relaxed)
        streaming = StreamingTranscriber(transcriber: services.transcriber, scheduler: services.scheduler) { [weak self] hypothesis in
            guard let self else { return }
            queue.async { self.step(.partial(hypothesis)) }
        }
        queue.async { [self] in perform(machine.start()) }
    }

    deinit { streaming?.close() }

    /// Ends the session: the reply in progress is cancelled, and so is every piece of work
    /// started for it (a prefill, a transcription at a pause); workers stop. Returns once done.
    public func close() async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            queue.async { [self] in
                step(.close)
                done.resume()
            }
        }
    }

    /// `close` for callers on a thread of their own (not the cooperative pool).
    public func closeAndWait() {
        queue.sync { step(.close) }
    }

    /// How the client sends audio now (binary Opus frames or base64 PCM events).
    public var inputFormat: AudioFormat { opusInput.load(ordering: .relaxed) ? .opus : .pcm24k }

    /// Bytes of client input waiting to be handled.
    public var backlogBytes: Int { backlog.load(ordering: .relaxed) }

    /// Waits until everything queued so far has been handled (tests, shutdown).
    public func drain() { queue.sync {} }

    // MARK: Input

    /// `bytes`: the size of the client's message, counted in `backlogBytes` until handled.
    public func handle(_ event: ClientEvent, eventID: String? = nil, bytes: Int = 0) {
        enqueue(bytes: bytes) { [self] in
            if case .appendAudio(let base64) = event, machine.configuration.inputFormat == .pcm24k {
                do { receive(try SampleConversion.base64PCM16ToFloat(base64), rate: AudioFormat.pcm24k.sampleRate) } catch {
                    step(.transportError(.invalidValue("audio", "not base64 16-bit PCM: \(error)", eventID: eventID)))
                }
                return
            }
            step(.client(event, eventID: eventID))
            opusInput.store(machine.configuration.inputFormat == .opus, ordering: .relaxed)
        }
    }

    /// Audio at the input format's rate (decoded from base64 PCM or Opus by the transport), or
    /// at `sampleRate` (the local loop's microphone gives 16 kHz, which needs no resampling).
    public func appendAudio(_ samples: [Float], sampleRate: Int? = nil) {
        enqueue(bytes: samples.count * 4) { [self] in
            receive(samples, rate: sampleRate ?? machine.configuration.inputFormat.sampleRate)
        }
    }

    /// Reports an error found by the transport (a bad frame), keeping the session going.
    public func reportError(_ error: ProtocolError) {
        queue.async { [self] in step(.transportError(error)) }
    }

    private func enqueue(bytes: Int, _ work: @escaping @Sendable () -> Void) {
        backlog.add(bytes, ordering: .relaxed)
        queue.async { [self] in
            defer { backlog.subtract(bytes, ordering: .relaxed) }
            work()
        }
    }

    private func receive(_ samples: [Float], rate: Int) {
        guard rate != SessionMachine.sampleRate else { return step(.audio(samples)) }
        if resampler?.rate != rate {
            resampler = (try? Resampler(from: rate, to: SessionMachine.sampleRate)).map { (rate, $0) }
        }
        guard let converted = try? resampler?.resampler.process(samples) else {
            return step(.transportError(ProtocolError(type: "server_error", code: "resampling", message: "cannot resample the input audio")))
        }
        step(.audio(converted))
    }

    /// One input through the machine, and its actions performed. On `queue` only.
    private func step(_ input: SessionInput) {
        perform(machine.handle(input, now: .now))
        scheduleTick()
    }

    /// Comes back when the machine has audio to send at a later time (paced reply audio).
    private func scheduleTick() {
        let now = ContinuousClock.now
        guard let due = machine.nextTick(after: now), tickAt.map({ due < $0 }) ?? true else { return }
        tickAt = due
        queue.asyncAfter(deadline: .now() + max(0, (due - now).seconds)) { [weak self] in
            guard let self else { return }
            if tickAt == due { tickAt = nil }
            step(.tick)
        }
    }

    // MARK: Actions

    private func perform(_ actions: [SessionAction]) {
        for action in actions {
            switch action {
            case .output(let output): sink(output)
            case .transcriberAppend(let samples): streaming.append(samples)
            case .transcriberReset: streaming.reset()
            case let .transcriberFinish(itemID, evidence):
                streaming.finish { [weak self] result in
                    guard let self else { return }
                    queue.async { self.step(.transcribed(itemID: itemID, result: result, evidence: evidence)) }
                }
            case let .transcribeAtPause(serial, audio, evidence): transcribeAtPause(serial, audio: audio, evidence: evidence)
            case .cancelTranscriptionAtPause(let serial): atPause.removeValue(forKey: serial)?.cancel()
            case let .estimateEndOfTurn(serial, history): estimateEndOfTurn(serial, history)
            case .prepare(let history): prepare(history)
            case .stopPreparing: stopPreparing()
            case .startReply(let request): startReply(request)
            case .stopReply(let id):
                guard let reply = running.removeValue(forKey: id) else { continue }
                reply.cancellation.cancel()
                reply.speech?.cancel()
            case .shutDown:
                stopPreparing()
                for flag in atPause.values { flag.cancel() }
                atPause = [:]
                streaming.close()
            }
        }
    }

    /// The turn up to a pause, transcribed as urgently as the end of a turn (a reply waits for it),
    /// starting from the streaming recogniser's settled words.
    private func transcribeAtPause(_ serial: Int, audio: [Float], evidence: AcousticEvidence) {
        let prefix = streaming.confirmedTokens
        let flag = CancellationFlag()
        atPause[serial] = flag
        let (transcriber, scheduler) = (services.transcriber, services.scheduler)
        atPauseQueue.async { [weak self] in
            let (_, outcome) = scheduler.perform(.finalTranscript, cancellation: flag) {
                Result { () throws(EngineError) in try transcriber.transcribe(audio, prefix: prefix, cancellation: flag) }
            }
            guard let self else { return }
            queue.async {
                self.atPause.removeValue(forKey: serial)
                self.step(.transcribedAtPause(serial: serial, result: outcome ?? .failure(.cancelled), evidence: evidence))
            }
        }
    }

    /// Listen while thinking: the reasoner computes ahead what `history` will not change, on the
    /// engine queue. A newer call, or a reply starting, stops the one before.
    private func prepare(_ history: ConversationHistory) {
        stopPreparing()
        let flag = CancellationFlag()
        preparing = flag
        engineQueue.async { [context] in try? context.prepare(history, cancellation: flag) }
    }

    /// `semantic_vad`'s question to the reasoner, on the engine queue: ahead of the reply that
    /// was started with the same words, which then finds them computed.
    private func estimateEndOfTurn(_ serial: Int, _ history: ConversationHistory) {
        engineQueue.async { [weak self, context] in
            let probability = (try? context.endOfTurnProbability(history)) ?? nil
            guard let self else { return }
            queue.async { self.step(.endOfTurnEstimated(serial: serial, probability: probability)) }
        }
    }

    private func stopPreparing() {
        preparing?.cancel()
        preparing = nil
    }

    /// Generates and speaks a reply: the engine's text goes to the voice as it is written and to
    /// the machine as events; the voice's audio comes back clause by clause.
    private func startReply(_ request: ReplyRequest) {
        let id = request.id
        let cancellation = CancellationFlag()
        var speech: (any ReplySpeech)?
        if request.speaks {
            do {
                speech = try services.voice.makeSpeech(outputRate: request.outputRate) { [weak self] samples, clause, index in
                    guard let self else { return }
                    queue.async { self.step(.replyAudio(id, samples: samples, clause: clause, index: index)) }
                }
            } catch {
                return step(.replyEnded(id, ReplyOutcome(status: .failed), failure: "the voice failed: \(error)"))
            }
        }
        running[id] = (cancellation, speech)
        engineQueue.async { [weak self, context, speech] in
            let outcome = context.reply(to: request.conversation, evidence: request.evidence, audio: request.audio, settings: request.settings,
                                        cancellation: cancellation) { event in
                switch event {
                case .answer(let text): speech?.feed(text)
                case .answerComplete: speech?.finish()
                case .reasoning, .functionCall: break
                }
                guard let self else { return }
                self.queue.async { self.step(.reply(id, event)) }
            }
            var failure: (any Error)?
            if let speech, !cancellation.isCancelled {
                speech.finish()
                failure = speech.waitUntilSpoken()
            }
            speech?.close()
            guard let self else { return }
            self.queue.async { [failure] in
                self.running.removeValue(forKey: id)
                self.step(.replyEnded(id, outcome, failure: failure.map { "the voice failed: \($0)" }))
            }
        }
    }

    static func randomID() -> String {
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        return String((0..<16).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] })
    }
}

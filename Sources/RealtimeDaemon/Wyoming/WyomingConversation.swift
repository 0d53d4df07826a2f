import AudioIO
import Dispatch
import Engine
import Foundation
import Streaming
import Synchronization
import TTS

/// 16-bit mono audio at `rate`, as Wyoming's audio events describe it.
struct WyomingAudioFormat: Sendable {
    var rate: Int
    var fields: [String: Any] { ["rate": rate, "width": 2, "channels": 1] }
}

/// One Wyoming connection's side of the engines: speech to text (`transcribe`, `audio-*` →
/// `transcript`), text to speech (`synthesize`, or streamed `synthesize-start/chunk/stop`, →
/// `audio-*`), and conversation (`transcript` → `handled`, with the sessions' reply settings), through the same models and
/// scheduler as the WebSocket sessions. Events come in one at a time from the connection's
/// task; what is sent goes to `emit` (from any thread). Model work runs off the cooperative pool.
final class WyomingConversation: @unchecked Sendable {
    private let services: SessionServices
    private let emit: @Sendable (WyomingEvent) -> Void
    private let context: any ReplyContext
    private var history: ConversationHistory
    private let replySettings: ReplySettings
    /// The audio of the utterance being sent, at 16 kHz.
    private var audio: [Float] = []
    private var format: (rate: Int, width: Int, channels: Int)?
    private var resampler: Resampler?
    private var language: String? = "en"
    /// The utterance's words while it is still coming (`transcript-chunk`s).
    private var partials: PartialTranscripts?
    /// The synthesis that `synthesize-start` began, fed by `synthesize-chunk`.
    private var streamedSpeech: StreamingSpeech?

    /// Longest utterance taken (the recogniser's window; Home Assistant's pipelines send seconds).
    static let maximumSeconds = 30.0

    init(services: SessionServices, defaults: SessionConfiguration, emit: @escaping @Sendable (WyomingEvent) -> Void) {
        self.services = services
        replySettings = defaults.reply
        self.emit = emit
        context = services.engine.makeContext()
        history = ConversationHistory(system: defaults.instructions, tokenBudget: defaults.historyTokens, reservedForReply: defaults.replyTokens)
    }

    var voice: SpeechVoice? { (services.voice as? SpeechReplyVoice)?.voice }

    func handle(_ event: WyomingEvent) async {
        switch event.type {
        case "describe": emit(WyomingInfo.event(services: services, voice: voice))
        case "ping": emit(WyomingEvent("pong", event.string("text").map { ["text": $0] } ?? [:]))
        case "transcribe":
            language = event.string("language") ?? "en"
            audio = []
        case "audio-start": startAudio(event)
        case "audio-chunk": appendAudio(event)
        case "audio-stop": await transcribe()
        case "synthesize":
            // A client that streams sends the whole text too (before synthesize-stop), for servers
            // that do not stream: it is being spoken already.
            guard streamedSpeech == nil, let text = event.string("text") else { return }
            await synthesize(text)
        case "synthesize-start": startStreamedSynthesis()
        case "synthesize-chunk": if let text = event.string("text") { streamedSpeech?.feed(text) }
        case "synthesize-stop": await finishStreamedSynthesis()
        case "transcript": await answer(event.string("text") ?? "")
        default: emit(.error("unknown event type \(event.type.prefix(60))", code: "unknown_event"))
        }
    }

    func close() {
        partials?.close()
        streamedSpeech?.cancel()
        streamedSpeech?.close()
        streamedSpeech = nil
    }

    // MARK: Speech to text

    private func startAudio(_ event: WyomingEvent) {
        guard let rate = event.int("rate"), let width = event.int("width"), let channels = event.int("channels"),
              (8_000...192_000).contains(rate), width == 2, (1...8).contains(channels) else {
            format = nil
            return emit(.error("audio-start needs rate 8000–192000, width 2 (16-bit) and 1–8 channels", code: "unsupported_audio"))
        }
        format = (rate, width, channels)
        resampler = rate == VoiceActivityDetector.sampleRate ? nil : try? Resampler(from: rate, to: VoiceActivityDetector.sampleRate)
        audio = []
        partials?.close()
        partials = PartialTranscripts(transcriber: transcriber, scheduler: services.scheduler, emit: emit)
        emit(WyomingEvent("transcript-start", language.map { ["language": $0] } ?? [:]))
    }

    /// The recogniser with the language the client asked for.
    private var transcriber: WhisperTranscriber {
        var options = services.transcriber.options
        options.language = language
        return WhisperTranscriber(model: services.transcriber.model, options: options)
    }

    private func appendAudio(_ event: WyomingEvent) {
        // A chunk names its format too; one without audio-start before it starts the utterance.
        if format == nil || event.int("rate") != format?.rate || event.int("channels") != format?.channels {
            startAudio(event)
        }
        guard let format, let payload = event.payload,
              Double(audio.count) < Self.maximumSeconds * Double(VoiceActivityDetector.sampleRate) else { return }
        guard payload.count % (2 * format.channels) == 0, var samples = try? SampleConversion.pcm16LEToFloat(payload) else {
            return emit(.error("an audio chunk is not whole 16-bit frames of \(format.channels) channel(s)", code: "invalid_audio"))
        }
        if format.channels > 1 { samples = SampleConversion.downmix(interleaved: samples, channels: format.channels) }
        if let resampler { samples = (try? resampler.process(samples)) ?? [] }
        audio += samples
        partials?.append(samples)
    }

    /// The final transcript is the whole utterance transcribed once more (as `realtime-daemon
    /// transcribe` would), after the streamed chunks; then the stream ends (Wyoming's order:
    /// `transcript-start`, `transcript-chunk`…, `transcript`, `transcript-stop`).
    private func transcribe() async {
        let samples = audio
        let streamed = partials != nil
        audio = []
        format = nil
        partials?.close()
        partials = nil
        let transcriber = self.transcriber
        let scheduler = services.scheduler
        let result: Result<Transcript, EngineError> = await Self.offPool {
            let (_, outcome) = scheduler.perform(.finalTranscript) {
                Result { () throws(EngineError) in try transcriber.transcribe(samples) }
            }
            return outcome ?? .failure(.cancelled)
        }
        switch result {
        case .success(let transcript):
            emit(WyomingEvent("transcript", ["text": transcript.text.trimmingCharacters(in: .whitespaces), "language": transcript.language]))
        case .failure(let error):
            emit(.error("transcription failed: \(error)", code: "transcription_failed"))
        }
        if streamed { emit(WyomingEvent("transcript-stop")) }
    }

    // MARK: Text to speech

    /// A speech whose clauses are sent as audio chunks as soon as each is synthesised, after an
    /// `audio-start` sent now (the format is the voice's, known before any audio).
    private func makeSpeech() -> StreamingSpeech? {
        guard let voice else {
            emit(.error("no voice is loaded", code: "no_voice"))
            return nil
        }
        let emit = self.emit
        let format = WyomingAudioFormat(rate: voice.sampleRate)
        do {
            let speech = try StreamingSpeech(voice: voice, scheduler: services.scheduler) { chunk in
                guard !chunk.samples.isEmpty else { return }
                emit(WyomingEvent("audio-chunk", format.fields, payload: SampleConversion.floatToPCM16LE(chunk.samples)))
            }
            emit(WyomingEvent("audio-start", format.fields))
            return speech
        } catch {
            emit(.error("the voice failed: \(error)", code: "synthesis_failed"))
            return nil
        }
    }

    private func synthesize(_ text: String) async {
        guard let speech = makeSpeech() else { return }
        speech.say(text)
        await finish(speech)
    }

    private func startStreamedSynthesis() {
        streamedSpeech?.cancel()
        streamedSpeech = makeSpeech()
    }

    private func finishStreamedSynthesis() async {
        guard let speech = streamedSpeech else { return }
        speech.finish()
        await finish(speech)
        streamedSpeech = nil
        emit(WyomingEvent("synthesize-stopped"))
    }

    private func finish(_ speech: StreamingSpeech) async {
        let failure = await Self.offPool { speech.waitUntilDone() }
        speech.close()
        if let failure { emit(.error("the voice failed: \(failure)", code: "synthesis_failed")) }
        emit(WyomingEvent("audio-stop"))
    }

    // MARK: Conversation

    private func answer(_ text: String) async {
        let question = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !question.isEmpty, question.utf8.count <= ClientEvent.maximumTextBytes else {
            return emit(WyomingEvent("not-handled", ["text": question.isEmpty ? "nothing was said" : "the text is too long"]))
        }
        history.appendUser(question)
        let (history, context, settings) = (self.history, self.context, replySettings)
        let (answer, outcome) = await Self.offPool { () -> (String, ReplyOutcome) in
            var written = ""
            let outcome = context.reply(to: history, evidence: nil, settings: settings, cancellation: CancellationFlag()) { event in
                if case .answer(let text) = event { written += text }
            }
            return (written.trimmingCharacters(in: .whitespacesAndNewlines), outcome)
        }
        guard outcome.status == .completed, !answer.isEmpty else {
            return emit(WyomingEvent("not-handled", ["text": outcome.failure.map { "the reasoner failed: \($0)" } ?? "no answer"]))
        }
        self.history.appendAssistant(answer)
        emit(WyomingEvent("handled", ["text": answer]))
    }

    /// Runs blocking model work on a thread of its own, not on the cooperative pool.
    static func offPool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
        await withCheckedContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async { continuation.resume(returning: work()) }
        }
    }
}

/// Settled words of an utterance as it arrives, sent as `transcript-chunk`s by the streaming
/// recogniser (the one the sessions listen with); nothing is sent once it is closed.
private final class PartialTranscripts: Sendable {
    /// The text sent so far, and whether sending has ended.
    private final class Sent: Sendable {
        let state = Mutex((text: "", closed: false))
    }
    private let streaming: StreamingTranscriber
    private let sent = Sent()

    init(transcriber: WhisperTranscriber, scheduler: EngineScheduler, emit: @escaping @Sendable (WyomingEvent) -> Void) {
        let sent = self.sent
        streaming = StreamingTranscriber(transcriber: transcriber, scheduler: scheduler) { hypothesis in
            let text = hypothesis.confirmedText
            let delta = sent.state.withLock { s -> String? in
                guard !s.closed, text.count > s.text.count, text.hasPrefix(s.text) else { return nil }
                defer { s.text = text }
                return String(text.dropFirst(s.text.count))
            }
            if let delta { emit(WyomingEvent("transcript-chunk", ["text": delta])) }
        }
    }

    func append(_ samples: [Float]) { streaming.append(samples) }

    func close() {
        sent.state.withLock { $0.closed = true }
        streaming.close()
    }
}

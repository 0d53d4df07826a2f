import Engine
import Foundation
import Synchronization

/// The reasoner on an OpenAI-compatible server (vLLM serving Step-Audio-R1, llama.cpp's
/// server, a hosted API), behind the same `ReplyEngine` interface as the embedded model.
///
/// Think while speaking, with what a chat-completions API allows (docs/remote-engine.md):
/// in text mode the formulation stream and the articulation stream are two concurrent
/// requests on the same server. The formulation request asks for brief notes (the reasoning
/// events); the articulation request for the spoken answer, with the notes written so far
/// when it starts after some thinking (`think_first`, `think_before_speaking`). Both carry the
/// same conversation and differ only after the user's last words, so the server's prefix cache
/// serves both. `speak_first` starts the answer at once and the notes once it has started. In
/// audio mode the model thinks in its own `<think>` block in one request, and speaking starts
/// with the first words after `</think>`.
public final class RemoteReplyEngine: ReplyEngine {
    public let server: RemoteServer
    public var name: String { "remote \(server.settings.model) at \(server.settings.baseURL) (\(server.settings.input.rawValue) input)" }
    public var hearsAudio: Bool { server.settings.input == .audio }
    /// Function calling goes through the chat completions API's tools (text input only).
    public var supportsTools: Bool { server.settings.input == .text }

    public init(server: RemoteServer) { self.server = server }

    public func makeContext() -> any ReplyContext { RemoteReplyContext(server: server) }
}

final class RemoteReplyContext: ReplyContext {
    let server: RemoteServer

    /// The formulation request's instructions (text mode), after the user's words.
    static let thinkingInstruction = """
        (Do not answer yet. Think it through in a few short notes: what I ask, how I sound (the \
        [voice: …] note, if any), what a good spoken answer needs. Write only the notes.)
        """

    init(server: RemoteServer) { self.server = server }

    /// Nothing to compute ahead on a remote server (its prefix cache does that on its side).
    func prepare(_ history: ConversationHistory, cancellation: CancellationFlag?) throws(EngineError) {}

    func reply(to history: ConversationHistory, evidence: String?, audio: [Float]?, settings: ReplySettings, cancellation: CancellationFlag,
               onEvent: (ReplyEvent) -> Void) -> ReplyOutcome {
        let sink = ReplySink()
        let task = Task { await self.run(history, evidence: evidence, audio: audio, settings: settings, sink: sink) }
        // The reply worker's thread waits here, passing events on as they come and closing the
        // streams (task cancellation) as soon as the reply is cancelled.
        var cancelled = false
        while true {
            for event in sink.drain() { onEvent(event) }
            if let outcome = sink.outcome { return outcome }
            if !cancelled, cancellation.isCancelled {
                cancelled = true
                task.cancel()
            }
            usleep(2_000)
        }
    }

    private func run(_ history: ConversationHistory, evidence: String?, audio: [Float]?, settings: ReplySettings, sink: ReplySink) async {
        let turns = Self.fitting(history.turns, characters: history.tokenBudget * 4)
        let temperature = server.settings.temperature
        let model = server.settings.model
        var outcome = ReplyOutcome(status: .completed)
        do throws(RemoteError) {
            if server.settings.input == .audio {
                guard let audio, !audio.isEmpty else { throw RemoteError.malformed("audio input mode needs the turn's audio (typed turns are not supported)") }
                let request = ChatCompletionRequest.audio(model: model, system: history.system, turns: turns, audio16k: audio,
                                                          maxTokens: settings.maxReasoningTokens + settings.maxAnswerTokens, temperature: temperature)
                let splitter = Mutex(ReasoningSplitter(startsInReasoning: true))
                try await server.stream(request) { delta in
                    if !delta.reasoning.isEmpty { sink.add(ReplyEvent.reasoning(delta.reasoning)) }
                    for piece in splitter.withLock({ $0.feed(delta.content) }) { sink.add(piece: piece) }
                }
                for piece in splitter.withLock({ $0.finish() }) { sink.add(piece: piece) }
            } else if !settings.tools.isEmpty, settings.toolChoice != .none {
                try await toolReply(turns: turns, system: history.system, evidence: evidence, settings: settings, sink: sink)
            } else {
                try await textReply(turns: turns, system: history.system, evidence: evidence, settings: settings, sink: sink)
            }
        } catch {
            if Task.isCancelled || error == .cancelled {
                outcome.status = .cancelled
            } else {
                outcome.status = .failed
                outcome.failure = .remote(error.description)
            }
        }
        let counts = sink.counts
        outcome.reasoningTokens = counts.reasoning
        outcome.answerTokens = counts.answer
        sink.finish(outcome)
    }

    /// Two concurrent requests: notes (reasoning events) and the spoken answer.
    private func textReply(turns: [ChatMessage], system: String?, evidence: String?, settings: ReplySettings, sink: ReplySink) async throws(RemoteError) {
        let model = server.settings.model
        let temperature = server.settings.temperature
        let thinking = ChatCompletionRequest.text(model: model, system: system, turns: turns, evidence: evidence,
                                                  note: Self.thinkingInstruction, maxTokens: settings.maxReasoningTokens,
                                                  temperature: temperature)
        let notes = NotesProgress()
        let answerStarted = NotesProgress()
        let server = self.server
        let mode = settings.mode
        // The formulation stream. In speak_first it starts once the answer has started, so that on
        // a server that runs one request at a time (llama.cpp's) the answer is not queued behind it.
        // Its failure is not the reply's: the answer goes on without notes (the metrics count it).
        let formulation = Task {
            defer { notes.finish() }  // ended, failed or cancelled: the answer stops waiting for it
            if mode == .speakFirst { await answerStarted.wait(forDeltas: 1) }
            if Task.isCancelled { return }
            let splitter = Mutex(ReasoningSplitter())
            try? await server.stream(thinking) { delta in
                // Everything this request writes is thinking, whether or not it uses the tags.
                var text = delta.reasoning
                for piece in splitter.withLock({ $0.feed(delta.content) }) {
                    switch piece { case .reasoning(let t), .answer(let t): text += t }
                }
                guard !text.isEmpty else { return }
                notes.add(text)
                sink.add(ReplyEvent.reasoning(text))
            }
        }
        defer { formulation.cancel() }
        // When the answer may start: at once, after the first thought segment, or after all of it.
        switch mode {
        case .speakFirst: break
        case .thinkFirst: await notes.wait(forDeltas: settings.thinkSegmentTokens)
        case .thinkBeforeSpeaking: await notes.wait(forDeltas: .max)
        }
        if Task.isCancelled { throw .cancelled }
        let written = notes.text.trimmingCharacters(in: .whitespacesAndNewlines)
        let note = written.isEmpty ? nil : "(Your notes on this, to use and not to read out: \(written))"
        let answer = ChatCompletionRequest.text(model: model, system: system, turns: turns, evidence: evidence, note: note,
                                                maxTokens: settings.maxAnswerTokens, temperature: temperature)
        let splitter = Mutex(ReasoningSplitter())
        do {
            try await server.stream(answer) { delta in
                if !delta.reasoning.isEmpty { sink.add(ReplyEvent.reasoning(delta.reasoning)) }
                let pieces = splitter.withLock({ $0.feed(delta.content) })
                for piece in pieces { sink.add(piece: piece) }
                if pieces.contains(where: { if case .answer = $0 { true } else { false } }) { answerStarted.add("") }
            }
        } catch {
            answerStarted.finish()
            throw error
        }
        answerStarted.finish()
        for piece in splitter.withLock({ $0.finish() }) { sink.add(piece: piece) }
        sink.add(ReplyEvent.answerComplete)
        // The thinking goes on to its end (its budget) while the answer is being spoken, so
        // that the reply's reasoning is whole; a cancellation stops it with the rest.
        await notes.wait(forDeltas: .max)
    }

    /// A reply that may call functions: one request with the tools (no separate notes stream:
    /// the model decides in one pass whether to speak or to call). Streamed calls become
    /// `functionCall` events, each piece with its call's id and name.
    private func toolReply(turns: [ChatMessage], system: String?, evidence: String?, settings: ReplySettings, sink: ReplySink) async throws(RemoteError) {
        let request = ChatCompletionRequest.text(model: server.settings.model, system: system, turns: turns, evidence: evidence,
                                                 maxTokens: settings.maxAnswerTokens, temperature: server.settings.temperature,
                                                 tools: settings.tools, toolChoice: settings.toolChoice)
        let splitter = Mutex(ReasoningSplitter())
        let calls = Mutex([Int: (id: String, name: String)]())
        try await server.stream(request) { delta in
            if !delta.reasoning.isEmpty { sink.add(ReplyEvent.reasoning(delta.reasoning)) }
            for piece in splitter.withLock({ $0.feed(delta.content) }) { sink.add(piece: piece) }
            for part in delta.toolCalls {
                let known = calls.withLock { calls -> (id: String, name: String) in
                    var entry = calls[part.index] ?? (part.id ?? "call_\(UUID().uuidString.prefix(12))", part.name ?? "")
                    if entry.name.isEmpty, let name = part.name { entry.name = name }
                    calls[part.index] = entry
                    return entry
                }
                sink.add(ReplyEvent.functionCall(FunctionCallDelta(callID: known.id, name: known.name, arguments: part.arguments)))
            }
        }
        for piece in splitter.withLock({ $0.finish() }) { sink.add(piece: piece) }
        sink.add(ReplyEvent.answerComplete)
    }

    /// The newest turns that fit in about `characters` (the remote tokenizer is unknown here:
    /// four characters a token), starting with a user turn (a function's result cannot come
    /// without the call before it).
    static func fitting(_ turns: [ChatMessage], characters: Int) -> [ChatMessage] {
        var kept = turns
        while kept.count > 1, kept.reduce(0, { $0 + $1.content.count + ($1.functionCall?.arguments.count ?? 0) }) > characters { kept.removeFirst() }
        while kept.count > 1, let first = kept.first, first.role == .assistant || first.role == .tool { kept.removeFirst() }
        return kept
    }
}

/// Events produced on the network's threads, handed to the reply worker's thread.
final class ReplySink: Sendable {
    private struct State {
        var events: [ReplyEvent] = []
        var outcome: ReplyOutcome?
        var reasoning = 0
        var answer = 0
    }
    private let state = Mutex(State())

    func add(piece: ReasoningSplitter.Piece) {
        switch piece {
        case .reasoning(let text): add(ReplyEvent.reasoning(text))
        case .answer(let text): add(ReplyEvent.answer(text))
        }
    }

    func add(_ event: ReplyEvent) {
        state.withLock { s in
            switch event {
            case .reasoning(let text) where !text.isEmpty: s.reasoning += 1; s.events.append(event)
            case .answer(let text) where !text.isEmpty: s.answer += 1; s.events.append(event)
            case .answerComplete: s.events.append(event)
            case .functionCall: s.answer += 1; s.events.append(event)
            default: break
            }
        }
    }

    func drain() -> [ReplyEvent] { state.withLock { s in defer { s.events = [] }; return s.events } }
    func finish(_ outcome: ReplyOutcome) { state.withLock { $0.outcome = outcome } }
    var outcome: ReplyOutcome? { state.withLock { $0.outcome } }
    var counts: (reasoning: Int, answer: Int) { state.withLock { ($0.reasoning, $0.answer) } }
}

/// The formulation stream's notes so far, and a way to wait for enough of them.
final class NotesProgress: Sendable {
    private struct State { var text = ""; var deltas = 0; var done = false }
    private let state = Mutex(State())

    func add(_ text: String) { state.withLock { $0.text += text; $0.deltas += 1 } }
    func finish() { state.withLock { $0.done = true } }
    var text: String { state.withLock { $0.text } }

    /// Returns once `count` chunks (about one token each) have come, or the notes ended
    /// (finished, failed or cancelled: then the answer goes on without them).
    func wait(forDeltas count: Int) async {
        while !Task.isCancelled {
            let (deltas, done) = state.withLock { ($0.deltas, $0.done) }
            if done || deltas >= count { return }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }
}

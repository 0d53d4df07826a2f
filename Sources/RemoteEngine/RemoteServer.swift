import Engine
import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// What a remote request reports for metrics: time to the first token, and failures by kind.
public struct RemoteObserver: Sendable {
    public var firstToken: @Sendable (_ seconds: Double) -> Void
    public var failure: @Sendable (_ kind: String) -> Void
    public init(firstToken: @escaping @Sendable (Double) -> Void = { _ in }, failure: @escaping @Sendable (String) -> Void = { _ in }) {
        self.firstToken = firstToken
        self.failure = failure
    }
}

/// One OpenAI-compatible server, shared by every session: a pooled HTTP client (connections
/// are kept alive and reused), a limit on requests in flight, and streaming requests with
/// first-token and idle timeouts and retries before the first token.
public final class RemoteServer: Sendable {
    public let settings: RemoteEngineSettings
    let observer: RemoteObserver
    private let client: HTTPClient
    private let slots: RequestSlots

    public init(settings: RemoteEngineSettings, observer: RemoteObserver = RemoteObserver()) {
        self.settings = settings
        self.observer = observer
        var configuration = HTTPClient.Configuration(timeout: .init(connect: .milliseconds(Int64(settings.connectTimeoutMs)),
                                                                    read: .milliseconds(Int64(settings.idleTimeoutMs))))
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: settings.maxConcurrentRequests)
        client = HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
        slots = RequestSlots(limit: settings.maxConcurrentRequests)
    }

    deinit { try? client.syncShutdown() }

    /// Streams one completion, calling `onDelta` for each chunk. Retries (connect errors,
    /// 429/5xx, no first token in time) only while nothing has been received. Task
    /// cancellation closes the connection at once, which makes the server abort the request.
    func stream(_ request: ChatCompletionRequest, onDelta: @escaping @Sendable (CompletionDelta) -> Void) async throws(RemoteError) {
        let body: Data
        do { body = try request.body() } catch { throw .malformed("the request could not be encoded: \(error)") }
        await slots.acquire()
        defer { Task { await slots.release() } }
        let started = ContinuousClock.now
        var attempt = 0
        while true {
            let progress = StreamProgress()
            do {
                try await attemptStream(body, progress: progress) { delta in
                    // The first chunk often carries only the role: the first token is the first text.
                    if !(delta.content.isEmpty && delta.reasoning.isEmpty && delta.toolCalls.isEmpty), progress.markFirstToken() {
                        self.observer.firstToken((ContinuousClock.now - started).seconds)
                    }
                    onDelta(delta)
                }
                return
            } catch {
                let failure = Task.isCancelled ? RemoteError.cancelled : error
                if failure != .cancelled, !progress.hasToken, failure.isRetryable, attempt < settings.retries {
                    attempt += 1
                    try? await Task.sleep(for: .milliseconds(150 * attempt))
                    continue
                }
                if failure != .cancelled { observer.failure(failure.kind) }
                throw failure
            }
        }
    }

    private func attemptStream(_ body: Data, progress: StreamProgress, onDelta: @escaping @Sendable (CompletionDelta) -> Void) async throws(RemoteError) {
        var request = HTTPClientRequest(url: settings.endpoint)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "Accept", value: "text/event-stream")
        if let key = settings.apiKey, !key.isEmpty { request.headers.add(name: "Authorization", value: "Bearer \(key)") }
        request.body = .bytes(ByteBuffer(bytes: body))
        let prepared = request
        let settings = self.settings
        let client = self.client
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    let response: HTTPClientResponse
                    do {
                        response = try await client.execute(prepared, timeout: .seconds(600))
                    } catch let error as HTTPClientError where error == .connectTimeout || error == .remoteConnectionClosed
                        || error == .cancelled || error == .deadlineExceeded {
                        throw error == .cancelled ? RemoteError.cancelled : RemoteError.unreachable("\(error)")
                    } catch is CancellationError {
                        throw RemoteError.cancelled
                    } catch {
                        throw RemoteError.unreachable(String(describing: error))
                    }
                    progress.headReceived()
                    guard response.status == .ok else {
                        let text = (try? await response.body.collect(upTo: 4_096)).map { String(buffer: $0) } ?? ""
                        throw RemoteError.http(status: Int(response.status.code), body: text.trimmingCharacters(in: .whitespacesAndNewlines))
                    }
                    var events = ServerSentEvents()
                    // OpenAI's API, vLLM and llama.cpp end a reply with a `finish_reason`; a stream
                    // that stops without one was cut short (a dropped connection, or llama-cpp-python
                    // ending it for a newer request), and the answer is not whole.
                    var finished = false
                    /// Passes one event on; false at `[DONE]`.
                    func deliver(_ data: String) throws(RemoteError) -> Bool {
                        guard let delta = try CompletionDelta.parse(data) else { return false }
                        if delta.finishReason != nil { finished = true }
                        onDelta(delta)
                        return true
                    }
                    let ended = { () throws(RemoteError) in if !finished { throw RemoteError.cutShort } }
                    do {
                        for try await buffer in response.body {
                            progress.touch()
                            for data in events.feed(buffer.readableBytesView) where try !deliver(data) { return try ended() }
                        }
                    } catch let error as RemoteError {
                        throw error
                    } catch is CancellationError {
                        throw RemoteError.cancelled
                    } catch {
                        throw Task.isCancelled ? RemoteError.cancelled : RemoteError.unreachable("the stream broke: \(error)")
                    }
                    for data in events.finish() where try !deliver(data) { return try ended() }
                    try ended()
                }
                // The watchdog: no first token in time, or a stream gone quiet. While there is no
                // response yet, connecting may take up to the connect timeout (the HTTP client
                // then reports the server unreachable).
                group.addTask {
                    while true {
                        try await Task.sleep(for: .milliseconds(50))
                        let (hasHead, hasToken, quietMs, totalMs) = progress.times()
                        let firstTokenLimit = Double(hasHead ? settings.firstTokenTimeoutMs : max(settings.firstTokenTimeoutMs, settings.connectTimeoutMs + 500))
                        if !hasToken, totalMs > firstTokenLimit { throw RemoteError.firstTokenTimeout(ms: settings.firstTokenTimeoutMs) }
                        if hasToken, quietMs > Double(settings.idleTimeoutMs) { throw RemoteError.idleTimeout(ms: settings.idleTimeoutMs) }
                    }
                }
                defer { group.cancelAll() }
                try await group.next()
            }
        } catch let error as RemoteError {
            throw error
        } catch {
            throw Task.isCancelled ? .cancelled : .unreachable(String(describing: error))
        }
    }
}

/// When the stream last showed life, and whether a token has come.
private final class StreamProgress: Sendable {
    private struct State { var start = ContinuousClock.now; var last = ContinuousClock.now; var head = false; var token = false }
    private let state = Mutex(State())
    func touch() { state.withLock { $0.last = .now } }
    func headReceived() { state.withLock { $0.last = .now; $0.head = true } }
    /// True the first time only.
    func markFirstToken() -> Bool {
        state.withLock { s in
            s.last = .now
            defer { s.token = true }
            return !s.token
        }
    }
    var hasToken: Bool { state.withLock { $0.token } }
    func times() -> (hasHead: Bool, hasToken: Bool, quietMs: Double, totalMs: Double) {
        state.withLock { s in (s.head, s.token, (ContinuousClock.now - s.last).seconds * 1000, (ContinuousClock.now - s.start).seconds * 1000) }
    }
}

/// At most `limit` requests in flight; the rest wait in order.
actor RequestSlots {
    private let limit: Int
    private var inUse = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    init(limit: Int) { self.limit = max(1, limit) }

    func acquire() async {
        if inUse < limit { inUse += 1; return }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty { inUse -= 1 } else { waiting.removeFirst().resume() }
    }
}

import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore
import ServiceLifecycle
import AudioIO
import Streaming
import Synchronization

/// The HTTP and WebSocket server: `GET /v1/realtime` upgraded to a realtime session
/// (PROTOCOL.md), `GET /healthz`, `GET /metrics`, and the web page (`GET /`). A `Service`: it runs until graceful shutdown,
/// which closes every session (cancelling replies in progress with `response.done`).
///
/// Before authentication a connection holds little and not for long: at most
/// `server.max_connections` are open, each must send its request headers within
/// `headerTimeout`, plain HTTP connections close after 30 s idle, and a peer that presents
/// wrong tokens is refused for a minute after `AuthFailureLimiter.allowed` failures.
struct RealtimeServer: Service {
    let settings: DaemonConfiguration.ServerSettings
    let services: SessionServices
    let defaults: SessionConfiguration
    let metrics: DaemonMetrics
    let logger: Logger
    /// Called with the bound port once listening (port 0 picks a free one).
    var onListening: @Sendable (Int) async -> Void = { _ in }

    static let headerTimeout: TimeAmount = .seconds(15)
    private let open = SessionCount()
    private let failures = AuthFailureLimiter()

    func run() async throws {
        let policy = AccessPolicy(token: settings.token, allowedOrigins: settings.allowedOrigins)
        let router = Router(context: DaemonRequestContext.self)
        router.get("healthz") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"],
                     body: .init(byteBuffer: ByteBuffer(string: #"{"status":"ok","sessions":\#(open.count)}"#)))
        }
        // Beyond loopback the metrics (session counts, error codes) need the token too.
        let metricsToken = settings.isLoopback ? nil : settings.token
        router.get("metrics") { [metrics] request, _ in
            if let metricsToken, request.headers[.authorization] != "Bearer \(metricsToken)" {
                return Self.plain(.unauthorized, "the metrics need the token: Authorization: Bearer <token>")
            }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                            body: .init(byteBuffer: ByteBuffer(string: metrics.text())))
        }
        WebPage.register(on: router)
        // Reached only when the upgrade was declined or not asked for: says why (the web page
        // asks, to explain a refused connection). Wrong tokens count against the peer here too.
        router.get("v1/realtime") { [failures] request, context -> Response in
            if failures.isBlocked(context.peer) { return Self.plain(.tooManyRequests, "too many failed attempts; try again in a minute") }
            switch policy.decide(request.head) {
            case .unauthorized(let why):
                failures.record(context.peer)
                return Self.plain(.unauthorized, why)
            case .forbidden(let why):
                failures.record(context.peer)
                return Self.plain(.forbidden, why)
            case .allow:
                return Self.plain(.upgradeRequired, "this endpoint is a WebSocket: connect with Upgrade: websocket")
            }
        }
        let connection = RealtimeConnection(services: services, defaults: defaults, metrics: metrics,
                                            limits: ConnectionLimits(maxMessageBytes: settings.maxMessageBytes, idleTimeout: settings.sessionIdleTimeout),
                                            logger: logger)
        // A frame up to 64 KiB over the message limit is read and answered with an error (the
        // session goes on); a larger one is refused by its header (1009), never buffered.
        let wsConfiguration = WebSocketServerConfiguration(maxFrameSize: settings.maxMessageBytes + (64 << 10), autoPing: .enabled(timePeriod: .seconds(30)))
        let upgradeConfiguration = HTTP1WebSocketUpgradeChannel.Configuration(http1: .init(idleTimeout: .seconds(30)), ws: wsConfiguration)
        let shouldUpgrade: @Sendable (HTTPRequest, any Channel, Logger) async throws -> ShouldUpgradeResult<WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>> = {
            [open, metrics, logger, failures, maxSessions = settings.maxSessions] request, channel, _ in
            guard request.path?.split(separator: "?").first == "/v1/realtime" else { return .dontUpgrade }
            let peer = channel.remoteAddress?.ipAddress ?? "unknown"
            if failures.isBlocked(peer) {
                try await UpgradeRefusal.respond(on: channel, status: .tooManyRequests, reason: "too many failed attempts; try again in a minute")
                return .dontUpgrade
            }
            let subprotocol: String?
            switch policy.decide(request) {
            case .allow(let chosen):
                subprotocol = chosen
            case .unauthorized(let why):
                if failures.record(peer) { logger.notice("connection refused: \(why)", metadata: ["peer": "\(peer)"]) }
                try await UpgradeRefusal.respond(on: channel, status: .unauthorized, reason: why)
                return .dontUpgrade
            case .forbidden(let why):
                if failures.record(peer) { logger.notice("connection refused: \(why)", metadata: ["peer": "\(peer)"]) }
                try await UpgradeRefusal.respond(on: channel, status: .forbidden, reason: why)
                return .dontUpgrade
            }
            var headers = HTTPFields()
            if let subprotocol { headers[.secWebSocketProtocol] = subprotocol }
            let extensions = Self.extensions(inQueryOf: request.path ?? "")
            return .upgrade(headers) { inbound, outbound, _ in
                guard open.enter(limit: maxSessions) else {
                    metrics.sessionsRefused.increment()
                    let error = ServerEvent.error(.overloaded("\(maxSessions) sessions are open (server.max_sessions); try again later"))
                    if let text = error.encoded(eventID: "evt_1", extensions: []) { try await outbound.write(.text(text)) }
                    // The close waits until the client has had the error (it closes, or 2 s pass):
                    // some clients drop a message that a close frame follows closely.
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        group.addTask { for try await _ in inbound {} }
                        group.addTask { try await Task.sleep(for: .seconds(2)) }
                        _ = try await group.next()
                        group.cancelAll()
                    }
                    try? await outbound.close(.unknown(1013), reason: "overloaded")
                    return
                }
                metrics.sessionsTotal.increment()
                metrics.sessionsActive.increment()
                defer {
                    open.leave()
                    metrics.sessionsActive.decrement()
                }
                await connection.run(inbound: inbound, outbound: outbound, channel: channel, extensions: extensions)
            }
        }
        let server = HTTPServerBuilder { responder in
            HeaderDeadlineChannel(inner: HTTP1WebSocketUpgradeChannel(responder: responder, configuration: upgradeConfiguration, shouldUpgrade: shouldUpgrade),
                                  deadline: Self.headerTimeout)
        }
        let app = Application(
            router: router,
            server: server,
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "realtime-daemon",
                                 availableConnectionsDelegate: .maximum(settings.maxConnections, logger: logger)),
            onServerRunning: { [logger, onListening] channel in
                let port = channel.localAddress?.port ?? 0
                logger.info("listening", metadata: ["url": "ws://\(settings.host):\(port)/v1/realtime"])
                await onListening(port)
            },
            logger: logger
        )
        try await app.run()
    }

    /// `?extensions=reasoning,timings` on the URL: what the client asks for beyond the API
    /// (unknown names are ignored here; `session.update` refuses them).
    static func extensions(inQueryOf path: String) -> Set<ProtocolExtension> {
        guard let query = URLComponents(string: path)?.queryItems else { return [] }
        let names = query.filter { $0.name == "extensions" }.compactMap(\.value).flatMap { $0.split(separator: ",") }
        return Set(names.compactMap { ProtocolExtension(rawValue: $0.trimmingCharacters(in: .whitespaces)) })
    }

    static func plain(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text + "\n")))
    }
}

/// Open sessions, against the configured limit.
final class SessionCount: Sendable {
    private let value = Atomic<Int>(0)
    var count: Int { value.load(ordering: .relaxed) }

    func enter(limit: Int) -> Bool {
        while true {
            let current = value.load(ordering: .relaxed)
            guard current < limit else { return false }
            if value.compareExchange(expected: current, desired: current + 1, ordering: .relaxed).exchanged { return true }
        }
    }

    func leave() { value.subtract(1, ordering: .relaxed) }
}

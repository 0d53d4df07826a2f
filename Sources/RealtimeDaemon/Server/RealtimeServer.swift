import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import ServiceLifecycle
import Streaming
import Synchronization

/// The HTTP and WebSocket server: `GET /v1/realtime` upgraded to a realtime session
/// (PROTOCOL.md), `GET /healthz`, `GET /metrics`, and the web page (`GET /`). A `Service`: it runs until graceful shutdown,
/// which closes every session (cancelling replies in progress with `response.done`).
struct RealtimeServer: Service {
    let settings: DaemonConfiguration.ServerSettings
    let services: SessionServices
    let defaults: SessionConfiguration
    let metrics: DaemonMetrics
    let logger: Logger
    /// Called with the bound port once listening (port 0 picks a free one).
    var onListening: @Sendable (Int) async -> Void = { _ in }

    private let open = SessionCount()

    func run() async throws {
        let policy = AccessPolicy(token: settings.token, allowedOrigins: settings.allowedOrigins)
        let router = Router()
        router.get("healthz") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"],
                     body: .init(byteBuffer: ByteBuffer(string: #"{"status":"ok","sessions":\#(open.count)}"#)))
        }
        router.get("metrics") { [metrics] _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                     body: .init(byteBuffer: ByteBuffer(string: metrics.text())))
        }
        WebPage.register(on: router)
        // Reached only when the upgrade was declined: say why.
        router.get("v1/realtime") { request, _ -> Response in
            switch policy.decide(request.head) {
            case .unauthorized(let why): return Self.plain(.unauthorized, why)
            case .forbidden(let why): return Self.plain(.forbidden, why)
            case .allow: return Self.plain(.upgradeRequired, "this endpoint is a WebSocket: connect with Upgrade: websocket")
            }
        }
        let connection = RealtimeConnection(services: services, defaults: defaults, metrics: metrics,
                                            maxMessageBytes: settings.maxMessageBytes, logger: logger)
        let wsConfiguration = WebSocketServerConfiguration(maxFrameSize: max(1 << 24, settings.maxMessageBytes), autoPing: .enabled(timePeriod: .seconds(30)))
        let app = Application(
            router: router,
            server: .http1WebSocketUpgrade(configuration: .init(ws: wsConfiguration)) { [open, metrics, logger, maxSessions = settings.maxSessions] request, channel, _ in
                guard request.path?.split(separator: "?").first == "/v1/realtime" else { return .dontUpgrade }
                let subprotocol: String?
                switch policy.decide(request) {
                case .allow(let chosen):
                    subprotocol = chosen
                case .unauthorized(let why):
                    logger.notice("connection refused: \(why)")
                    try await UpgradeRefusal.respond(on: channel, status: .unauthorized, reason: why)
                    return .dontUpgrade
                case .forbidden(let why):
                    logger.notice("connection refused: \(why)")
                    try await UpgradeRefusal.respond(on: channel, status: .forbidden, reason: why)
                    return .dontUpgrade
                }
                var headers = HTTPFields()
                if let subprotocol { headers[.secWebSocketProtocol] = subprotocol }
                return .upgrade(headers) { inbound, outbound, _ in
                    guard open.enter(limit: maxSessions) else {
                        metrics.sessionsRefused.increment()
                        let error = ServerEvent.error(.overloaded("\(maxSessions) sessions are open (server.max_sessions); try again later"))
                        try await outbound.write(.text(error.encoded(eventID: "evt_1")))
                        try await outbound.close(.unknown(1013), reason: "overloaded")
                        return
                    }
                    metrics.sessionsTotal.increment()
                    metrics.sessionsActive.increment()
                    defer {
                        open.leave()
                        metrics.sessionsActive.decrement()
                    }
                    await connection.run(inbound: inbound, outbound: outbound)
                }
            },
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "realtime-daemon"),
            onServerRunning: { [logger, onListening] channel in
                let port = channel.localAddress?.port ?? 0
                logger.info("listening", metadata: ["url": "ws://\(settings.host):\(port)/v1/realtime"])
                await onListening(port)
            },
            logger: logger
        )
        try await app.run()
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

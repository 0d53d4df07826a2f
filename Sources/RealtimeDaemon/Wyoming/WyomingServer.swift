import Foundation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization
import Streaming

/// The daemon as a Wyoming service for Home Assistant (`wyoming.enabled`): speech to text, text
/// to speech and conversation over TCP, through the same engines as the WebSocket sessions.
/// Wyoming has no authentication: keep it on loopback or a trusted network.
struct WyomingServer: Service {
    struct Settings: Sendable {
        var host = "127.0.0.1"
        var port = 10_300
        var maxConnections = 16
        /// The name announced by Zeroconf, nil: not announced (`wyoming.zeroconf` off).
        var zeroconfName: String?
    }

    let settings: Settings
    let services: SessionServices
    /// What a WebSocket session starts with (instructions, reply mode and budgets): the conversation uses it too.
    let defaults: SessionConfiguration
    let logger: Logger
    /// Called with the bound port (0 in the settings picks a free one).
    var onListening: @Sendable (Int) -> Void = { _ in }

    func run() async throws {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: settings.host, port: settings.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(WyomingEventDecoder()))
                    try channel.pipeline.syncOperations.addHandler(MessageToByteHandler(WyomingEventEncoder()))
                    return try NIOAsyncChannel<WyomingInput, WyomingEvent>(wrappingChannelSynchronously: channel)
                }
            }
        let port = server.channel.localAddress?.port ?? settings.port
        logger.info("Wyoming service listening", metadata: ["address": "tcp://\(settings.host):\(port)"])
        let announcement = announce(port: port)
        defer { announcement?.withdraw() }
        onListening(port)
        let open = ConnectionCount()
        try await withTaskCancellationOrGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { inbound in
                    for try await connection in inbound {
                        guard open.enter(limit: settings.maxConnections) else {
                            try? await connection.executeThenClose { _, outbound in
                                try await outbound.write(.error("too many connections (wyoming.max_connections)", code: "overloaded"))
                            }
                            continue
                        }
                        group.addTask {
                            defer { open.leave() }
                            await serve(connection)
                        }
                    }
                }
            }
        } onCancelOrGracefulShutdown: {
            server.channel.close(promise: nil)
        }
    }

    /// Starts the Zeroconf announcement, unless it is off or the service listens on loopback,
    /// where nobody who discovers it could connect. Failing to announce is logged, not fatal.
    private func announce(port: Int) -> ZeroconfAnnouncement? {
        guard let name = settings.zeroconfName else { return nil }
        guard !isLoopbackHost(settings.host) else {
            logger.info("Wyoming service not announced by Zeroconf: it listens on loopback (set wyoming.host to 0.0.0.0 for Home Assistant on another machine)")
            return nil
        }
        do {
            return try ZeroconfAnnouncement(name: name, type: ZeroconfAnnouncement.wyomingServiceType, port: port, logger: logger)
        } catch {
            logger.warning("Wyoming service not announced", metadata: ["reason": "\(error)"])
            return nil
        }
    }

    /// One client: events are handled in order; what they produce is written as it comes (the
    /// audio of a streamed synthesis while its text is still arriving).
    private func serve(_ connection: NIOAsyncChannel<WyomingInput, WyomingEvent>) async {
        let peer = connection.channel.remoteAddress?.description ?? "?"
        do {
            try await connection.executeThenClose { inbound, outbound in
                let (events, sink) = AsyncStream.makeStream(of: WyomingEvent.self)
                let conversation = WyomingConversation(services: services, defaults: defaults) { sink.yield($0) }
                defer { conversation.close() }
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await event in events { try await outbound.write(event) }
                    }
                    for try await input in inbound {
                        switch input {
                        case .event(let event): await conversation.handle(event)
                        case .malformed(let problem): sink.yield(.error(problem, code: "malformed_event"))
                        }
                    }
                    sink.finish()
                    try await group.waitForAll()
                }
            }
        } catch {
            logger.info("Wyoming connection closed", metadata: ["peer": "\(peer)", "reason": "\(error)"])
        }
    }
}

/// Connections open now, against the limit.
private final class ConnectionCount: Sendable {
    private let count = Mutex(0)
    func enter(limit: Int) -> Bool { count.withLock { c in guard c < limit else { return false }; c += 1; return true } }
    func leave() { count.withLock { $0 -= 1 } }
}

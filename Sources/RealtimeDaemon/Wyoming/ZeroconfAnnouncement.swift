import CAvahi
import Foundation
import Logging

/// Announces a TCP service on the local network with DNS-SD over multicast DNS (Zeroconf),
/// through the system's avahi-daemon, so that Home Assistant finds the Wyoming service without
/// an address being typed. The service never depends on it: when avahi-daemon is not running the
/// announcement waits for it, and it is made again after avahi-daemon restarts. A name taken by
/// another host's service gets Avahi's alternative ("name #2").
///
/// Avahi calls back on its own poll thread. Every stored property other than the constants is
/// touched only there, or before that thread starts and after it has stopped, hence
/// `@unchecked Sendable`.
final class ZeroconfAnnouncement: @unchecked Sendable {
    /// The DNS-SD service type of the Wyoming protocol, which Home Assistant browses for.
    static let wyomingServiceType = "_wyoming._tcp"

    private let type: String
    private let port: UInt16
    private let logger: Logger
    /// The instance name, changed when it collides with another service's.
    private var name: String
    private var poll: OpaquePointer?
    private var client: OpaquePointer?
    private var group: OpaquePointer?

    /// Starts announcing `name` (an instance name: any text without dots, up to 63 bytes) as a
    /// `type` service on `port` on every interface.
    init(name: String, type: String, port: Int, logger: Logger) throws(ZeroconfError) {
        self.name = name
        self.type = type
        self.port = UInt16(clamping: port)
        self.logger = logger
        guard let poll = avahi_threaded_poll_new() else { throw .avahi("cannot create Avahi's poll thread") }
        self.poll = poll
        do {
            try connect()
        } catch {
            avahi_threaded_poll_free(poll)
            self.poll = nil
            throw error
        }
        guard avahi_threaded_poll_start(poll) == 0 else {
            withdraw()
            throw .avahi("cannot start Avahi's poll thread")
        }
    }

    deinit { withdraw() }

    /// A client of avahi-daemon. NO_FAIL: without the daemon it waits for it (CONNECTING)
    /// instead of failing. Its first state change is reported from inside this call.
    private func connect() throws(ZeroconfError) {
        guard let poll else { return }
        var error: Int32 = 0
        client = avahi_client_new(avahi_threaded_poll_get(poll), AVAHI_CLIENT_NO_FAIL, { client, state, context in
            guard let client, let context else { return }
            Unmanaged<ZeroconfAnnouncement>.fromOpaque(context).takeUnretainedValue().clientChanged(client, state)
        }, Unmanaged.passUnretained(self).toOpaque(), &error)
        if client == nil { throw .avahi(Self.describe(error)) }
    }

    /// Stops announcing: the service's records are withdrawn ("goodbye" packets) when the client
    /// is freed. Idempotent.
    func withdraw() {
        guard let poll else { return }
        avahi_threaded_poll_stop(poll)
        if let client { avahi_client_free(client) } // frees the group too
        avahi_threaded_poll_free(poll)
        self.poll = nil
        client = nil
        group = nil
    }

    private func clientChanged(_ client: OpaquePointer, _ state: AvahiClientState) {
        switch state {
        case AVAHI_CLIENT_S_RUNNING:
            publish(client)
        case AVAHI_CLIENT_S_COLLISION, AVAHI_CLIENT_S_REGISTERING:
            // The host's own name is being (re)registered: our records follow it once it is running.
            if let group { avahi_entry_group_reset(group) }
        case AVAHI_CLIENT_CONNECTING:
            logger.notice("Zeroconf announcement waits for avahi-daemon, which is not running", metadata: ["service": "\(type)"])
            group = nil // a group belongs to the connection that made it; the client frees it
        case AVAHI_CLIENT_FAILURE:
            let error = avahi_client_errno(client)
            group = nil
            guard error == Int32(AVAHI_ERR_DISCONNECTED) else {
                logger.warning("Zeroconf announcement stopped", metadata: ["reason": "\(Self.describe(error))"])
                return
            }
            // avahi-daemon stopped (or restarted): a new client waits for it and announces again.
            logger.notice("avahi-daemon disconnected; the Zeroconf announcement will be made again when it is back")
            avahi_client_free(client)
            self.client = nil
            do { try connect() } catch {
                logger.warning("Zeroconf announcement stopped", metadata: ["reason": "\(error)"])
            }
        default:
            break
        }
    }

    private func groupChanged(_ group: OpaquePointer, _ state: AvahiEntryGroupState) {
        switch state {
        case AVAHI_ENTRY_GROUP_ESTABLISHED:
            logger.info("Announced on the local network (Zeroconf)", metadata: ["name": "\(name)", "type": "\(type)", "port": "\(port)"])
        case AVAHI_ENTRY_GROUP_COLLISION:
            rename()
            if let client = avahi_entry_group_get_client(group) { publish(client) }
        case AVAHI_ENTRY_GROUP_FAILURE:
            let reason = avahi_entry_group_get_client(group).map { Self.describe(avahi_client_errno($0)) } ?? "unknown"
            logger.warning("Zeroconf announcement failed", metadata: ["reason": "\(reason)"])
        default:
            break
        }
    }

    /// Adds the service to a fresh or reset entry group and commits it.
    private func publish(_ client: OpaquePointer) {
        if group == nil {
            group = avahi_entry_group_new(client, { group, state, context in
                guard let group, let context else { return }
                Unmanaged<ZeroconfAnnouncement>.fromOpaque(context).takeUnretainedValue().groupChanged(group, state)
            }, Unmanaged.passUnretained(self).toOpaque())
        }
        guard let group else {
            logger.warning("Zeroconf announcement failed", metadata: ["reason": "\(Self.describe(avahi_client_errno(client)))"])
            return
        }
        avahi_entry_group_reset(group)
        let collision = Int32(AVAHI_ERR_COLLISION)
        var result = collision
        for _ in 0..<10 where result == collision {
            result = avahi_entry_group_add_service_strlst(group, AvahiIfIndex(AVAHI_IF_UNSPEC), AvahiProtocol(AVAHI_PROTO_UNSPEC),
                                                         AvahiPublishFlags(0), name, type, nil, nil, port, nil)
            if result == collision { rename() }
        }
        if result == 0 { result = avahi_entry_group_commit(group) }
        if result != 0 {
            logger.warning("Zeroconf announcement failed", metadata: ["name": "\(name)", "reason": "\(Self.describe(result))"])
        }
    }

    /// Avahi's next name for a taken one: "name" → "name #2" → "name #3".
    private func rename() {
        guard let next = avahi_alternative_service_name(name) else { return }
        defer { avahi_free(next) }
        let taken = name
        name = String(cString: next)
        logger.notice("Zeroconf name taken on the network; using another", metadata: ["taken": "\(taken)", "name": "\(name)"])
    }

    private static func describe(_ error: Int32) -> String { String(cString: avahi_strerror(error)) }

    /// The default instance name: "realtime-daemon on <host>", the host name without its domain
    /// (an instance name cannot hold dots: Home Assistant shows what precedes the first one).
    static func defaultName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        let host = gethostname(&buffer, buffer.count - 1) == 0
            ? String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
        let short = host.split(separator: ".").first.map(String.init) ?? ""
        return short.isEmpty ? "realtime-daemon" : "realtime-daemon on \(short)"
    }
}

enum ZeroconfError: Error, CustomStringConvertible {
    case avahi(String)
    var description: String {
        switch self {
        case .avahi(let reason): "Zeroconf (Avahi): \(reason)"
        }
    }
}

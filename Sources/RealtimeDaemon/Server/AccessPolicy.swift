import Crypto
import Foundation
import Glibc
import HTTPTypes

/// Who may open a session (PROTOCOL.md, "Connection"): the bearer token, presented as an
/// `Authorization` header or, from browsers, as the `openai-insecure-api-key.<token>`
/// subprotocol; and the `Origin` allow-list. A value type, tested without sockets.
struct AccessPolicy: Sendable {
    var token: String?
    /// Allowed Origins, or `["*"]`; empty allows pages served from loopback (see `originAllowed`).
    var allowedOrigins: [String]

    enum Decision: Equatable {
        /// Allowed; `subprotocol` is the one to answer with (the client offered it).
        case allow(subprotocol: String?)
        case unauthorized(String)
        case forbidden(String)
    }

    static let keyPrefix = "openai-insecure-api-key."

    func decide(_ request: HTTPRequest) -> Decision {
        let offered = request.headerFields[values: .secWebSocketProtocol]
            .flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
        // DNS rebinding: a page whose name now resolves to this machine sends its own name as
        // Host. Without a token, only addresses and localhost are answered.
        if token == nil, let host = request.authority, !Self.isAddressOrLocalhost(Self.hostName(host)) {
            return .forbidden("Host \(host.prefix(100)) is not an address of this machine; without server.token, connect by IP address or localhost")
        }
        if let origin = request.headerFields[.origin], !originAllowed(origin, host: request.authority) {
            return .forbidden("origin \(origin.prefix(100)) is not allowed (configure server.allowed_origins)")
        }
        if let token {
            let bearer = request.headerFields[.authorization].flatMap { value -> String? in
                value.lowercased().hasPrefix("bearer ") ? String(value.dropFirst(7)).trimmingCharacters(in: .whitespaces) : nil
            }
            let fromSubprotocol = offered.first { $0.hasPrefix(Self.keyPrefix) }.map { String($0.dropFirst(Self.keyPrefix.count)) }
            guard let presented = bearer ?? fromSubprotocol else {
                return .unauthorized("a token is required: Authorization: Bearer <token>, or the subprotocol \(Self.keyPrefix)<token>")
            }
            guard Self.constantTimeEqual(presented, token) else { return .unauthorized("wrong token") }
        }
        // Answer with a protocol the client offered (browsers fail the handshake otherwise);
        // never echo the key.
        let chosen = offered.first { $0 == "realtime" } ?? offered.first { !$0.hasPrefix(Self.keyPrefix) }
        return .allow(subprotocol: chosen)
    }

    /// By default pages served from this machine's loopback names; with a token configured also
    /// pages of the host the client addressed (the daemon's own page on a LAN address), since a
    /// rebinding page cannot know the token.
    func originAllowed(_ origin: String, host: String?) -> Bool {
        if allowedOrigins.contains("*") || allowedOrigins.contains(origin) { return true }
        guard allowedOrigins.isEmpty else { return false }
        let originHost = origin.split(separator: "/").dropFirst().first.map(String.init) ?? ""
        if token != nil, let host, originHost == host { return true }
        return Self.loopbackNames.contains(Self.hostName(originHost))
    }

    static let loopbackNames: Set<String> = ["localhost", "127.0.0.1", "::1"]

    /// The name in `host[:port]` or `[v6]:port`.
    static func hostName(_ authority: String) -> String {
        if authority.hasPrefix("[") { return String(authority.dropFirst().prefix { $0 != "]" }) }
        return String(authority.split(separator: ":", maxSplits: 1).first ?? "").lowercased()
    }

    /// An IP literal (which no DNS answer can change) or localhost.
    static func isAddressOrLocalhost(_ name: String) -> Bool {
        if name == "localhost" || name.hasSuffix(".localhost") { return true }
        var v4 = in_addr(), v6 = in6_addr()
        return inet_pton(AF_INET, name, &v4) == 1 || inet_pton(AF_INET6, name, &v6) == 1
    }

    /// Compares without an early exit; SHA-256 first, so not even the token's length shows in the time taken.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(SHA256.hash(data: Data(a.utf8))), y = Array(SHA256.hash(data: Data(b.utf8)))
        var difference = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) {
            difference |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
        }
        return difference == 0
    }
}

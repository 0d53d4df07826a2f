import HTTPTypes

/// Who may open a session (PROTOCOL.md, "Connection"): the bearer token, presented as an
/// `Authorization` header or, from browsers, as the `openai-insecure-api-key.<token>`
/// subprotocol; and the `Origin` allow-list. A value type, tested without sockets.
struct AccessPolicy: Sendable {
    var token: String?
    /// Allowed Origins, or `["*"]`; empty allows only pages of this host (localhost).
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
        if let origin = request.headerFields[.origin], !originAllowed(origin, host: request.authority) {
            return .forbidden("origin \(origin) is not allowed (configure server.allowed_origins)")
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

    func originAllowed(_ origin: String, host: String?) -> Bool {
        if allowedOrigins.contains("*") || allowedOrigins.contains(origin) { return true }
        guard allowedOrigins.isEmpty else { return false }
        // Default: the daemon's own pages and local development pages.
        let originHost = origin.split(separator: "/").dropFirst().first.map(String.init) ?? ""
        if let host, originHost == host { return true }
        let name = originHost.hasPrefix("[") ? String(originHost.prefix { $0 != "]" }.dropFirst()) : String(originHost.split(separator: ":").first ?? "")
        return ["localhost", "127.0.0.1", "::1"].contains(name)
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var difference = UInt8(x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) {
            difference |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
        }
        return difference == 0
    }
}

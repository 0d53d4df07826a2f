/// Why a remote request failed, in words a user of the daemon can act on.
public enum RemoteError: Error, Sendable, Equatable, CustomStringConvertible {
    case unreachable(String)
    case http(status: Int, body: String)
    case firstTokenTimeout(ms: Int)
    case idleTimeout(ms: Int)
    case malformed(String)
    case server(String)
    /// The stream ended without a `finish_reason`: the reply is not whole.
    case cutShort
    case cancelled

    /// Worth another attempt (only before the first token).
    var isRetryable: Bool {
        switch self {
        case .unreachable, .firstTokenTimeout: return true
        case .http(let status, _): return status == 429 || status >= 500
        default: return false
        }
    }

    /// A short name for metrics labels.
    public var kind: String {
        switch self {
        case .unreachable: "unreachable"
        case .http: "http"
        case .firstTokenTimeout: "first_token_timeout"
        case .idleTimeout: "idle_timeout"
        case .malformed: "malformed"
        case .server: "server_error"
        case .cutShort: "cut_short"
        case .cancelled: "cancelled"
        }
    }

    public var description: String {
        switch self {
        case .unreachable(let why): "the remote model server cannot be reached (\(why))"
        case let .http(status, body): "the remote model server answered HTTP \(status)\(body.isEmpty ? "" : ": \(body.prefix(200))")"
        case .firstTokenTimeout(let ms): "the remote model sent nothing within \(ms) ms (remote.first_token_timeout_ms)"
        case .idleTimeout(let ms): "the remote model's stream stalled for \(ms) ms (remote.idle_timeout_ms)"
        case .malformed(let why): "the remote model server sent something unreadable: \(why)"
        case .server(let message): "the remote model server reported an error: \(message)"
        case .cutShort: "the remote model server ended the reply before it was finished (no finish_reason; llama-cpp-python's server "
            + "does this to a stream when another request comes: run it with --interrupt_requests False)"
        case .cancelled: "cancelled"
        }
    }
}

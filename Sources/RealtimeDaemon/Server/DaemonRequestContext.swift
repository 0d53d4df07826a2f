import Hummingbird
import NIOCore

/// The request context of the daemon's routes: Hummingbird's, plus the peer's address (failed
/// authentications are counted per address).
struct DaemonRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let peer: String

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        peer = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }
}

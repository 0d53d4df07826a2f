import Hummingbird
import NIOCore

/// The page people talk to the daemon with, served at `/`: a microphone button, the live
/// transcript, the model's thinking apart from the spoken answer, the reply played as it
/// arrives, per-turn latency. It is also the reference browser client of PROTOCOL.md (the
/// subprotocol token, Opus through WebCodecs or PCM, barge-in with `conversation.item.truncate`).
///
/// The files are compiled into the binary (no resource bundle to lose when the binary is
/// copied) and use nothing from outside the daemon: no fonts, scripts or CDNs.
enum WebPage {
    struct File {
        var contentType: String
        var body: String
    }

    static let files: [String: File] = [
        "/": File(contentType: "text/html; charset=utf-8", body: html),
        "/app.js": File(contentType: "text/javascript; charset=utf-8", body: script),
        "/capture-worklet.js": File(contentType: "text/javascript; charset=utf-8", body: captureWorklet),
        "/style.css": File(contentType: "text/css; charset=utf-8", body: style),
    ]

    /// Only the page's own files, the daemon's WebSocket and blobs; nothing inline, nothing remote.
    static let contentSecurityPolicy = "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; "
        + "media-src 'self' blob:; worker-src 'self' blob:; style-src 'self'; script-src 'self'; "
        + "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

    static func register(on router: Router<DaemonRequestContext>) {
        for (path, file) in files {
            router.get(RouterPath(path)) { _, _ in
                Response(status: .ok,
                         headers: [.contentType: file.contentType, .cacheControl: "no-cache",
                                   .contentSecurityPolicy: contentSecurityPolicy, .xContentTypeOptions: "nosniff"],
                         body: .init(byteBuffer: ByteBuffer(string: file.body)))
            }
        }
    }
}

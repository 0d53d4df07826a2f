import NIOCore
import NIOHTTP1

/// Refuses a WebSocket upgrade with a real status (401, 403) instead of the WebSocket library's
/// generic 400: the response is written and the connection closed before the upgrade handler
/// gives up (its own 400 then finds the connection closed and is dropped).
enum UpgradeRefusal {
    static func respond(on channel: any Channel, status: HTTPResponseStatus, reason: String) async throws {
        let body = ByteBuffer(string: reason + "\n")
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/plain; charset=utf-8")
        headers.add(name: "Content-Length", value: "\(body.readableBytes)")
        headers.add(name: "Connection", value: "close")
        if status == .unauthorized { headers.add(name: "WWW-Authenticate", value: "Bearer") }
        let head = HTTPResponseHead(version: .http1_1, status: status, headers: headers)
        try await channel.eventLoop.flatSubmit {
            channel.write(HTTPServerResponsePart.head(head), promise: nil)
            channel.write(HTTPServerResponsePart.body(.byteBuffer(body)), promise: nil)
            return channel.writeAndFlush(HTTPServerResponsePart.end(nil)).flatMap { channel.close() }
        }.get()
    }
}

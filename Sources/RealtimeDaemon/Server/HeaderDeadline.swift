import HummingbirdCore
import Logging
import NIOCore

/// A server child channel that closes a connection whose request headers have not all arrived
/// within `deadline` of it opening (a slow or silent client, before any authentication can
/// apply), then leaves the pipeline to `inner`.
struct HeaderDeadlineChannel<Inner: ServerChildChannel>: ServerChildChannel {
    let inner: Inner
    let deadline: TimeAmount

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Inner.Value> {
        do {
            try channel.pipeline.syncOperations.addHandler(HeaderDeadlineHandler(deadline: deadline))
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        return inner.setup(channel: channel, logger: logger)
    }

    func handle(value: Inner.Value, logger: Logger) async {
        await inner.handle(value: value, logger: logger)
    }
}

/// Watches the first bytes of a connection for the blank line that ends the request headers;
/// closes the connection if it does not come in time, and removes itself once it has.
final class HeaderDeadlineHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    let deadline: TimeAmount
    private var timer: Scheduled<Void>?
    /// The last bytes seen, so that "\r\n\r\n" split across reads is found.
    private var tail: [UInt8] = []

    init(deadline: TimeAmount) { self.deadline = deadline }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        timer = context.eventLoop.scheduleTask(in: deadline) { channel.close(promise: nil) }
    }

    func handlerRemoved(context: ChannelHandlerContext) { timer?.cancel() }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        let bytes = tail + buffer.readableBytesView
        let complete = bytes.count >= 4 && (0...(bytes.count - 4)).contains { i in
            bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10
        }
        tail = Array(bytes.suffix(3))
        context.fireChannelRead(data)
        if complete {
            timer?.cancel()
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
    }
}

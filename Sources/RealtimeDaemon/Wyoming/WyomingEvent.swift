import Foundation
import NIOCore

/// One event of the Wyoming protocol (rhasspy's `wyoming` package, 1.x): a JSON header line
/// `{"type", "version", "data_length", "payload_length"}`, then `data_length` bytes of JSON data,
/// then `payload_length` bytes of payload (audio). Older peers put `data` in the header itself.
struct WyomingEvent: @unchecked Sendable {
    /// The protocol version we write (the `wyoming` package's).
    static let version = "1.10.0"

    var type: String
    /// The event's data: a JSON object (read on the connection's task only).
    var data: [String: Any]
    var payload: [UInt8]?

    init(_ type: String, _ data: [String: Any] = [:], payload: [UInt8]? = nil) {
        self.type = type
        self.data = data
        self.payload = payload
    }

    func string(_ key: String) -> String? { data[key] as? String }
    func int(_ key: String) -> Int? { (data[key] as? NSNumber).map(\.intValue) }

    /// The event on the wire.
    func write(to buffer: inout ByteBuffer) {
        var header: [String: Any] = ["type": type, "version": Self.version]
        var body: Data?
        if !data.isEmpty, let encoded = try? JSONSerialization.data(withJSONObject: data, options: [.sortedKeys, .withoutEscapingSlashes]) {
            body = encoded
            header["data_length"] = encoded.count
        }
        if let payload, !payload.isEmpty { header["payload_length"] = payload.count }
        let line = (try? JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])) ?? Data(#"{"type":"error"}"#.utf8)
        buffer.writeBytes(line)
        buffer.writeInteger(UInt8(ascii: "\n"))
        if let body { buffer.writeBytes(body) }
        if let payload, !payload.isEmpty { buffer.writeBytes(payload) }
    }

    /// A Wyoming `error` event.
    static func error(_ text: String, code: String) -> WyomingEvent { WyomingEvent("error", ["text": text, "code": code]) }
}

/// What the decoder hands the connection: an event, or a line it could not read (the
/// connection answers with an `error` and goes on).
enum WyomingInput: Sendable {
    case event(WyomingEvent)
    case malformed(String)
}

/// Cuts the byte stream into events, within bounds: a header line of at most 64 KiB, data of at
/// most 1 MiB and a payload of at most 4 MiB (a second of 16-bit stereo 48 kHz audio is 192 KB).
/// A larger declared length cannot be skipped safely and closes the connection.
struct WyomingEventDecoder: ByteToMessageDecoder {
    typealias InboundOut = WyomingInput

    static let maximumHeaderBytes = 64 << 10
    static let maximumDataBytes = 1 << 20
    static let maximumPayloadBytes = 4 << 20

    enum Failure: Error, CustomStringConvertible {
        case tooLarge(String)
        var description: String { switch self { case .tooLarge(let what): "\(what) is larger than this server accepts" } }
    }

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > Self.maximumHeaderBytes { throw Failure.tooLarge("a header line") }
            return .needMoreData
        }
        let lineLength = newline - buffer.readerIndex
        guard lineLength <= Self.maximumHeaderBytes else { throw Failure.tooLarge("a header line") }
        let line = buffer.getBytes(at: buffer.readerIndex, length: lineLength) ?? []
        guard let header = (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any], let type = header["type"] as? String else {
            buffer.moveReaderIndex(forwardBy: lineLength + 1)
            context.fireChannelRead(wrapInboundOut(.malformed("a header line is not a JSON object with a \"type\"")))
            return .continue
        }
        let dataLength = max(0, (header["data_length"] as? NSNumber)?.intValue ?? 0)
        let payloadLength = max(0, (header["payload_length"] as? NSNumber)?.intValue ?? 0)
        guard dataLength <= Self.maximumDataBytes else { throw Failure.tooLarge("event data of \(dataLength) bytes") }
        guard payloadLength <= Self.maximumPayloadBytes else { throw Failure.tooLarge("a payload of \(payloadLength) bytes") }
        guard buffer.readableBytes >= lineLength + 1 + dataLength + payloadLength else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: lineLength + 1)
        var data = header["data"] as? [String: Any] ?? [:]
        if dataLength > 0, let bytes = buffer.readBytes(length: dataLength) {
            guard let more = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] else {
                buffer.moveReaderIndex(forwardBy: payloadLength)
                context.fireChannelRead(wrapInboundOut(.malformed("the data of a \(type.prefix(40)) event is not a JSON object")))
                return .continue
            }
            data.merge(more) { _, new in new }
        }
        let payload = payloadLength > 0 ? buffer.readBytes(length: payloadLength) : nil
        context.fireChannelRead(wrapInboundOut(.event(WyomingEvent(type, data, payload: payload))))
        return .continue
    }
}

struct WyomingEventEncoder: MessageToByteEncoder {
    typealias OutboundIn = WyomingEvent
    func encode(data: WyomingEvent, out: inout ByteBuffer) throws { data.write(to: &out) }
}

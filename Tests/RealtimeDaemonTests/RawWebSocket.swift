import Foundation
import Glibc

/// A WebSocket client on a plain socket, for what well-behaved libraries never send: stray
/// continuation frames, frames larger than allowed, a client that stops reading or never
/// finishes its headers. Blocking calls; use from `offPool`.
final class RawWebSocket {
    let fd: Int32

    /// Connects to 127.0.0.1:`port`; `receiveBuffer` shrinks the socket's receive window.
    init(port: Int, receiveBuffer: Int32? = nil) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        if var size = receiveBuffer { setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size)) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { close(fd); throw LiveTestError.timeout("cannot connect to port \(port)") }
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            offset += n
        }
    }

    /// Sends the upgrade request and reads the response's headers; returns the status line.
    func upgrade(path: String = "/v1/realtime", host: String = "127.0.0.1") throws -> String {
        send(Array("GET \(path) HTTP/1.1\r\nHost: \(host)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n".utf8))
        var head: [UInt8] = []
        while !head.suffix(4).elementsEqual([13, 10, 13, 10]) {
            guard let byte = readBytes(1, timeout: 10)?.first else { throw LiveTestError.timeout("no upgrade response") }
            head.append(byte)
        }
        return String(decoding: head, as: UTF8.self).components(separatedBy: "\r\n").first ?? ""
    }

    /// A masked client frame.
    static func frame(opcode: UInt8, payload: [UInt8], fin: Bool = true) -> [UInt8] {
        var out: [UInt8] = [(fin ? 0x80 : 0) | opcode]
        let n = payload.count
        if n < 126 {
            out.append(0x80 | UInt8(n))
        } else if n < 65_536 {
            out += [0x80 | 126, UInt8(n >> 8), UInt8(n & 0xFF)]
        } else {
            out.append(0x80 | 127)
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8((n >> shift) & 0xFF)) }
        }
        let mask: [UInt8] = [0x12, 0x34, 0x56, 0x78]
        out += mask
        out += payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
        return out
    }

    func sendText(_ text: String) { send(Self.frame(opcode: 1, payload: Array(text.utf8))) }

    /// Up to `count` bytes, waiting at most `timeout` seconds; nil on timeout, [] when closed.
    func readBytes(_ count: Int, timeout: Double) -> [UInt8]? {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, Int32(timeout * 1000)) > 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: count)
        let n = recv(fd, &buffer, count, 0)
        return n <= 0 ? [] : Array(buffer[0..<n])
    }

    /// Reads server frames until a close frame (returns its code) or the connection ends (nil).
    func closeCode(within timeout: Double) -> UInt16? {
        let deadline = Date().addingTimeInterval(timeout)
        var data: [UInt8] = []
        while Date() < deadline {
            guard let more = readBytes(65_536, timeout: max(0.05, deadline.timeIntervalSinceNow)) else { continue }
            if more.isEmpty { break }
            data += more
            // Walk the server's (unmasked) frames.
            var i = 0
            while i + 2 <= data.count {
                let opcode = data[i] & 0x0F
                var length = Int(data[i + 1] & 0x7F), header = 2
                if length == 126, i + 4 <= data.count { length = Int(data[i + 2]) << 8 | Int(data[i + 3]); header = 4 }
                if length == 127, i + 10 <= data.count { length = data[(i + 2)..<(i + 10)].reduce(0) { $0 << 8 | Int($1) }; header = 10 }
                guard i + header + length <= data.count else { break }
                if opcode == 8 {
                    return length >= 2 ? UInt16(data[i + header]) << 8 | UInt16(data[i + header + 1]) : 1005
                }
                i += header + length
            }
        }
        return nil
    }

    /// Whether the server closed the connection (end of stream) within `timeout` seconds.
    func isClosed(within timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            guard let bytes = readBytes(65_536, timeout: max(0.05, deadline.timeIntervalSinceNow)) else { continue }
            if bytes.isEmpty { return true }
        }
        return false
    }
}

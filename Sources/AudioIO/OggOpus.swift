import COgg

/// The two header packets every Ogg Opus stream starts with (RFC 7845).
enum OggOpusHeader {
    static func head(preSkip: Int, inputSampleRate: Int) -> [UInt8] {
        var h = Array("OpusHead".utf8)
        h.append(1)  // version
        h.append(1)  // channels
        h += le16(preSkip)
        h += le32(inputSampleRate)
        h += le16(0)  // output gain
        h.append(0)  // channel mapping family 0: mono/stereo
        return h
    }

    static func tags(vendor: String) -> [UInt8] {
        var t = Array("OpusTags".utf8)
        let v = Array(vendor.utf8)
        t += le32(v.count) + v + le32(0)
        return t
    }

    static func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xff), UInt8((v >> 8) & 0xff)] }
    static func le32(_ v: Int) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * $0)) & 0xff) } }
}

/// Writes Opus packets into Ogg pages through libogg: header pages first, then audio pages
/// with granule positions in 48 kHz samples. Returns bytes to be written to a file or socket.
public final class OggOpusWriter {
    private let stream = UnsafeMutablePointer<ogg_stream_state>.allocate(capacity: 1)
    private var packetNumber: Int64 = 0
    private var granule: Int64
    private let preSkip: Int
    private var pendingHeaderPages: [UInt8] = []

    /// - Parameter preSkip: samples the decoder should drop at the start (the encoder's lookahead).
    public init(serial: Int32 = Int32.random(in: 1...Int32.max), preSkip: Int = 312, inputSampleRate: Int = OpusFormat.sampleRate) throws(AudioError) {
        guard ogg_stream_init(stream, serial) == 0 else {
            stream.deallocate()
            throw .oggOpus("ogg_stream_init failed")
        }
        self.preSkip = preSkip
        granule = Int64(preSkip)
        // RFC 7845: OpusHead alone on the first page, OpusTags ending the second.
        _ = submit(OggOpusHeader.head(preSkip: preSkip, inputSampleRate: inputSampleRate), granule: 0, bos: true)
        pendingHeaderPages = pages(flush: true)
        _ = submit(OggOpusHeader.tags(vendor: "realtime-daemon"), granule: 0)
        pendingHeaderPages += pages(flush: true)
    }

    deinit {
        ogg_stream_clear(stream)
        stream.deallocate()
    }

    /// The two header pages (call once, before any audio page).
    public func headerPages() -> [UInt8] {
        defer { pendingHeaderPages = [] }
        return pendingHeaderPages
    }

    /// Adds one audio packet of `samples` 48 kHz samples; returns any pages now complete.
    /// `flush` closes the current page at once (lower latency, more overhead); `isLast` ends
    /// the stream with this packet.
    public func append(packet: [UInt8], samples: Int = OpusFormat.frameSamples, flush: Bool = false, isLast: Bool = false) -> [UInt8] {
        granule += Int64(samples)
        _ = submit(packet, granule: granule, eos: isLast)
        return pages(flush: flush || isLast)
    }

    private func submit(_ bytes: [UInt8], granule: Int64, bos: Bool = false, eos: Bool = false) -> Int32 {
        var copy = bytes
        return copy.withUnsafeMutableBufferPointer { buf in
            var packet = ogg_packet()
            packet.packet = buf.baseAddress
            packet.bytes = buf.count
            packet.b_o_s = bos ? 1 : 0
            packet.e_o_s = eos ? 1 : 0
            packet.granulepos = granule
            packet.packetno = packetNumber
            packetNumber += 1
            return ogg_stream_packetin(stream, &packet)
        }
    }

    private func pages(flush: Bool) -> [UInt8] {
        var out = [UInt8]()
        var page = ogg_page()
        while (flush ? ogg_stream_flush(stream, &page) : ogg_stream_pageout(stream, &page)) != 0 {
            out.append(contentsOf: UnsafeBufferPointer(start: page.header, count: page.header_len))
            out.append(contentsOf: UnsafeBufferPointer(start: page.body, count: page.body_len))
        }
        return out
    }
}

/// Reads Opus packets out of Ogg pages, fed as bytes arrive (a file, or WebSocket binary frames
/// that start with `OggS`). Checks the OpusHead and OpusTags headers and hands out audio packets.
public final class OggOpusReader {
    private let sync = UnsafeMutablePointer<ogg_sync_state>.allocate(capacity: 1)
    private let stream = UnsafeMutablePointer<ogg_stream_state>.allocate(capacity: 1)
    private var streamStarted = false
    private var headerPacketsSeen = 0
    /// The pre-skip the stream's OpusHead declares (samples to drop at the start).
    public private(set) var preSkip = 0
    /// Bytes accepted without finding a page; guards against unbounded buffering of garbage.
    private var bytesWithoutPage = 0
    private let maxBytesWithoutPage = 256 * 1024

    public init() {
        ogg_sync_init(sync)
    }

    deinit {
        ogg_sync_clear(sync)
        if streamStarted { ogg_stream_clear(stream) }
        sync.deallocate()
        stream.deallocate()
    }

    /// Feeds bytes and returns every audio packet now complete, in order.
    public func push(_ bytes: [UInt8]) throws(AudioError) -> [[UInt8]] {
        guard !bytes.isEmpty else { return [] }
        guard let buffer = ogg_sync_buffer(sync, bytes.count) else { throw .oggOpus("out of memory") }
        bytes.withUnsafeBufferPointer { source in
            if let base = source.baseAddress { UnsafeMutableRawPointer(buffer).copyMemory(from: base, byteCount: source.count) }
        }
        ogg_sync_wrote(sync, bytes.count)
        bytesWithoutPage += bytes.count

        var packets = [[UInt8]]()
        var page = ogg_page()
        while true {
            let result = ogg_sync_pageout(sync, &page)
            if result == 0 { break }
            if result < 0 {
                if !streamStarted { throw .oggOpus("bytes before the first page are not Ogg (no 'OggS' capture pattern)") }
                throw .oggOpus("lost page sync (corrupt or missing data)")
            }
            bytesWithoutPage = 0
            try accept(page: &page, into: &packets)
        }
        if bytesWithoutPage > maxBytesWithoutPage {
            throw .oggOpus("\(bytesWithoutPage) bytes without a complete Ogg page")
        }
        return packets
    }

    private func accept(page: inout ogg_page, into packets: inout [[UInt8]]) throws(AudioError) {
        if !streamStarted {
            guard ogg_page_bos(&page) != 0 else { throw .oggOpus("stream does not start with a beginning-of-stream page") }
            guard ogg_stream_init(stream, ogg_page_serialno(&page)) == 0 else { throw .oggOpus("ogg_stream_init failed") }
            streamStarted = true
        }
        guard ogg_page_serialno(&page) == stream.pointee.serialno else {
            return  // another logical stream (e.g. a multiplexed video track): ignore it
        }
        guard ogg_stream_pagein(stream, &page) == 0 else { throw .oggOpus("page rejected by the stream (bad sequence)") }
        var packet = ogg_packet()
        while true {
            let r = ogg_stream_packetout(stream, &packet)
            if r == 0 { break }
            if r < 0 { throw .oggOpus("a page is missing (gap in the packet sequence)") }
            let bytes = Array(UnsafeBufferPointer(start: packet.packet, count: packet.bytes))
            switch headerPacketsSeen {
            case 0:
                guard bytes.count >= 19, bytes.starts(with: Array("OpusHead".utf8)) else { throw .oggOpus("first packet is not OpusHead") }
                guard bytes[9] == 1 else { throw .oggOpus("only mono Ogg Opus is accepted (stream has \(bytes[9]) channels)") }
                preSkip = Int(bytes[10]) | Int(bytes[11]) << 8
                headerPacketsSeen = 1
            case 1:
                guard bytes.starts(with: Array("OpusTags".utf8)) else { throw .oggOpus("second packet is not OpusTags") }
                headerPacketsSeen = 2
            default:
                if !bytes.isEmpty { packets.append(bytes) }
            }
        }
    }
}

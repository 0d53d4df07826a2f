import COpus

/// Opus's own description of an error code.
func opusMessage(_ code: Int32) -> String { String(cString: opus_strerror(code)) }

/// Settings shared by the encoder and the protocol: mono, 48 kHz, 20 ms frames.
public enum OpusFormat {
    public static let sampleRate = 48_000
    public static let frameDurationMs = 20
    public static let frameSamples = 960
    /// Largest Opus frame: 120 ms at 48 kHz.
    public static let maxFrameSamples = 5_760
    /// Largest packet we produce or accept (RFC 6716 allows up to 1275 bytes per frame, 3 frames per 60 ms).
    public static let maxPacketBytes = 4_000

    /// How many 48 kHz samples a packet holds, read from its table of contents (RFC 6716 §3.1)
    /// without decoding it. Empty, oversized or malformed packets are errors.
    public static func sampleCount(of packet: [UInt8]) throws(AudioError) -> Int {
        guard !packet.isEmpty else { throw .opus(operation: "decode", message: "empty packet") }
        guard packet.count <= maxPacketBytes else {
            throw .opus(operation: "decode", message: "packet of \(packet.count) bytes exceeds \(maxPacketBytes)")
        }
        let samples = opus_packet_get_nb_samples(packet, Int32(packet.count), Int32(sampleRate))
        guard samples > 0 else { throw .opus(operation: "decode", message: opusMessage(samples < 0 ? samples : OPUS_INVALID_PACKET)) }
        guard samples <= maxFrameSamples else {
            throw .opus(operation: "decode", message: "packet holds \(samples) samples, more than 120 ms")
        }
        return Int(samples)
    }
}

/// A mono 48 kHz Opus encoder (VOIP application) producing one packet per 20 ms frame.
public final class OpusEncoder {
    private let handle: OpaquePointer
    private var packet = [UInt8](repeating: 0, count: OpusFormat.maxPacketBytes)

    /// - Parameters:
    ///   - bitrate: bits per second (500–512,000).
    ///   - complexity: 0–10; 10 is best quality, lower is cheaper.
    ///   - expectedLossPercent: tunes the in-band forward error correction.
    public init(bitrate: Int = 24_000, complexity: Int = 10, expectedLossPercent: Int = 0) throws(AudioError) {
        var error: Int32 = 0
        guard let h = opus_encoder_create(Int32(OpusFormat.sampleRate), 1, Int32(rt_opus_application_voip()), &error), error == OPUS_OK else {
            throw .opus(operation: "encoder_create", message: opusMessage(error))
        }
        handle = h
        try check(rt_opus_set_bitrate(h, Int32(bitrate)), "set bitrate \(bitrate)")
        try check(rt_opus_set_complexity(h, Int32(complexity)), "set complexity \(complexity)")
        try check(rt_opus_set_signal_voice(h), "set signal voice")
        if expectedLossPercent > 0 {
            try check(rt_opus_set_inband_fec(h, 1), "enable FEC")
            try check(rt_opus_set_packet_loss_perc(h, Int32(expectedLossPercent)), "set loss percent")
        }
    }

    deinit { opus_encoder_destroy(handle) }

    public var bitrate: Int {
        var v: Int32 = 0
        _ = rt_opus_get_bitrate(handle, &v)
        return Int(v)
    }

    /// Samples the decoder output lags behind the input (the encoder's lookahead).
    public var lookahead: Int {
        var v: Int32 = 0
        _ = rt_opus_get_lookahead(handle, &v)
        return Int(v)
    }

    /// Encodes exactly one 20 ms frame (960 samples at 48 kHz) into one packet.
    public func encode(_ frame: [Float]) throws(AudioError) -> [UInt8] {
        guard frame.count == OpusFormat.frameSamples else {
            throw .badFrameSize(got: frame.count, expected: "\(OpusFormat.frameSamples) (20 ms at 48 kHz)")
        }
        let capacity = Int32(packet.count)
        let n = opus_encode_float(handle, frame, Int32(frame.count), &packet, capacity)
        guard n > 0 else { throw .opus(operation: "encode", message: opusMessage(n)) }
        return Array(packet[0..<Int(n)])
    }

    public func reset() { _ = rt_opus_reset_encoder(handle) }

    private func check(_ code: Int32, _ what: String) throws(AudioError) {
        guard code == OPUS_OK else { throw .opus(operation: what, message: opusMessage(code)) }
    }
}

/// A mono 48 kHz Opus decoder. Accepts packets of any valid frame size (2.5–120 ms) and
/// conceals a lost packet when asked.
public final class OpusDecoder {
    private let handle: OpaquePointer
    private var pcm = [Float](repeating: 0, count: OpusFormat.maxFrameSamples)

    public init() throws(AudioError) {
        var error: Int32 = 0
        guard let h = opus_decoder_create(Int32(OpusFormat.sampleRate), 1, &error), error == OPUS_OK else {
            throw .opus(operation: "decoder_create", message: opusMessage(error))
        }
        handle = h
    }

    deinit { opus_decoder_destroy(handle) }

    /// Decodes one packet. Garbage bytes give `AudioError.opus`, never a crash; the decoder
    /// stays usable afterwards.
    public func decode(_ packet: [UInt8]) throws(AudioError) -> [Float] {
        try run(packet, frameSize: OpusFormat.sampleCount(of: packet))
    }

    /// Packet-loss concealment: synthesises `samples` (default 20 ms) in place of a missing packet.
    public func concealLoss(samples: Int = OpusFormat.frameSamples) throws(AudioError) -> [Float] {
        guard samples > 0, samples <= OpusFormat.maxFrameSamples, samples % 120 == 0 else {
            throw .badFrameSize(got: samples, expected: "a multiple of 2.5 ms up to 120 ms")
        }
        return try run(nil, frameSize: samples)
    }

    public func reset() { _ = rt_opus_reset_decoder(handle) }

    private func run(_ packet: [UInt8]?, frameSize: Int) throws(AudioError) -> [Float] {
        let n: Int32
        if let packet {
            n = opus_decode_float(handle, packet, Int32(packet.count), &pcm, Int32(frameSize), 0)
        } else {
            // A null packet asks libopus to conceal the loss from its state.
            n = opus_decode_float(handle, nil, 0, &pcm, Int32(frameSize), 0)
        }
        guard n > 0 else { throw .opus(operation: packet == nil ? "conceal" : "decode", message: opusMessage(n)) }
        return Array(pcm[0..<Int(n)])
    }
}

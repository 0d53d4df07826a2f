import CAlsa
import Glibc

/// The ALSA PCM devices this machine has, for `doctor`: the names libasound's hints give, and
/// for each hardware device the rates it accepts.
public enum AlsaDeviceList {
    public struct Device: Sendable, Equatable {
        public var name: String
        public var description: String
        public var capture: Bool
        public var playback: Bool
        /// The rate range of a `hw:` device in each direction it has, or why it could not be read.
        public var captureRates: Result<ClosedRange<Int>, AudioError>?
        public var playbackRates: Result<ClosedRange<Int>, AudioError>?
    }

    /// Every PCM named by libasound's hints (`default`, `sysdefault:…`, `hw:…`, plugins).
    public static func devices() -> [Device] {
        rt_alsa_silence_errors()
        var hints: UnsafeMutablePointer<UnsafeMutableRawPointer?>?
        guard snd_device_name_hint(-1, "pcm", &hints) >= 0, let hints else { return [] }
        defer { snd_device_name_free_hint(hints) }
        var devices: [Device] = []
        var cursor = hints
        while let hint = cursor.pointee {
            defer { cursor += 1 }
            func field(_ id: String) -> String? {
                guard let value = snd_device_name_get_hint(hint, id) else { return nil }
                defer { free(value) }
                return String(cString: value)
            }
            guard let name = field("NAME") else { continue }
            let io = field("IOID")  // nil: both directions
            var device = Device(name: name, description: (field("DESC") ?? "").split(separator: "\n").joined(separator: ", "),
                                capture: io == nil || io == "Input", playback: io == nil || io == "Output")
            if name.hasPrefix("hw:") {
                if device.capture { device.captureRates = rateRange(name, stream: SND_PCM_STREAM_CAPTURE) }
                if device.playback { device.playbackRates = rateRange(name, stream: SND_PCM_STREAM_PLAYBACK) }
            }
            devices.append(device)
        }
        return devices
    }

    /// The rates a device accepts, read without starting it (opened non-blocking: a device in
    /// use answers "busy" at once).
    public static func rateRange(_ name: String, stream: snd_pcm_stream_t) -> Result<ClosedRange<Int>, AudioError> {
        func failure(_ op: String, _ code: Int32) -> Result<ClosedRange<Int>, AudioError> {
            .failure(.alsa(device: name, operation: op, message: alsaMessage(code)))
        }
        var pcm: OpaquePointer?
        let opened = snd_pcm_open(&pcm, name, stream, SND_PCM_NONBLOCK)
        guard opened >= 0, let pcm else { return failure("open", opened) }
        defer { snd_pcm_close(pcm) }
        guard let hw = rt_alsa_hw_params_new() else { return failure("allocate hw params", -ENOMEM) }
        defer { snd_pcm_hw_params_free(hw) }
        let err = snd_pcm_hw_params_any(pcm, hw)
        guard err >= 0 else { return failure("query hardware parameters", err) }
        var low: UInt32 = 0, high: UInt32 = 0
        snd_pcm_hw_params_get_rate_min(hw, &low, nil)
        snd_pcm_hw_params_get_rate_max(hw, &high, nil)
        return .success(Int(low)...Int(max(low, high)))
    }
}

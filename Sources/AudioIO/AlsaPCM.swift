import CAlsa
import Glibc

/// How an ALSA device is opened.
public struct AlsaDeviceConfiguration: Sendable, Equatable {
    /// ALSA PCM name, e.g. `default`, `hw:1,0`, `plughw:CARD=USB`.
    public var device: String
    public var sampleRate: Int
    /// One period is the unit the audio thread moves; 20 ms by default.
    public var periodMs: Int
    /// Periods in the device buffer (latency versus xrun margin).
    public var bufferPeriods: Int
    /// Extra ALSA configuration text loaded on top of the system's (defines test or custom PCMs).
    public var configText: String?

    public init(device: String = "default", sampleRate: Int, periodMs: Int = 20, bufferPeriods: Int = 4, configText: String? = nil) {
        self.device = device
        self.sampleRate = sampleRate
        self.periodMs = periodMs
        self.bufferPeriods = bufferPeriods
        self.configText = configText
    }

    public var periodFrames: Int { sampleRate * periodMs / 1000 }
}

/// libasound's message for an error code.
func alsaMessage(_ code: Int32) -> String { String(cString: snd_strerror(code)) }

/// One open ALSA PCM (mono, signed 16-bit, interleaved), closed on deinit.
///
/// This is the thin layer between the audio threads and libasound: errors become
/// `AudioError.alsa` with libasound's message; xruns are recovered here and reported to
/// the caller so it can count them.
public final class AlsaPCM: @unchecked Sendable {
    public enum Direction: Sendable { case capture, playback }

    public let configuration: AlsaDeviceConfiguration
    public let direction: Direction
    /// Frames per period as negotiated with the device.
    public let periodFrames: Int
    public let sampleRate: Int
    /// False for PCMs with no clock of their own (the `file` and `null` plugins): they accept
    /// or deliver any amount at once, so the audio thread paces itself at the nominal rate.
    public let hasClock: Bool
    private let handle: OpaquePointer

    public init(_ configuration: AlsaDeviceConfiguration, direction: Direction) throws(AudioError) {
        rt_alsa_silence_errors()
        self.configuration = configuration
        self.direction = direction
        let stream = direction == .capture ? SND_PCM_STREAM_CAPTURE : SND_PCM_STREAM_PLAYBACK
        let device = configuration.device
        func fail(_ op: String, _ code: Int32) -> AudioError { .alsa(device: device, operation: op, message: alsaMessage(code)) }

        // Non-blocking, so no call can hang on a device that stops answering: the audio threads
        // wait with a timeout (`waitReady`) and can always be stopped.
        var pcm: OpaquePointer?
        let opened: Int32
        if let text = configuration.configText {
            opened = rt_alsa_open_with_config(&pcm, device, stream, SND_PCM_NONBLOCK, text)
        } else {
            opened = snd_pcm_open(&pcm, device, stream, SND_PCM_NONBLOCK)
        }
        guard opened >= 0, let pcm else { throw fail("open", opened) }
        handle = pcm

        do throws(AudioError) {
            guard let hw = rt_alsa_hw_params_new() else { throw fail("allocate hw params", -ENOMEM) }
            defer { snd_pcm_hw_params_free(hw) }
            var err = snd_pcm_hw_params_any(pcm, hw)
            guard err >= 0 else { throw fail("query hardware parameters", err) }
            err = snd_pcm_hw_params_set_access(pcm, hw, SND_PCM_ACCESS_RW_INTERLEAVED)
            guard err >= 0 else { throw fail("set interleaved access", err) }
            err = snd_pcm_hw_params_set_format(pcm, hw, SND_PCM_FORMAT_S16_LE)
            guard err >= 0 else { throw fail("set format S16_LE", err) }
            err = snd_pcm_hw_params_set_channels(pcm, hw, 1)
            guard err >= 0 else { throw fail("set mono", err) }
            var rate = UInt32(configuration.sampleRate)
            err = snd_pcm_hw_params_set_rate_near(pcm, hw, &rate, nil)
            guard err >= 0 else { throw fail("set rate \(configuration.sampleRate)", err) }
            guard Int(rate) == configuration.sampleRate else {
                throw AudioError.alsa(device: device, operation: "set rate",
                                          message: "device offers \(rate) Hz instead of \(configuration.sampleRate) Hz (use a plughw: or plug device)")
            }
            var period = snd_pcm_uframes_t(max(1, configuration.periodFrames))
            err = snd_pcm_hw_params_set_period_size_near(pcm, hw, &period, nil)
            guard err >= 0 else { throw fail("set period size", err) }
            var buffer = period * snd_pcm_uframes_t(max(2, configuration.bufferPeriods))
            err = snd_pcm_hw_params_set_buffer_size_near(pcm, hw, &buffer)
            guard err >= 0 else { throw fail("set buffer size", err) }
            err = snd_pcm_hw_params(pcm, hw)
            guard err >= 0 else { throw fail("apply hardware parameters", err) }
            snd_pcm_hw_params_get_period_size(hw, &period, nil)
            periodFrames = Int(period)
            sampleRate = Int(rate)
            let type = snd_pcm_type(pcm)
            hasClock = type != SND_PCM_TYPE_FILE && type != SND_PCM_TYPE_NULL
            err = snd_pcm_prepare(pcm)
            guard err >= 0 else { throw fail("prepare", err) }
        } catch {
            snd_pcm_close(pcm)
            throw error
        }
    }

    deinit { snd_pcm_close(handle) }

    /// Outcome of one period transfer.
    public enum Transfer: Equatable {
        /// Frames moved.
        case frames(Int)
        /// An overrun or underrun happened and the device was recovered; nothing was moved.
        case recoveredXrun
        /// The device failed for good (unplugged, for instance): libasound's error code.
        case failed(Int32)
    }

    /// Reads up to `buffer.count` frames, blocking on devices with a clock.
    public func read(into buffer: UnsafeMutableBufferPointer<Int16>) -> Transfer {
        let n = snd_pcm_readi(handle, buffer.baseAddress, snd_pcm_uframes_t(buffer.count))
        return outcome(n)
    }

    /// Writes `buffer.count` frames (or fewer, as the device accepts).
    public func write(_ buffer: UnsafeBufferPointer<Int16>) -> Transfer {
        let n = snd_pcm_writei(handle, buffer.baseAddress, snd_pcm_uframes_t(buffer.count))
        return outcome(n)
    }

    /// Frames written and not yet played (playback), or captured and not yet read (capture), as
    /// the device reports them; nil when it cannot say.
    public func delayFrames() -> Int? {
        var delay: snd_pcm_sframes_t = 0
        return snd_pcm_delay(handle, &delay) == 0 ? max(0, Int(delay)) : nil
    }

    /// Stops the stream at once, dropping buffered frames (barge-in on playback).
    public func dropPending() {
        snd_pcm_drop(handle)
        snd_pcm_prepare(handle)
    }

    /// Waits up to `milliseconds` for the device to be ready for the next transfer. An xrun
    /// found while waiting is recovered (and reported); a device gone for good is `.failed`.
    public func waitReady(milliseconds: Int32) -> Transfer {
        let r = snd_pcm_wait(handle, milliseconds)
        if r >= 0 { return .frames(Int(r)) }
        return outcome(snd_pcm_sframes_t(r))
    }

    /// Lets buffered playback frames finish, for at most `limit`; what is left then is dropped
    /// (a device that stopped consuming cannot hold up shutdown).
    public func drain(limit: Duration = .seconds(2)) {
        let deadline = ContinuousClock.now + limit
        var delay: snd_pcm_sframes_t = 0
        while ContinuousClock.now < deadline, snd_pcm_delay(handle, &delay) == 0, delay > 0 {
            usleep(10_000)
        }
        snd_pcm_drop(handle)
    }

    private func outcome(_ n: snd_pcm_sframes_t) -> Transfer {
        if n >= 0 { return .frames(Int(n)) }
        let code = Int32(n)
        if code == -EPIPE || code == -ESTRPIPE || code == -EINTR {
            let r = snd_pcm_recover(handle, code, 1)
            return r >= 0 ? .recoveredXrun : .failed(r)
        }
        if code == -EAGAIN { return .frames(0) }
        return .failed(code)
    }
}

import Foundation
import Glibc
import Synchronization

/// What an ALSA audio thread reports, readable from any thread without locks.
public final class AudioDeviceStatus: Sendable {
    let xruns = Atomic<Int>(0)
    let frames = Atomic<Int>(0)
    let starvedFrames = Atomic<Int>(0)
    let failure = Atomic<Int32>(0)
    let delay = Atomic<Int>(0)

    public init() {}

    /// Playback only: frames queued in the device ahead of the speaker after the last write
    /// (`snd_pcm_delay`): how long what is written now takes to be heard.
    public var delayFrames: Int { delay.load(ordering: .relaxed) }

    /// Overruns (capture) or underruns (playback) that ALSA reported and that were recovered.
    public var xrunCount: Int { xruns.load(ordering: .relaxed) }
    /// Frames moved to or from the device.
    public var frameCount: Int { frames.load(ordering: .relaxed) }
    /// Playback only: frames of silence inserted because the reply audio did not arrive in time.
    public var starvedFrameCount: Int { starvedFrames.load(ordering: .relaxed) }
    /// libasound's error code if the device failed for good (0 while healthy).
    public var failureCode: Int32 { failure.load(ordering: .relaxed) }
    public var failureMessage: String? { failureCode == 0 ? nil : alsaMessage(failureCode) }
}

/// Keeps an audio loop at the nominal sample rate when the PCM has no clock of its own
/// (ALSA's `file` and `null` plugins accept or deliver any amount at once).
struct RealTimePacer {
    private var deadline = timespec()
    private var started = false

    /// Sleeps until `frames` more frames at `rate` have elapsed since the previous call.
    mutating func wait(frames: Int, rate: Int) {
        if !started {
            clock_gettime(CLOCK_MONOTONIC, &deadline)
            started = true
        }
        let ns = Int(deadline.tv_nsec) + frames * 1_000_000_000 / rate
        deadline.tv_sec += ns / 1_000_000_000
        deadline.tv_nsec = ns % 1_000_000_000
        while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, nil) == EINTR {}
    }
}

/// Starts a named thread for a real-time audio loop and lets its owner wait for it to end.
final class AudioThreadRunner: @unchecked Sendable {
    private let keepRunning = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    private var thread: Thread?

    var shouldRun: Bool { keepRunning.load(ordering: .relaxed) }

    /// Runs `body` on a new thread; `body` loops while `shouldRun` is true.
    func start(name: String, body: @escaping @Sendable () -> Void) {
        guard thread == nil else { return }
        keepRunning.store(true, ordering: .relaxed)
        let finished = self.finished
        let t = Thread {
            Self.requestRealTimePriority()
            body()
            finished.signal()
        }
        t.name = name
        t.stackSize = 1 << 20
        thread = t
        t.start()
    }

    /// Asks the loop to end and waits until it has.
    func stop() {
        guard thread != nil else { return }
        keepRunning.store(false, ordering: .relaxed)
        finished.wait()
        thread = nil
    }

    /// SCHED_FIFO when the process may have it (systemd's LimitRTPRIO); otherwise the normal
    /// scheduler, silently: the loop works either way, only with less margin under load.
    private static func requestRealTimePriority() {
        var param = sched_param()
        param.sched_priority = 20
        _ = pthread_setschedparam(pthread_self(), SCHED_FIFO, &param)
    }
}

/// The echo canceller for a speaker stream that is not aligned with the microphone: pairs the two
/// (`EchoAlignment`) and cancels (`EchoCanceller`), and starts the filter afresh whenever the
/// pairing moves, since what it learnt belongs to the old path (adapting from the shifted
/// response took 6 to 9 s where a fresh filter takes 2). Both streams at the canceller's rate.
public final class AligningEchoCanceller {
    public let canceller: EchoCanceller
    public private(set) var alignment: EchoAlignment
    private var pairing: Int?

    /// The far end is put 40 ms ahead of the measured echo (the estimate's error and the read
    /// jitter of a 20 ms period), and a move of the echo by more than 30 ms re-pairs the streams;
    /// the filter's tail holds the room's reverberation after that.
    public init(_ settings: EchoCanceller.Settings = .init()) throws(AudioError) {
        canceller = try EchoCanceller(settings)
        let rate = settings.sampleRate
        alignment = EchoAlignment(sampleRate: rate, tolerance: rate * 3 / 100, margin: rate / 25)
    }

    /// The speaker's samples, as they were sent to the device.
    public func appendFar(_ samples: [Float]) { alignment.appendFar(samples) }

    /// Cancels the echo in `near`, the microphone samples just read; `deviceDelay` is the
    /// speaker's own report of its delay (samples). Returns the whole frames cancelled so far,
    /// `canceller.latencySamples` behind the input.
    public func process(near: [Float], deviceDelay: Int) -> [Float] {
        let far = alignment.far(for: near, deviceDelay: deviceDelay)
        if alignment.offset != pairing {
            if pairing != nil { canceller.reset() }
            pairing = alignment.offset
        }
        return canceller.process(near: near, far: far)
    }
}

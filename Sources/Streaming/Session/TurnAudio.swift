/// A user turn's 16 kHz audio as it arrives, measured as it arrives (`AcousticMeter`), so that
/// its acoustic evidence is ready when the turn ends and always covers exactly these samples.
struct TurnAudio {
    private(set) var samples: [Float] = []
    private var meter = AcousticMeter()

    init(_ samples: [Float] = []) { append(samples) }

    mutating func append(_ more: [Float]) {
        samples += more
        meter.append(more)
    }

    var count: Int { samples.count }

    /// How the turn sounded so far.
    var evidence: AcousticEvidence { meter.evidence }
}

import Engine
import Foundation
import AudioIO
import Streaming
import Synchronization

/// One spoken turn through a real session, fed exactly as a client's microphone would feed it:
/// 20 ms frames at real-time pace (or `pace` times faster), then silence with a trace of noise
/// until the reply is complete or 60 s of it have passed (a reply of 96 tokens speaks for ~30 s).
/// Used by `converse` and `doctor`.
enum SpokenTurn {
    /// `question`: 24 kHz mono.
    static func run(question: [Float], services: SessionServices, configuration: SessionConfiguration, pace: Double = 1) -> ConversationRecord {
        let record = Mutex(ConversationRecord())
        let finished = DispatchSemaphore(value: 0)
        var configuration = configuration
        configuration.outputLeadMs = nil  // nobody plays it: the reply's audio as fast as it is made
        let session = RealtimeSession(services: services, configuration: configuration) { output in
            if record.withLock({ $0.take(output) }) { finished.signal() }
        }
        let frame = 480
        var rng = SplitMix64(seed: 1)
        let started = ContinuousClock.now
        // The end of speech as a listener's clock has it: the last sample louder than −40 dBFS.
        let lastLoud = question.lastIndex { abs($0) > 0.01 } ?? question.count
        record.withLock { $0.speechEnded = started + .microseconds(Int(Double(lastLoud) / 24_000 / pace * 1_000_000)) }
        var sent = 0
        var audio = question
        while true {
            if sent + frame > audio.count {
                if record.withLock({ $0.done != nil }) || sent > question.count + 60 * 24_000 { break }
                audio += (0..<frame).map { _ in Float(rng.nextUnitDouble() - 0.5) * 0.0004 }
            }
            session.appendAudio(Array(audio[sent..<(sent + frame)]))
            sent += frame
            let due = started + .microseconds(Int(Double(sent) / 24_000 / pace * 1_000_000))
            let wait = due - ContinuousClock.now
            if wait > .zero { Thread.sleep(forTimeInterval: wait.seconds) }
        }
        _ = finished.wait(timeout: .now() + 5)
        session.closeAndWait()
        return record.withLock { $0 }
    }
}

/// What a spoken turn produced, gathered from the session's output.
struct ConversationRecord: Sendable {
    var transcript = ""
    var reasoning = ""
    var answer = ""
    var reply: [Float] = []
    var errors: [String] = []
    var done: ResponseSummary?
    var speechEnded: ContinuousClock.Instant?
    var firstAudio: ContinuousClock.Instant?

    /// Milliseconds from the end of the question's speech to the reply's first audio.
    var firstPacketMs: Double? {
        guard let speechEnded, let firstAudio else { return nil }
        return (firstAudio - speechEnded).seconds * 1000
    }

    /// Takes one output; true once the reply is complete.
    mutating func take(_ output: SessionOutput) -> Bool {
        switch output {
        case .audio(let samples, _, _):
            if firstAudio == nil { firstAudio = .now }
            reply += samples
        case .audioDone:
            break
        case .event(let event):
            switch event {
            case .transcriptionCompleted(_, let text, _): transcript = text
            case .reasoningDelta(_, let delta): reasoning += delta
            case .transcriptDelta(_, let delta): answer += delta
            case .error(let error): errors.append(error.message)
            case .responseDone(let summary):
                done = summary
                return true
            default: break
            }
        }
        return false
    }
}

import AudioIO
import Foundation

/// Server-side voice activity detection and endpointing, as the protocol's `server_vad`
/// describes it: `threshold` (0…1), `prefix_padding_ms`, `silence_duration_ms`.
///
/// Each 20 ms hop of 16 kHz audio gets a speech probability from how far its level stands above
/// an adaptive noise floor (which follows the quietest recent level: it falls at once and rises
/// 3 dB/s, so a steady fan or hum is learnt as background while speech, which keeps dipping
/// between syllables, is not). A turn starts
/// after `minimumSpeech` of probable speech and is reported `prefixPadding` earlier; it ends
/// after `silence` without speech. A value type: feed it samples, get events back; no clock,
/// no threads, no allocation per hop.
public struct VoiceActivityDetector: Sendable {
    public struct Parameters: Sendable, Equatable {
        /// Speech probability above which a hop counts as speech (OpenAI's default 0.5).
        public var threshold: Double = 0.5
        public var prefixPaddingMs: Int = 300
        /// 450 ms, not OpenAI's 500: measured to keep a 400 ms pause inside one turn (the test
        /// `aPauseOf400msInAQuestionStaysOneTurn`), and every 50 ms here is 50 ms of reply latency.
        public var silenceDurationMs: Int = 450
        /// Silence after which the turn has *probably* ended: the session starts its reply then,
        /// speculatively, and holds the audio until `silenceDurationMs` confirms the end. The
        /// reply needs about 350 ms before its first audio (the last transcription pass alone
        /// takes 200), so it starts at 100 ms to be ready when the end is confirmed; a pause
        /// between words costs only a transcription pass, stopped when speech resumes.
        public var pauseMs: Int = 100
        /// Speech needed before a turn starts (filters clicks and short bursts).
        public var minimumSpeechMs: Int = 100
        /// Level above the noise floor, in dB, at which the probability is one half.
        public var marginDB: Double = 12
        /// Levels below this are silence whatever the floor (digital silence, a muted mic).
        public var absoluteFloorDB: Double = -65

        public init() {}
    }

    public enum Event: Sendable, Equatable {
        /// Speech began at this sample (already moved back by the prefix padding).
        case speechStarted(sample: Int)
        /// The turn ended at this sample (the end of the last speech hop).
        case speechStopped(sample: Int)
        /// `pauseMs` of silence after speech ending at this sample: the turn has probably ended.
        case paused(sample: Int)
        /// Speech again after `paused`: the turn goes on.
        case resumed
    }

    public static let sampleRate = 16_000
    public static let hop = 320  // 20 ms

    public var parameters: Parameters
    public private(set) var inSpeech = false
    /// Current noise floor estimate, dB full scale.
    public private(set) var noiseFloorDB: Double = -60
    /// Probability of the most recent hop.
    public private(set) var lastProbability: Double = 0
    private var pending: [Float] = []
    private var position = 0            // samples consumed, at hop boundaries
    private var speechRun = 0           // consecutive speech hops while not in speech
    private var silenceRun = 0          // consecutive non-speech hops while in speech
    private var lastSpeechEnd = 0
    private var hopsSeen = 0

    public init(parameters: Parameters = Parameters()) {
        self.parameters = parameters
        pending.reserveCapacity(Self.hop)
    }

    /// Samples processed so far (a multiple of the hop).
    public var processedSamples: Int { position }

    /// Feeds 16 kHz mono samples; returns the turn events they complete.
    public mutating func process(_ samples: [Float]) -> [Event] {
        var events: [Event] = []
        var index = 0
        while index < samples.count {
            let take = min(Self.hop - pending.count, samples.count - index)
            pending.append(contentsOf: samples[index..<(index + take)])
            index += take
            if pending.count == Self.hop {
                if let event = hopDone() { events.append(event) }
                pending.removeAll(keepingCapacity: true)
            }
        }
        return events
    }

    /// Ends a turn in progress now (manual commit, or the stream closing).
    public mutating func flush() -> Event? {
        stopTurn(at: max(lastSpeechEnd, position))
    }

    /// Whether any hop of `samples` stands out of the noise by the speech margin (a soft last
    /// word after a pause, too short to count as speech by itself).
    public func hasSound(_ samples: ArraySlice<Float>) -> Bool {
        let threshold = noiseFloorDB + parameters.marginDB
        return stride(from: samples.startIndex, through: samples.endIndex - Self.hop, by: Self.hop).contains { start in
            SignalLevel.decibels(samples[start..<(start + Self.hop)]) > threshold
        }
    }

    /// Silence since the last speech of the turn in progress, ms (0 outside a turn).
    public var silenceMs: Int { inSpeech ? silenceRun * 1000 * Self.hop / Self.sampleRate : 0 }

    /// Ends the turn in progress at its last speech, before `silenceDurationMs` (the session
    /// decided the turn is over: `semantic_vad`).
    public mutating func endTurn() -> Event? {
        stopTurn(at: lastSpeechEnd)
    }

    private mutating func stopTurn(at sample: Int) -> Event? {
        guard inSpeech else { return nil }
        inSpeech = false
        speechRun = 0
        silenceRun = 0
        return .speechStopped(sample: sample)
    }

    /// Forgets the current turn (the session cleared its buffer); the noise floor is kept.
    public mutating func reset() {
        inSpeech = false
        speechRun = 0
        silenceRun = 0
        pending.removeAll(keepingCapacity: true)
    }

    private mutating func hopDone() -> Event? {
        let level = SignalLevel.decibels(pending)
        hopsSeen += 1
        // The floor falls to any quieter level at once and rises 3 dB per second outside speech;
        // during the first 200 ms it simply follows the level. Digital silence (below the
        // absolute floor: gaps in synthetic or gated audio) says nothing about the room's noise
        // and is left out, so the floor never sinks to it.
        if level >= parameters.absoluteFloorDB {
            if hopsSeen <= 10 {
                noiseFloorDB = hopsSeen == 1 ? level : min(noiseFloorDB, level)
            } else if level < noiseFloorDB {
                noiseFloorDB = level
            } else if !inSpeech {
                noiseFloorDB += 0.06
            }
        }
        noiseFloorDB = max(noiseFloorDB, parameters.absoluteFloorDB)
        let probability = level < parameters.absoluteFloorDB
            ? 0 : 1 / (1 + exp(-(level - noiseFloorDB - parameters.marginDB) / 3))
        lastProbability = probability
        let start = position
        position += Self.hop
        let isSpeech = probability >= parameters.threshold
        let hopMs = 1000 * Self.hop / Self.sampleRate
        if !inSpeech {
            speechRun = isSpeech ? speechRun + 1 : 0
            if speechRun * hopMs >= parameters.minimumSpeechMs {
                inSpeech = true
                silenceRun = 0
                lastSpeechEnd = position
                let firstSpeech = start - (speechRun - 1) * Self.hop
                let padding = parameters.prefixPaddingMs * Self.sampleRate / 1000
                return .speechStarted(sample: max(0, firstSpeech - padding))
            }
        } else if isSpeech {
            let wasPaused = silenceRun * hopMs >= parameters.pauseMs && parameters.pauseMs < parameters.silenceDurationMs
            silenceRun = 0
            lastSpeechEnd = position
            if wasPaused { return .resumed }
        } else {
            silenceRun += 1
            if silenceRun * hopMs == max(hopMs, parameters.pauseMs / hopMs * hopMs), parameters.pauseMs < parameters.silenceDurationMs {
                return .paused(sample: lastSpeechEnd)
            }
            if silenceRun * hopMs >= parameters.silenceDurationMs { return stopTurn(at: lastSpeechEnd) }
        }
        return nil
    }
}

import Foundation

/// How a benchmark run drives the server: the same for every session of one configuration.
struct RunSettings: Sendable {
    enum WireFormat: String, CaseIterable, Sendable {
        /// 24 kHz 16-bit PCM in base64 JSON events.
        case pcm
        /// Raw 20 ms Opus packets at 48 kHz in binary frames.
        case opus

        var sampleRate: Int { self == .pcm ? 24_000 : 48_000 }
        var formatObject: [String: Any] { self == .pcm ? ["type": "audio/pcm", "rate": 24_000] : ["type": "audio/opus", "rate": 48_000] }
    }

    enum TurnEnd: String, CaseIterable, Sendable {
        /// The server's VAD ends the turn after the trailing silence.
        case serverVAD = "server_vad"
        /// The server ends the turn when what was said sounds finished (`eagerness`).
        case semanticVAD = "semantic_vad"
        /// The client commits the buffer and asks for a response right after the speech.
        case manual
    }

    var url: String
    /// `url` asking for this daemon's reasoning and timing events (other servers ignore the parameter).
    var urlWithExtensions: String {
        guard !url.contains("extensions=") else { return url }
        return url + (url.contains("?") ? "&" : "?") + "extensions=reasoning,timings"
    }
    var token: String?
    var format: WireFormat = .pcm
    /// The reasoning mode sent in `session.update` (nil: the server's default).
    var mode: String?
    /// The system prompt sent in `session.update` (nil: the server's default).
    var instructions: String?
    var turnEnd: TurnEnd = .serverVAD
    /// `semantic_vad`'s eagerness (nil: the server's default).
    var eagerness: String?
    /// Every utterance on a connection of its own (a fresh session, no history).
    var sessionPerUtterance = false
    /// Silence sent after each utterance's speech, seconds.
    var trailingSilence: Double = 2.0
    /// Each 20 ms frame leaves up to this much later than its real-time slot (uniformly random).
    var jitterMs: Double = 0
    /// Seconds of reply audio after which the next utterance is spoken over the reply.
    var bargeInAfter: Double?
    /// How long a turn may take from the end of its speech to `response.done`.
    var turnTimeout: Double = 60
    /// Pause between the end of a reply's playback (in real time from its first packet) and
    /// the next utterance.
    var pauseBetweenTurns: Double = 0.5

    /// The configuration's name in reports.
    var label: String {
        var parts = [mode ?? "default", format.rawValue]
        if turnEnd == .manual { parts.append("manual") }
        if turnEnd == .semanticVAD { parts.append("semantic" + (eagerness.map { "-" + $0 } ?? "")) }
        if let bargeInAfter { parts.append("barge-in@\(String(format: "%g", bargeInAfter))s") }
        return parts.joined(separator: "/")
    }

    /// The session's `turn_detection` object (null: manual turns).
    var turnDetection: Any {
        guard turnEnd != .manual else { return NSNull() }
        var detection: [String: Any] = ["type": turnEnd.rawValue, "create_response": true, "interrupt_response": true]
        if turnEnd == .semanticVAD, let eagerness { detection["eagerness"] = eagerness }
        return detection
    }

    var sessionUpdate: [String: Any] {
        var session: [String: Any] = [
            "type": "realtime",
            "audio": [
                "input": ["format": format.formatObject,
                          "turn_detection": turnDetection],
                "output": ["format": format.formatObject],
            ] as [String: Any],
        ]
        if let mode { session["reasoning"] = ["mode": mode] }
        if let instructions { session["instructions"] = instructions }
        return ["type": "session.update", "session": session]
    }
}

import Engine
import Streaming
import RemoteEngine
/// One setting of the daemon: its name in the configuration file, the environment variable that
/// overrides it, its default and what it means. `ConfigKey.all` is the single list that the
/// loader, `--set`, `config keys` and the documentation are made from.
struct ConfigKey: Sendable {
    enum Kind: Sendable {
        case string
        /// A string never shown (`config show` prints whether it is set).
        case secret
        case path
        case integer(ClosedRange<Int>)
        case choice([String])
    }

    let name: String
    let defaultValue: String
    let kind: Kind
    let help: String

    /// `audio.capture_device` → `RTD_AUDIO_CAPTURE_DEVICE`.
    var environmentVariable: String {
        "RTD_" + name.uppercased().replacingOccurrences(of: ".", with: "_")
    }

    /// Checks a value against the key's kind; returns a message for a person when it is wrong.
    func problem(with value: String) -> String? {
        switch kind {
        case .string, .secret, .path:
            return nil
        case .integer(let range):
            guard let n = Int(value) else { return "'\(value)' is not a whole number" }
            return range.contains(n) ? nil : "\(n) is outside \(range.lowerBound)...\(range.upperBound)"
        case .choice(let options):
            return options.contains(value) ? nil : "'\(value)' is not one of \(options.joined(separator: ", "))"
        }
    }

    var kindDescription: String {
        switch kind {
        case .string: return "text"
        case .secret: return "secret text"
        case .path: return "path"
        case .integer(let r): return "integer \(r.lowerBound)...\(r.upperBound)"
        case .choice(let options): return options.joined(separator: "|")
        }
    }
}

extension ConfigKey {
    static let logLevel = ConfigKey(name: "log.level", defaultValue: "info",
        kind: .choice(["trace", "debug", "info", "notice", "warning", "error", "critical"]),
        help: "Least severe log message written to standard error (the journal under systemd).")
    static let modelsDir = ConfigKey(name: "models.dir", defaultValue: "",
        kind: .path,
        help: "Directory of model files; empty means $XDG_DATA_HOME/realtime-daemon/models or ~/.local/share/realtime-daemon/models.")
    static let audioEnabled = ConfigKey(name: "audio.enabled", defaultValue: "auto",
        kind: .choice(["auto", "on", "off"]),
        help: "Local voice loop on ALSA devices: on (fail if a device cannot be opened), auto (use them when present), off.")
    static let captureDevice = ConfigKey(name: "audio.capture_device", defaultValue: "default",
        kind: .string, help: "ALSA PCM for the microphone (e.g. default, plughw:1,0).")
    static let playbackDevice = ConfigKey(name: "audio.playback_device", defaultValue: "default",
        kind: .string, help: "ALSA PCM for the speaker.")
    static let captureRate = ConfigKey(name: "audio.capture_rate", defaultValue: "16000",
        kind: .integer(8_000...192_000), help: "Capture sample rate in Hz; 16000 is what the recogniser uses.")
    static let playbackRate = ConfigKey(name: "audio.playback_rate", defaultValue: "48000",
        kind: .integer(8_000...192_000), help: "Playback sample rate in Hz.")
    static let periodMs = ConfigKey(name: "audio.period_ms", defaultValue: "20",
        kind: .integer(5...200), help: "ALSA period in milliseconds: the unit the audio threads move.")
    static let bufferPeriods = ConfigKey(name: "audio.buffer_periods", defaultValue: "4",
        kind: .integer(2...64), help: "Periods in each ALSA buffer (more means fewer xruns and more latency).")
    static let audioEcho = ConfigKey(name: "audio.echo", defaultValue: "cancel",
        kind: .choice(["cancel", "gate", "off"]),
        help: "Keeping the reply's sound out of the microphone: cancel (echo cancellation: the user can talk over the reply; the gate helps while it learns the room), gate (only sound louder than the reply passes while it plays), off (headphones).")
    static let echoCanceller = ConfigKey(name: "audio.echo_canceller", defaultValue: "speex",
        kind: .choice(["speex", "webrtc"]),
        help: "The canceller of audio.echo=cancel: speex (speexdsp; the user's voice comes through nearly untouched, learns a room in about 2 s) or webrtc (WebRTC's; learns a room in under 1 s, takes 6-8 dB off a user talking over the reply).")
    static let newConversationAfter = ConfigKey(name: "audio.new_conversation_after_s", defaultValue: "300",
        kind: .integer(0...86_400), help: "The local voice loop starts a new conversation when the user speaks this long after the last reply (0: one conversation for ever).")
    static let alsaConfig = ConfigKey(name: "audio.alsa_config", defaultValue: "",
        kind: .path, help: "Extra ALSA configuration file loaded on top of the system's, to define custom PCMs.")
    static let engineThreads = ConfigKey(name: "engine.threads", defaultValue: "2",
        kind: .integer(1...256), help: "Threads for model compute (OpenBLAS and our kernels together).")

    static let serverHost = ConfigKey(name: "server.host", defaultValue: "127.0.0.1",
        kind: .string, help: "Address the HTTP/WebSocket server listens on (0.0.0.0 for every interface; needs server.token).")
    static let serverPort = ConfigKey(name: "server.port", defaultValue: "8765",
        kind: .integer(0...65_535), help: "TCP port of the HTTP/WebSocket server (0: any free port, logged at start).")
    static let serverToken = ConfigKey(name: "server.token", defaultValue: "",
        kind: .secret, help: "Bearer token clients must present (Authorization header or openai-insecure-api-key.<token> subprotocol); empty: no auth.")
    static let serverTokenFile = ConfigKey(name: "server.token_file", defaultValue: "",
        kind: .path, help: "File holding the token (kept out of the configuration and the command line); under systemd, LoadCredential=server.token is read without it.")
    static let allowedOrigins = ConfigKey(name: "server.allowed_origins", defaultValue: "",
        kind: .string, help: "Comma-separated browser Origins allowed to connect, or *; empty: pages served from loopback (and, with a token, from the address the client used).")
    static let maxSessions = ConfigKey(name: "server.max_sessions", defaultValue: "4",
        kind: .integer(1...1_000), help: "Concurrent sessions; more are refused with an `overloaded` error.")
    static let maxConnections = ConfigKey(name: "server.max_connections", defaultValue: "64",
        kind: .integer(1...100_000), help: "Open TCP connections at most (sessions, pages, probes, and connections not yet past their headers); more wait to be accepted.")
    static let sessionIdleTimeout = ConfigKey(name: "server.session_idle_timeout_s", defaultValue: "900",
        kind: .integer(10...604_800), help: "A session with no message from its client for this long is closed (its slot freed).")
    static let maxMessageKB = ConfigKey(name: "server.max_message_kb", defaultValue: "1024",
        kind: .integer(1...65_536), help: "Largest WebSocket message accepted, in KiB; a larger one is answered with an error and dropped.")
    static let turnDetection = ConfigKey(name: "turn.detection", defaultValue: "semantic_vad",
        kind: .choice(["semantic_vad", "server_vad"]),
        help: "How the end of the user's turn is found (the local loop, and WebSocket sessions until they set their own): semantic_vad (the silence needed follows what was said: ~150 ms after a finished sentence, up to 1.35 s after an unfinished one) or server_vad (450 ms of silence, always).")
    static let turnEagerness = ConfigKey(name: "turn.eagerness", defaultValue: "auto",
        kind: .choice(SemanticEndOfTurn.Eagerness.allCases.map(\.rawValue)),
        help: "semantic_vad's eagerness: high (150 ms to 0.7 s of silence), medium or auto (150 ms to 1.35 s), low (300 ms to 1.5 s).")
    static let turnBackchannels = ConfigKey(name: "turn.backchannels", defaultValue: "on",
        kind: .choice(["on", "off"]),
        help: "on: a short acknowledgement said over a reply (\"mm-hmm\", \"yeah\", \"right\") lets it go on; off: any words over a reply stop it.")
    static let falseInterruptionMs = ConfigKey(name: "turn.false_interruption_ms", defaultValue: "1000",
        kind: .integer(0...10_000),
        help: "Speech over a reply pauses it; if no words are heard in this long (a cough, a door), it resumes where it paused. 0: any speech over a reply stops it at once.")
    static let audioLeadMs = ConfigKey(name: "reply.audio_lead_ms", defaultValue: "500",
        kind: .integer(0...10_000),
        help: "Reply audio is sent this far ahead of the client's playback (so a reply can pause and resume where it was heard); 0: all of it as soon as it is made.")
    static let replyMode = ConfigKey(name: "reply.mode", defaultValue: "speak_first",
        kind: .choice(ReplyMode.allCases.map(\.rawValue)), help: "When replies start speaking relative to their thinking (sessions may change it).")
    static let thinkSegmentTokens = ConfigKey(name: "reply.think_segment_tokens", defaultValue: "8",
        kind: .integer(1...512), help: "Thought tokens per formulation segment (think while speaking).")
    static let responseSegmentTokens = ConfigKey(name: "reply.response_segment_tokens", defaultValue: "24",
        kind: .integer(1...512), help: "Answer tokens per articulation segment, after which newer thoughts are taken in.")
    static let maxReasoningTokens = ConfigKey(name: "reply.max_reasoning_tokens", defaultValue: "32",
        kind: .integer(0...4_096), help: "Thinking budget per reply, in tokens.")
    static let repetitionPenalty = ConfigKey(name: "reply.repetition_penalty", defaultValue: "1.1",
        kind: .string, help: "Penalty on tokens of the last 64 written (1 to 2; 1: none), embedded engine. Higher stops loops sooner but pushes numbers off their digits (docs/accuracy.md).")
    static let answerReadsThoughts = ConfigKey(name: "reply.answer_reads_thoughts", defaultValue: "off",
        kind: .choice(["off", "on"]), help: "Whether the spoken answer is conditioned on the thinking so far (embedded engine). Off: SmolLM2-135M answers worse reading its own thoughts (docs/accuracy.md); on for a model that thinks usefully.")

    static let instructions = ConfigKey(name: "reply.instructions", defaultValue: "",
        kind: .string, help: "The system prompt of every conversation (the local loop's, Wyoming's, and WebSocket sessions' until they set their own); empty: the model's own (SmolLM2 answers best with it, docs/accuracy.md).")
    static let maxOutputTokens = ConfigKey(name: "reply.max_output_tokens", defaultValue: "96",
        kind: .integer(1...4_096), help: "Longest spoken answer, in tokens (about 4 words per 5 tokens); WebSocket sessions may change it.")

    static let replyEngine = ConfigKey(name: "reply.engine", defaultValue: "embedded",
        kind: .choice(["embedded", "remote"]), help: "The reasoner: the embedded SmolLM2 on this CPU, or an OpenAI-compatible server (remote.*).")
    static let remoteURL = ConfigKey(name: "remote.url", defaultValue: "http://127.0.0.1:8000/v1",
        kind: .string, help: "Base URL of the OpenAI-compatible API (vLLM, llama.cpp's server, a hosted API), ending in /v1.")
    static let remoteModel = ConfigKey(name: "remote.model", defaultValue: "",
        kind: .string, help: "Model name sent with each request (vLLM: the served model name). Needed with reply.engine=remote.")
    static let remoteAPIKey = ConfigKey(name: "remote.api_key", defaultValue: "",
        kind: .secret, help: "API key sent as a bearer token (also read from OPENAI_API_KEY); never logged.")
    static let remoteInput = ConfigKey(name: "remote.input", defaultValue: "text",
        kind: .choice(RemoteEngineSettings.Input.allCases.map(\.rawValue)),
        help: "text: our transcript and acoustic evidence; audio: the turn as WAV input_audio parts (Step-Audio-R1).")
    static let remoteConnectTimeout = ConfigKey(name: "remote.connect_timeout_ms", defaultValue: "3000",
        kind: .integer(100...120_000), help: "Connecting to the remote server.")
    static let remoteFirstTokenTimeout = ConfigKey(name: "remote.first_token_timeout_ms", defaultValue: "15000",
        kind: .integer(100...600_000), help: "From a request to its first streamed token.")
    static let remoteIdleTimeout = ConfigKey(name: "remote.idle_timeout_ms", defaultValue: "10000",
        kind: .integer(100...600_000), help: "Longest pause inside a streamed reply.")
    static let remoteMaxConcurrent = ConfigKey(name: "remote.max_concurrent", defaultValue: "8",
        kind: .integer(1...1_024), help: "Requests in flight to the remote server from this daemon; more wait.")
    static let remoteTemperature = ConfigKey(name: "remote.temperature", defaultValue: "0.3",
        kind: .string, help: "Sampling temperature sent with each request, 0…2 (0: the most likely tokens, reproducible); empty: the server's default.")
    static let remoteRetries = ConfigKey(name: "remote.retries", defaultValue: "2",
        kind: .integer(0...10), help: "Retries of a request that failed before its first token (connect errors, 429, 5xx).")

    static let wyomingEnabled = ConfigKey(name: "wyoming.enabled", defaultValue: "off",
        kind: .choice(["off", "on"]), help: "Serve the Wyoming protocol for Home Assistant (speech to text, text to speech, conversation); docs/home-assistant.md.")
    static let wyomingHost = ConfigKey(name: "wyoming.host", defaultValue: "127.0.0.1",
        kind: .string, help: "Address of the Wyoming service. Wyoming has no authentication: use loopback or a trusted network (0.0.0.0 for Home Assistant on another machine).")
    static let wyomingPort = ConfigKey(name: "wyoming.port", defaultValue: "10300",
        kind: .integer(0...65_535), help: "TCP port of the Wyoming service (0: any free port).")
    static let wyomingMaxConnections = ConfigKey(name: "wyoming.max_connections", defaultValue: "16",
        kind: .integer(1...1_000), help: "Wyoming clients at once; more get an error and are closed.")
    static let wyomingZeroconf = ConfigKey(name: "wyoming.zeroconf", defaultValue: "on",
        kind: .choice(["off", "on"]), help: "Announce the Wyoming service on the local network (_wyoming._tcp, through avahi-daemon) so Home Assistant discovers it; never on a loopback wyoming.host.")
    static let wyomingZeroconfName = ConfigKey(name: "wyoming.zeroconf_name", defaultValue: "",
        kind: .string, help: "The name Home Assistant shows for the discovered service, without dots; empty: \"realtime-daemon on <host name>\".")

    static let all: [ConfigKey] = [
        logLevel, modelsDir, audioEnabled, captureDevice, playbackDevice, captureRate, playbackRate,
        periodMs, bufferPeriods, audioEcho, echoCanceller, newConversationAfter, alsaConfig, engineThreads, serverHost, serverPort, serverToken, serverTokenFile, allowedOrigins,
        maxSessions, maxConnections, sessionIdleTimeout, maxMessageKB, turnDetection, turnEagerness, turnBackchannels, falseInterruptionMs, audioLeadMs, replyMode, thinkSegmentTokens, responseSegmentTokens, maxReasoningTokens, repetitionPenalty, answerReadsThoughts,
        instructions, maxOutputTokens,
        replyEngine, remoteURL, remoteModel, remoteAPIKey, remoteInput, remoteConnectTimeout, remoteFirstTokenTimeout,
        remoteIdleTimeout, remoteMaxConcurrent, remoteRetries, remoteTemperature,
        wyomingEnabled, wyomingHost, wyomingPort, wyomingMaxConnections, wyomingZeroconf, wyomingZeroconfName,
    ]

    static func named(_ name: String) -> ConfigKey? { all.first { $0.name == name } }
}

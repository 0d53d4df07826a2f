import AudioIO
import Engine

/// The reply's speech, as the session drives it: answer text in as it is written, audio out
/// through the callback given to `ReplyVoice.makeSpeech`.
public protocol ReplySpeech: AnyObject, Sendable {
    func feed(_ text: String)
    /// No more text: the rest is spoken, then `waitUntilSpoken` returns.
    func finish()
    /// Stops at once; no audio is delivered after it returns, and a `waitUntilSpoken` returns.
    func cancel()
    func waitUntilSpoken() -> (any Error)?
    func close()
}

/// Makes a reply's speech (implemented in TTS by the Piper or espeak-ng voice).
public protocol ReplyVoice: Sendable {
    var name: String { get }
    /// `onAudio` gets samples at `outputRate`, with the clause they say and its index in the reply.
    func makeSpeech(outputRate: Int, onAudio: @escaping @Sendable (_ samples: [Float], _ clause: String, _ clauseIndex: Int) -> Void)
        throws -> any ReplySpeech
}

/// What every session shares: the models.
public struct SessionServices: Sendable {
    public var transcriber: WhisperTranscriber
    public var engine: any ReplyEngine
    public var voice: any ReplyVoice
    /// The one queue of model work of all sessions (shared with the engine and the voice).
    public var scheduler: EngineScheduler
    /// `session.created`'s `server` object.
    public var serverName = "realtime-daemon"
    public var serverVersion = "0"

    public init(transcriber: WhisperTranscriber, engine: any ReplyEngine, voice: any ReplyVoice, scheduler: EngineScheduler) {
        self.transcriber = transcriber
        self.engine = engine
        self.voice = voice
        self.scheduler = scheduler
    }
}

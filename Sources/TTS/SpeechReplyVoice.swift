import Engine
import AudioIO
import Streaming

/// A `SpeechVoice` as the session's reply voice: each reply gets its own `StreamingSpeech`.
public final class SpeechReplyVoice: ReplyVoice {
    public let voice: SpeechVoice
    public let scheduler: EngineScheduler
    public var name: String { voice.name }

    public init(_ voice: SpeechVoice, scheduler: EngineScheduler = EngineScheduler()) {
        self.voice = voice
        self.scheduler = scheduler
    }

    public func makeSpeech(outputRate: Int, onAudio: @escaping @Sendable ([Float], String, Int) -> Void) throws -> any ReplySpeech {
        try StreamingSpeech(voice: voice, outputRate: outputRate, scheduler: scheduler, pacedByPlayback: true) { chunk in
            onAudio(chunk.samples, chunk.text, chunk.index)
        }
    }
}

extension StreamingSpeech: ReplySpeech {
    public func waitUntilSpoken() -> (any Error)? { waitUntilDone() }
}

import CEspeakNG
import Synchronization

/// The espeak-ng library the voice phonemizes with (the Piper voice of issue 5 and the lighter
/// espeak-ng voice both go through it). espeak-ng keeps global state, so it is initialised once
/// per process, here. `version` and `dataPath` tell which library and which phoneme
/// dictionaries this build runs against; espeak-ng versions differ in their phonemes.
public enum EspeakNGLibrary {
    private static let initialisation = Mutex<Result<Int, TTSError>?>(nil)
    /// espeak-ng's state (current voice, synthesis callback) is global: every call goes
    /// through this lock.
    static let lock = Mutex(())

    /// Initialises the library (once) for synchronous use; returns its native sample rate.
    @discardableResult
    public static func initialize() throws(TTSError) -> Int {
        let result = initialisation.withLock { state -> Result<Int, TTSError> in
            if let state { return state }
            let rate = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, nil, Int32(espeakINITIALIZE_DONT_EXIT))
            let outcome: Result<Int, TTSError> = rate > 0
                ? .success(Int(rate))
                : .failure(.espeakNG("initialisation failed (is the espeak-ng-data package installed?)"))
            state = outcome
            return outcome
        }
        return try result.get()
    }

    /// The library's version string, e.g. "1.51".
    public static var version: String {
        String(cString: espeak_Info(nil))
    }

    /// Where the library reads its data (dictionaries, voices); known once initialised.
    public static var dataPath: String? {
        var path: UnsafePointer<CChar>?
        _ = espeak_Info(&path)
        return path.map { String(cString: $0) }.flatMap { $0.isEmpty ? nil : $0 }
    }
}

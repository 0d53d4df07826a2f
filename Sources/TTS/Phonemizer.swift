import CEspeakNG
import Foundation
import Synchronization

/// Text to IPA phonemes through libespeak-ng, sentence by sentence, keeping the clause
/// punctuation that Piper voices were trained with ("həlˈoʊ, wˈɜːld!").
///
/// espeak-ng phonemizes one clause per call and does not say (in the Debian version) which
/// punctuation ended it, so the punctuation is read back from the end of the text each call
/// consumed: `, ; :` stay inside the sentence, `. ? !` end it. espeak-ng has global state: all calls go
/// through one lock.
public final class Phonemizer: Sendable {
    public let voice: String

    public init(voice: String = "en-us") throws(TTSError) {
        try EspeakNGLibrary.initialize()
        self.voice = voice
        let status = EspeakNGLibrary.lock.withLock { _ in espeak_SetVoiceByName(voice) }
        guard status == EE_OK else { throw .espeakNG("no espeak-ng voice named '\(voice)'") }
    }

    static let clausePunctuation: Set<Character> = [",", ";", ":"]
    static let sentencePunctuation: Set<Character> = [".", "?", "!"]

    /// The sentences of `text` as IPA phoneme strings with their punctuation.
    public func phonemize(_ text: String) -> [String] {
        EspeakNGLibrary.lock.withLock { _ in
            _ = espeak_SetVoiceByName(voice)
            var sentences = [String]()
            var current = ""
            let bytes = Array(text.utf8CString)
            bytes.withUnsafeBufferPointer { buffer in
                guard let base = buffer.baseAddress else { return }
                var cursor: UnsafeRawPointer? = UnsafeRawPointer(base)
                while let start = cursor, start.load(as: CChar.self) != 0 {
                    var pointer: UnsafeRawPointer? = start
                    let phonemes = espeak_TextToPhonemes(&pointer, Int32(espeakCHARS_UTF8), Int32(espeakPHONEMES_IPA))
                    let consumedEnd = pointer ?? UnsafeRawPointer(base + buffer.count - 1)
                    let consumed = String(decoding: UnsafeRawBufferPointer(start: start, count: consumedEnd - start), as: UTF8.self)
                    if let phonemes {
                        let ipa = String(cString: phonemes)
                        if !ipa.isEmpty { current += (current.isEmpty || current.hasSuffix(" ") ? "" : " ") + ipa }
                    }
                    // espeak-ng reads one character past the clause before it returns.
                    let clauseText = pointer == nil ? consumed : String(consumed.dropLast())
                    let terminator = clauseText.trimmingCharacters(in: .whitespacesAndNewlines).last
                    if let t = terminator, Self.clausePunctuation.contains(t) {
                        current += String(t) + " "
                    } else if let t = terminator, Self.sentencePunctuation.contains(t) {
                        current += String(t)
                        sentences.append(current.trimmingCharacters(in: .whitespaces))
                        current = ""
                    }
                    guard pointer != nil, consumedEnd > start else { break }
                    cursor = consumedEnd
                }
            }
            let rest = current.trimmingCharacters(in: .whitespaces)
            if !rest.isEmpty { sentences.append(rest) }
            return sentences
        }
    }
}

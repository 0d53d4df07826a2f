import Foundation
import Testing
import TTS

/// The espeak-ng system library target links and finds its data.
@Suite struct EspeakNGLibraryTests {
    @Test func reportsVersionAndData() throws {
        let rate = try EspeakNGLibrary.initialize()
        #expect(rate == 22_050)
        let version = EspeakNGLibrary.version
        #expect(version.split(separator: ".").count >= 2, "unexpected version \(version)")
        let data = try #require(EspeakNGLibrary.dataPath)
        #expect(FileManager.default.fileExists(atPath: data + "/en_dict"), "no English dictionary under \(data)")
    }
}

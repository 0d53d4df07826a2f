import Foundation
import AudioIO
import Streaming

/// Signals and files shared by the audio tests.
enum TestAudio {
    /// A real human recording installed by alsa-utils (48 kHz mono, 1.4 s).
    static let speechPath = "/usr/share/sounds/alsa/Front_Center.wav"

    static func tone(hz: Double, rate: Int, seconds: Double, amplitude: Float = 0.5) -> [Float] {
        (0..<Int(Double(rate) * seconds)).map { amplitude * Float(sin(2 * Double.pi * hz * Double($0) / Double(rate))) }
    }

    static func rms(_ x: ArraySlice<Float>) -> Double {
        (x.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(max(1, x.count))).squareRoot()
    }

    static func decibels(_ ratio: Double) -> Double { 20 * log10(ratio) }

    /// A fresh directory under the system temporary directory.
    static func temporaryDirectory() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("rtd-tests-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The lag (0..<maxLag) at which `b` best lines up with `a`, and the normalised correlation there.
    static func bestAlignment(_ a: [Float], _ b: [Float], maxLag: Int) -> (lag: Int, correlation: Double) {
        var best = (lag: 0, correlation: -2.0)
        let n = min(a.count, b.count) - maxLag
        for lag in 0..<maxLag {
            var ab = 0.0, aa = 0.0, bb = 0.0
            for i in 0..<n {
                let x = Double(a[i]), y = Double(b[i + lag])
                ab += x * y; aa += x * x; bb += y * y
            }
            let c = ab / max(1e-12, (aa * bb).squareRoot())
            if c > best.correlation { best = (lag, c) }
        }
        return best
    }
}

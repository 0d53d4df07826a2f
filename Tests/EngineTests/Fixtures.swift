import Foundation
import TestSupport

enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func path(_ relative: String) -> String { directory.appendingPathComponent(relative).path }

    static func relativeError(_ a: [Float], _ b: [Float]) -> Float { TestSupport.relativeError(a, b) }
}

import Foundation

/// The `--json` output of the commands: one object on one line, keys sorted, slashes in paths
/// left as they are.
enum JSONLine {
    static func print(_ object: [String: Any]) throws {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        Swift.print(String(decoding: data, as: UTF8.self))
    }
}

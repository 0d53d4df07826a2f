import Engine
import Crypto
import Foundation

/// SHA-256 of a file, read in 4 MiB blocks so large model files never sit in memory whole.
public enum FileDigest {
    public static func sha256(path: String, progress: ((Int) -> Void)? = nil) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CocoaError(.fileReadNoSuchFile, userInfo: [NSFilePathErrorKey: path])
        }
        defer { try? handle.close() }
        var hasher = SHA256()
        var total = 0
        while let block = try handle.read(upToCount: 4 << 20), !block.isEmpty {
            hasher.update(data: block)
            total += block.count
            progress?(total)
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}

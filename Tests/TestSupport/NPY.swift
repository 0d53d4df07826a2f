import Foundation

/// Reads the .npy files that the reference scripts write (little-endian float32/float64,
/// C order) into float32.
public struct NPY: Sendable {
    public var shape: [Int]
    public var values: [Float]

    public init(path: String) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        guard data.count > 10, data.prefix(6) == Data([0x93]) + Data("NUMPY".utf8) else { throw NPYError.format(path) }
        let major = data[6]
        let headerLength = major == 1 ? Int(data[8]) | Int(data[9]) << 8
                                      : Int(data[8]) | Int(data[9]) << 8 | Int(data[10]) << 16 | Int(data[11]) << 24
        let headerStart = major == 1 ? 10 : 12
        let header = String(decoding: data[headerStart..<headerStart + headerLength], as: UTF8.self)
        guard let shapeStart = header.range(of: "'shape': (")?.upperBound,
              let shapeEnd = header[shapeStart...].firstIndex(of: ")") else { throw NPYError.format(path) }
        shape = header[shapeStart..<shapeEnd].split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !header.contains("'fortran_order': True") else { throw NPYError.format(path) }
        let body = data[(headerStart + headerLength)...]
        let count = shape.reduce(1, *)
        if header.contains("<f4") {
            values = body.withUnsafeBytes { raw in (0..<count).map { raw.loadUnaligned(fromByteOffset: 4 * $0, as: Float.self) } }
        } else if header.contains("<f8") {
            values = body.withUnsafeBytes { raw in (0..<count).map { Float(raw.loadUnaligned(fromByteOffset: 8 * $0, as: Double.self)) } }
        } else {
            throw NPYError.format(path)
        }
    }

    public enum NPYError: Error { case format(String) }
}


/// max |a - b| / max |b|: the error relative to the tensor's scale.
public func relativeError(_ a: [Float], _ b: [Float]) -> Float {
    var maxDiff: Float = 0, scale: Float = 0
    for (x, y) in zip(a, b) {
        maxDiff = max(maxDiff, abs(x - y))
        scale = max(scale, abs(y))
    }
    return maxDiff / max(scale, 1e-12)
}

/// max |a - b|.
public func maxAbsoluteDifference(_ a: [Float], _ b: [Float]) -> Float {
    zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}

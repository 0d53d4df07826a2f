import Foundation
import Testing
@testable import Engine

/// Numbers in a CTranslate2, ONNX or vocabulary file that plain arithmetic would trap on are
/// refused with an error naming the file (each was a crash before).
@Suite struct ModelFileArithmeticTests {
    static func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
    static func ct2String(_ s: String) -> [UInt8] { le(UInt16(s.utf8.count + 1)) + Array(s.utf8) + [0] }

    static func write(_ bytes: [UInt8], _ suffix: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rtd-\(UUID().uuidString).\(suffix)").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// A model.bin of one variable with `shape`, `type` and a stated byte count.
    static func ct2(shape: [UInt32], type: UInt8, byteCount: UInt32, data: [UInt8] = []) -> [UInt8] {
        var out = le(UInt32(6)) + ct2String("WhisperSpec") + le(UInt32(3)) + le(UInt32(1))
        out += ct2String("v") + [UInt8(shape.count)]
        for d in shape { out += le(d) }
        return out + [type] + le(byteCount) + data
    }

    @Test func ctranslate2ShapesThatOverflowAreRefused() throws {
        let path = try Self.write(Self.ct2(shape: Array(repeating: 0xFFFF_FFFF, count: 8), type: 0, byteCount: 4), "bin")
        #expect { _ = try CTranslate2Model(path: path) } throws: { "\($0)".contains("too large") }
    }

    @Test func ctranslate2ScalarsThatAreNotIntegersAreRefused() throws {
        for value in [Float.nan, .infinity, 1e30] {
            let path = try Self.write(Self.ct2(shape: [1], type: 0, byteCount: 4, data: Self.le(value.bitPattern)), "bin")
            let model = try CTranslate2Model(path: path)
            #expect { _ = try model.integer("v") } throws: { "\($0)".contains("should be an integer") }
        }
    }

    @Test func aVocabularyWithItsSpecialTokensOutOfOrderIsRefused() {
        var tokens = (0..<10).map { "t\($0)" }
        tokens[2] = "<|endoftext|>"
        tokens[8] = "<|startoftranscript|>"
        tokens[5] = "<|transcribe|>"
        tokens[9] = "<|notimestamps|>"
        #expect { _ = try WhisperVocabulary(tokens: tokens) } throws: { "\($0)".contains("comes before") }
    }

    /// A protobuf ModelProto with one initializer of the given dimensions.
    static func onnx(dims: [Int64], type: UInt64 = 1) -> [UInt8] {
        func varint(_ v: UInt64) -> [UInt8] {
            var v = v, out: [UInt8] = []
            repeat { out.append(UInt8(v & 0x7F) | (v > 0x7F ? 0x80 : 0)); v >>= 7 } while v > 0
            return out
        }
        func field(_ number: UInt64, _ bytes: [UInt8]) -> [UInt8] { varint(number << 3 | 2) + varint(UInt64(bytes.count)) + bytes }
        var tensor: [UInt8] = []
        for d in dims { tensor += varint(1 << 3) + varint(UInt64(bitPattern: d)) }
        tensor += varint(2 << 3) + varint(type) + field(8, Array("w".utf8)) + field(9, [0, 0, 0, 0])
        let graph = field(1, field(3, Array("n".utf8)) + field(4, Array("Add".utf8))) + field(5, tensor)
        return field(7, graph)
    }

    @Test func onnxShapesThatOverflowOrAreNegativeAreRefused() throws {
        for dims: [Int64] in [[Int64.max, 4], [-1, 4], [1 << 40, 1 << 40]] {
            let path = try Self.write(Self.onnx(dims: dims), "onnx")
            #expect { _ = try ONNXModel(path: path) } throws: { "\($0)".contains("impossible shape") }
        }
        // A data type beyond Int's range is read, then refused as unsupported when used.
        let path = try Self.write(Self.onnx(dims: [1], type: UInt64.max), "onnx")
        let model = try ONNXModel(path: path)
        #expect { _ = try model.floats("w") } throws: { "\($0)".contains("data type") }
    }
}

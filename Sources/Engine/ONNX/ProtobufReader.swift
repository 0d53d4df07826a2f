/// A reader of the protocol-buffers wire format, enough to walk an ONNX model: varints,
/// fixed 32/64-bit fields and length-delimited fields (strings, bytes, nested messages,
/// packed arrays). Every read is bounds-checked; a corrupt file is an error, never a crash.
struct ProtobufReader {
    enum WireType: UInt64 { case varint = 0, fixed64 = 1, lengthDelimited = 2, fixed32 = 5 }

    struct Field {
        let number: Int
        let wireType: WireType
        /// The varint or fixed value (for non-length-delimited fields).
        let value: UInt64
        /// The bytes of a length-delimited field.
        let bytes: UnsafeRawBufferPointer
    }

    let bytes: UnsafeRawBufferPointer
    let path: String
    var offset = 0

    init(_ bytes: UnsafeRawBufferPointer, path: String) {
        self.bytes = bytes
        self.path = path
    }

    var isAtEnd: Bool { offset >= bytes.count }

    mutating func varint() throws(EngineError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < bytes.count else { throw corrupt("varint runs past the end") }
            let byte = bytes[offset]
            offset += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
            guard shift < 64 else { throw corrupt("varint longer than 10 bytes") }
        }
    }

    mutating func next() throws(EngineError) -> Field {
        let key = try varint()
        guard let wireType = WireType(rawValue: key & 7) else { throw corrupt("unsupported wire type \(key & 7)") }
        let number = Int(key >> 3)
        switch wireType {
        case .varint:
            return Field(number: number, wireType: wireType, value: try varint(), bytes: UnsafeRawBufferPointer(start: nil, count: 0))
        case .fixed64, .fixed32:
            let size = wireType == .fixed64 ? 8 : 4
            guard offset + size <= bytes.count else { throw corrupt("fixed field runs past the end") }
            let value = size == 8 ? bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
                                  : UInt64(bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
            offset += size
            return Field(number: number, wireType: wireType, value: value, bytes: UnsafeRawBufferPointer(start: nil, count: 0))
        case .lengthDelimited:
            let length = try varint()
            guard length <= UInt64(bytes.count - offset) else { throw corrupt("field \(number) claims \(length) bytes, \(bytes.count - offset) remain") }
            let slice = UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + Int(length)])
            offset += Int(length)
            return Field(number: number, wireType: wireType, value: length, bytes: slice)
        }
    }

    func corrupt(_ message: String) -> EngineError {
        .malformedModel(path: path, message: "protobuf: \(message) at byte \(offset)")
    }

    /// Calls `body` for each field of the message in `bytes`.
    static func forEachField(in bytes: UnsafeRawBufferPointer, path: String, _ body: (Field) throws(EngineError) -> Void) throws(EngineError) {
        var reader = ProtobufReader(bytes, path: path)
        while !reader.isAtEnd { try body(try reader.next()) }
    }

    /// Integers of a repeated int64 field, packed or not.
    static func integers(_ field: Field, path: String) throws(EngineError) -> [Int] {
        if field.wireType == .varint { return [Int(Int64(bitPattern: field.value))] }
        var reader = ProtobufReader(field.bytes, path: path)
        var values: [Int] = []
        while !reader.isAtEnd { values.append(Int(Int64(bitPattern: try reader.varint()))) }
        return values
    }

    static func string(_ field: Field) -> String {
        String(decoding: field.bytes, as: UTF8.self)
    }
}

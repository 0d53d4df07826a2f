/// A metadata value of a GGUF file (every type the format defines).
public enum GGUFValue: Sendable, Equatable {
    case uint8(UInt8), int8(Int8), uint16(UInt16), int16(Int16), uint32(UInt32), int32(Int32)
    case uint64(UInt64), int64(Int64), float32(Float), float64(Double), bool(Bool), string(String)
    case array([GGUFValue])

    public var int: Int? {
        switch self {
        case .uint8(let v): return Int(v)
        case .int8(let v): return Int(v)
        case .uint16(let v): return Int(v)
        case .int16(let v): return Int(v)
        case .uint32(let v): return Int(v)
        case .int32(let v): return Int(v)
        case .uint64(let v): return v <= UInt64(Int.max) ? Int(v) : nil
        case .int64(let v): return Int(v)
        case .bool(let v): return v ? 1 : 0
        default: return nil
        }
    }

    public var double: Double? {
        switch self {
        case .float32(let v): return Double(v)
        case .float64(let v): return v
        default: return int.map(Double.init)
        }
    }

    public var string: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var bool: Bool? {
        if case .bool(let b) = self { return b }
        return int.map { $0 != 0 }
    }

    public var array: [GGUFValue]? {
        if case .array(let a) = self { return a }
        return nil
    }

    /// Reads one value of the given GGUF type code.
    static func read(type: UInt32, from cursor: inout ByteCursor, key: String, depth: Int = 0) throws(EngineError) -> GGUFValue {
        switch type {
        case 0: return .uint8(try cursor.read(UInt8.self, key))
        case 1: return .int8(try cursor.read(Int8.self, key))
        case 2: return .uint16(try cursor.read(UInt16.self, key))
        case 3: return .int16(try cursor.read(Int16.self, key))
        case 4: return .uint32(try cursor.read(UInt32.self, key))
        case 5: return .int32(try cursor.read(Int32.self, key))
        case 6: return .float32(try cursor.readFloat(key))
        case 7:
            let b = try cursor.read(UInt8.self, key)
            guard b <= 1 else { throw .malformedModel(path: cursor.path, message: "\(key): bool value \(b)") }
            return .bool(b == 1)
        case 8: return .string(try cursor.readString(key))
        case 9:
            guard depth < 4 else { throw .malformedModel(path: cursor.path, message: "\(key): arrays nested too deeply") }
            let elementType = try cursor.read(UInt32.self, "\(key) element type")
            let count = try cursor.read(UInt64.self, "\(key) element count")
            // Every element takes at least one byte: a count beyond the bytes left is corrupt.
            guard count <= UInt64(cursor.bytes.count - cursor.offset) else {
                throw .malformedModel(path: cursor.path, message: "\(key): array of \(count) elements exceeds the file")
            }
            var items = [GGUFValue]()
            items.reserveCapacity(min(Int(count), 1 << 16))  // a corrupt count fails on reading, not on reserving
            for _ in 0..<Int(count) {
                items.append(try read(type: elementType, from: &cursor, key: key, depth: depth + 1))
            }
            return .array(items)
        case 10: return .uint64(try cursor.read(UInt64.self, key))
        case 11: return .int64(try cursor.read(Int64.self, key))
        case 12: return .float64(try cursor.readDouble(key))
        default:
            throw .malformedModel(path: cursor.path, message: "\(key): unknown metadata value type \(type)")
        }
    }
}

/// A CTranslate2 `model.bin` (binary version 5 or 6): the spec's name and revision, then named
/// variables (shape, data type, raw bytes) and aliases. The file is memory-mapped; variables are
/// read in place and converted to float only when a layer asks for them.
public struct CTranslate2Model: @unchecked Sendable {
    /// CTranslate2's `DataType` ids, in the order of `include/ctranslate2/types.h`.
    public enum DataType: UInt8, Sendable, CustomStringConvertible {
        case float32 = 0, int8 = 1, int16 = 2, int32 = 3, float16 = 4, bfloat16 = 5

        public var size: Int {
            switch self {
            case .int8: return 1
            case .int16, .float16, .bfloat16: return 2
            case .float32, .int32: return 4
            }
        }

        public var description: String {
            switch self {
            case .float32: return "float32"
            case .int8: return "int8"
            case .int16: return "int16"
            case .int32: return "int32"
            case .float16: return "float16"
            case .bfloat16: return "bfloat16"
            }
        }
    }

    public struct Variable: @unchecked Sendable {
        public let name: String
        public let shape: [Int]
        public let dataType: DataType
        public let bytes: UnsafeRawBufferPointer

        public var count: Int { shape.reduce(1, *) }
    }

    public let path: String
    public let binaryVersion: Int
    public let specName: String
    public let specRevision: Int
    public let variables: [String: Variable]
    private let file: MappedFile

    public init(path: String) throws(EngineError) {
        let file = try MappedFile(path: path)
        self.file = file
        self.path = path
        var cursor = ByteCursor(file.bytes, path: path)
        binaryVersion = Int(try cursor.read(UInt32.self, "binary version"))
        guard (5...6).contains(binaryVersion) else {
            throw .unsupportedModel(path: path, message: "CTranslate2 binary version \(binaryVersion); this reader knows versions 5 and 6 (is this a CTranslate2 model.bin?)")
        }
        specName = try Self.readString(&cursor, "spec name")
        specRevision = Int(try cursor.read(UInt32.self, "spec revision"))
        let count = Int(try cursor.read(UInt32.self, "variable count"))
        guard count < 1_000_000 else {
            throw .malformedModel(path: path, message: "claims \(count) variables")
        }
        var variables: [String: Variable] = [:]
        for index in 0..<count {
            let name = try Self.readString(&cursor, "name of variable \(index)")
            let rank = Int(try cursor.read(UInt8.self, "rank of \(name)"))
            var shape: [Int] = []
            for d in 0..<rank { shape.append(Int(try cursor.read(UInt32.self, "dimension \(d) of \(name)"))) }
            let typeID = try cursor.read(UInt8.self, "data type of \(name)")
            guard let dataType = DataType(rawValue: typeID) else {
                throw .unsupportedModel(path: path, message: "variable \(name) has unknown data type id \(typeID)")
            }
            let byteCount = Int(try cursor.read(UInt32.self, "byte count of \(name)"))
            guard let expected = CheckedArithmetic.product(shape + [dataType.size]) else {
                throw .malformedModel(path: path, message: "variable \(name) has a shape too large: \(shape)")
            }
            guard byteCount == expected else {
                throw .malformedModel(path: path, message: "variable \(name) of shape \(shape) and type \(dataType) should take \(expected) bytes, the file says \(byteCount)")
            }
            guard byteCount <= file.bytes.count - cursor.offset else {
                throw .malformedModel(path: path, message: "truncated: variable \(name) needs \(byteCount) bytes at offset \(cursor.offset), the file has \(file.bytes.count)")
            }
            let bytes = UnsafeRawBufferPointer(rebasing: file.bytes[cursor.offset..<cursor.offset + byteCount])
            cursor.offset += byteCount
            variables[name] = Variable(name: name, shape: shape, dataType: dataType, bytes: bytes)
        }
        if cursor.offset < file.bytes.count {
            let aliases = Int(try cursor.read(UInt32.self, "alias count"))
            for index in 0..<aliases {
                let alias = try Self.readString(&cursor, "alias \(index)")
                let target = try Self.readString(&cursor, "target of alias \(alias)")
                guard let variable = variables[target] else {
                    throw .malformedModel(path: path, message: "alias \(alias) names \(target), which is not a variable")
                }
                variables[alias] = Variable(name: alias, shape: variable.shape, dataType: variable.dataType, bytes: variable.bytes)
            }
        }
        self.variables = variables
    }

    private static func readString(_ cursor: inout ByteCursor, _ what: String) throws(EngineError) -> String {
        let length = Int(try cursor.read(UInt16.self, "length of \(what)"))
        guard length > 0, cursor.offset + length <= cursor.bytes.count else {
            throw .malformedModel(path: cursor.path, message: "truncated or corrupt: \(what) claims \(length) bytes")
        }
        // The stored length counts a terminating NUL.
        let text = UnsafeRawBufferPointer(rebasing: cursor.bytes[cursor.offset..<cursor.offset + length - 1])
        cursor.offset += length
        return String(decoding: text, as: UTF8.self)
    }

    public func variable(_ name: String) throws(EngineError) -> Variable {
        guard let variable = variables[name] else {
            throw .malformedModel(path: path, message: "variable \(name) is missing")
        }
        return variable
    }

    /// The variable as float values, checked against `shape` when given. Quantized int8 weights
    /// are scaled back with their `<name>_scale` companion (one scale per output row).
    public func floats(_ name: String, shape expected: [Int]? = nil) throws(EngineError) -> [Float] {
        let v = try variable(name)
        if let expected, expected != v.shape {
            throw .malformedModel(path: path, message: "variable \(name) has shape \(v.shape), expected \(expected)")
        }
        var out = [Float](repeating: 0, count: v.count)
        switch v.dataType {
        case .float32:
            out.withUnsafeMutableBytes { $0.copyMemory(from: v.bytes) }
        case .float16:
            let source = v.bytes
            for i in 0..<v.count {
                out[i] = Float(Float16(bitPattern: source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)))
            }
        case .bfloat16:
            let source = v.bytes
            for i in 0..<v.count {
                out[i] = Float(bitPattern: UInt32(source.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) << 16)
            }
        case .int8:
            let scales = try floats(name + "_scale")
            let rows = scales.count
            guard rows > 0, v.count % rows == 0 else {
                throw .malformedModel(path: path, message: "int8 variable \(name) has \(scales.count) scales for \(v.count) values")
            }
            let columns = v.count / rows
            for r in 0..<rows {
                let inverse = 1 / scales[r]
                for c in 0..<columns {
                    out[r * columns + c] = Float(Int8(bitPattern: v.bytes[r * columns + c])) * inverse
                }
            }
        case .int16, .int32:
            throw .unsupportedModel(path: path, message: "variable \(name) is \(v.dataType); only float32, float16, bfloat16 and int8 weights are supported")
        }
        return out
    }

    /// A scalar integer variable (head counts, flags).
    public func integer(_ name: String) throws(EngineError) -> Int {
        let v = try variable(name)
        guard v.count == 1 else {
            throw .malformedModel(path: path, message: "variable \(name) should be a scalar, has shape \(v.shape)")
        }
        switch v.dataType {
        case .int8: return Int(Int8(bitPattern: v.bytes[0]))
        case .int16: return Int(v.bytes.loadUnaligned(as: Int16.self))
        case .int32: return Int(v.bytes.loadUnaligned(as: Int32.self))
        default:
            let value = try floats(name)[0]
            guard let integer = Int(exactly: value.rounded()), abs(integer) < 1 << 30 else {
                throw .malformedModel(path: path, message: "variable \(name) should be an integer, is \(value)")
            }
            return integer
        }
    }
}

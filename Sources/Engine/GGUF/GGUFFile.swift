/// A GGUF (v2/v3) model file, memory-mapped: metadata, and tensors by name with type, shape and
/// their bytes in place. Every structural problem (bad magic, truncation, a tensor outside the
/// file, an unknown type) is an `EngineError`, never a crash.
public final class GGUFFile: @unchecked Sendable {
    public struct TensorInfo: Sendable {
        public let name: String
        /// Dimensions fastest-varying first (GGML order): `[columns, rows]` for a matrix.
        public let shape: [Int]
        public let type: GGMLType
        /// Byte offset from the start of the file.
        public let offset: Int
        public let byteCount: Int
        /// Checked when the file was read: the product fits (the tensor lies inside the file).
        public var elementCount: Int { shape.reduce(1, *) }
    }

    public let path: String
    public let version: UInt32
    public let metadata: [String: GGUFValue]
    public let tensors: [String: TensorInfo]
    /// Tensor names in file order.
    public let tensorNames: [String]
    private let mapping: MappedFile

    public convenience init(path: String) throws(EngineError) {
        try self.init(mapping: MappedFile(path: path))
    }

    init(mapping: MappedFile) throws(EngineError) {
        self.mapping = mapping
        path = mapping.path
        var cursor = ByteCursor(mapping.bytes, path: path)
        let magic = try cursor.read(UInt32.self, "magic")
        guard magic == 0x4655_4747 else { throw .malformedModel(path: path, message: "not a GGUF file (bad magic)") }
        version = try cursor.read(UInt32.self, "version")
        guard version == 2 || version == 3 else {
            throw .unsupportedModel(path: path, message: "GGUF version \(version) (2 and 3 are supported)")
        }
        let tensorCount = try cursor.read(UInt64.self, "tensor count")
        let kvCount = try cursor.read(UInt64.self, "metadata count")
        let remaining = UInt64(mapping.bytes.count)
        guard tensorCount < remaining, kvCount < remaining else {
            throw .malformedModel(path: path, message: "header claims \(tensorCount) tensors and \(kvCount) metadata entries")
        }
        var metadata = [String: GGUFValue]()
        for i in 0..<Int(kvCount) {
            let key = try cursor.readString("metadata key \(i)")
            let type = try cursor.read(UInt32.self, "type of \(key)")
            metadata[key] = try GGUFValue.read(type: type, from: &cursor, key: key)
        }
        self.metadata = metadata

        struct Raw { var name: String; var shape: [Int]; var type: GGMLType; var offset: UInt64 }
        var raws = [Raw]()
        for i in 0..<Int(tensorCount) {
            let name = try cursor.readString("tensor name \(i)")
            let dims = try cursor.read(UInt32.self, "dimensions of \(name)")
            guard (1...4).contains(dims) else { throw .malformedModel(path: path, message: "\(name): \(dims) dimensions") }
            var shape = [Int]()
            for _ in 0..<dims {
                let d = try cursor.read(UInt64.self, "shape of \(name)")
                guard d > 0, d < 1 << 32 else { throw .malformedModel(path: path, message: "\(name): dimension \(d)") }
                shape.append(Int(d))
            }
            let code = try cursor.read(UInt32.self, "type of \(name)")
            guard let type = GGMLType(rawValue: code) else {
                throw .unsupportedModel(path: path, message: "\(name): unknown tensor type \(code)")
            }
            let offset = try cursor.read(UInt64.self, "offset of \(name)")
            raws.append(Raw(name: name, shape: shape, type: type, offset: offset))
        }
        let alignment = metadata["general.alignment"]?.int ?? 32
        guard alignment > 0, alignment <= 1 << 20, alignment & (alignment - 1) == 0 else {
            throw .malformedModel(path: path, message: "general.alignment \(alignment) is not a power of two")
        }
        let dataStart = (cursor.offset + alignment - 1) / alignment * alignment
        var tensors = [String: TensorInfo]()
        for raw in raws {
            guard let layout = raw.type.blockLayout else {
                throw .unsupportedModel(path: path, message: "\(raw.name): tensor type \(raw.type) has no known layout")
            }
            guard raw.shape[0] % layout.elements == 0 else {
                throw .malformedModel(path: path, message: "\(raw.name): row of \(raw.shape[0]) is not a whole number of \(raw.type) blocks")
            }
            guard let elements = CheckedArithmetic.product(raw.shape),
                  let bytes = CheckedArithmetic.product([elements / layout.elements, layout.bytes]) else {
                throw .malformedModel(path: path, message: "\(raw.name): shape \(raw.shape) is too large")
            }
            // The offset is checked before it is added to anything (it may be near UInt64.max).
            guard raw.offset < remaining, UInt64(dataStart) + raw.offset + UInt64(bytes) <= remaining else {
                throw .malformedModel(path: path, message: "truncated: tensor \(raw.name) ends past the end of the file")
            }
            let start = UInt64(dataStart) + raw.offset
            tensors[raw.name] = TensorInfo(name: raw.name, shape: raw.shape, type: raw.type, offset: Int(start), byteCount: bytes)
        }
        self.tensors = tensors
        tensorNames = raws.map(\.name)
    }

    /// The raw bytes of a tensor, in place in the mapping (valid while this file lives).
    public func data(of tensor: TensorInfo) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: mapping.bytes[tensor.offset..<tensor.offset + tensor.byteCount])
    }

    public func tensor(_ name: String) throws(EngineError) -> TensorInfo {
        guard let t = tensors[name] else { throw .malformedModel(path: path, message: "tensor \(name) is missing") }
        return t
    }

    public func int(_ key: String) throws(EngineError) -> Int {
        guard let v = metadata[key]?.int else { throw .malformedModel(path: path, message: "metadata \(key) is missing or not an integer") }
        return v
    }

    public func string(_ key: String) throws(EngineError) -> String {
        guard let v = metadata[key]?.string else { throw .malformedModel(path: path, message: "metadata \(key) is missing or not a string") }
        return v
    }
}

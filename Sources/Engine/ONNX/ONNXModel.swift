/// The parts of an ONNX model that a hand-written port needs: the initializers (weights, by
/// name) and the graph's nodes (operator, inputs, outputs, attributes), so that weights the
/// exporter left unnamed can be found through the node that consumes them, and layer
/// hyper-parameters (kernel sizes, dilations, strides) read from the graph instead of assumed.
public final class ONNXModel: @unchecked Sendable {
    public struct Tensor: @unchecked Sendable {
        public let name: String
        public let shape: [Int]
        /// ONNX `TensorProto.DataType` (1 float, 7 int64, 10 float16, 11 double).
        public let dataType: Int
        let raw: UnsafeRawBufferPointer
        let packedFloats: UnsafeRawBufferPointer

        /// Elements: the product of `shape`, checked when the file was read.
        public let count: Int
    }

    public enum Attribute: Sendable, Equatable {
        case int(Int), float(Float), ints([Int]), floats([Float]), string(String), other
    }

    public struct Node: Sendable {
        public let name: String
        public let opType: String
        public let inputs: [String]
        public let outputs: [String]
        public let attributes: [String: Attribute]

        public func ints(_ name: String) -> [Int]? {
            if case let .ints(v) = attributes[name] { return v }
            if case let .int(v) = attributes[name] { return [v] }
            return nil
        }

        public func float(_ name: String) -> Float? {
            if case let .float(v) = attributes[name] { return v }
            return nil
        }
    }

    public let path: String
    public let initializers: [String: Tensor]
    public let nodes: [Node]
    public let nodesByName: [String: Node]
    private let file: MappedFile

    public init(path: String) throws(EngineError) {
        file = try MappedFile(path: path)
        self.path = path
        var graph: UnsafeRawBufferPointer?
        try ProtobufReader.forEachField(in: file.bytes, path: path) { field throws(EngineError) in
            if field.number == 7 && field.wireType == .lengthDelimited { graph = field.bytes }
        }
        guard let graph else { throw .malformedModel(path: path, message: "no graph (is this an ONNX file?)") }
        var initializers: [String: Tensor] = [:]
        var nodes: [Node] = []
        try ProtobufReader.forEachField(in: graph, path: path) { field throws(EngineError) in
            guard field.wireType == .lengthDelimited else { return }
            switch field.number {
            case 1: nodes.append(try Self.node(field.bytes, path: path))
            case 5:
                let tensor = try Self.tensor(field.bytes, path: path)
                initializers[tensor.name] = tensor
            default: break
            }
        }
        guard !nodes.isEmpty else { throw .malformedModel(path: path, message: "the graph has no nodes") }
        self.initializers = initializers
        self.nodes = nodes
        var byName: [String: Node] = [:]
        for node in nodes { byName[node.name] = node }
        nodesByName = byName
    }

    private static func node(_ bytes: UnsafeRawBufferPointer, path: String) throws(EngineError) -> Node {
        var name = "", op = "", inputs: [String] = [], outputs: [String] = []
        var attributes: [String: Attribute] = [:]
        try ProtobufReader.forEachField(in: bytes, path: path) { f throws(EngineError) in
            switch f.number {
            case 1: inputs.append(ProtobufReader.string(f))
            case 2: outputs.append(ProtobufReader.string(f))
            case 3: name = ProtobufReader.string(f)
            case 4: op = ProtobufReader.string(f)
            case 5:
                let (key, value) = try attribute(f.bytes, path: path)
                attributes[key] = value
            default: break
            }
        }
        return Node(name: name, opType: op, inputs: inputs, outputs: outputs, attributes: attributes)
    }

    private static func attribute(_ bytes: UnsafeRawBufferPointer, path: String) throws(EngineError) -> (String, Attribute) {
        var name = "", value = Attribute.other
        var ints: [Int] = [], floats: [Float] = []
        var type = 0
        try ProtobufReader.forEachField(in: bytes, path: path) { f throws(EngineError) in
            switch f.number {
            case 1: name = ProtobufReader.string(f)
            case 2: value = .float(Float(bitPattern: UInt32(truncatingIfNeeded: f.value)))
            case 3: value = .int(Int(Int64(bitPattern: f.value)))
            case 4: value = .string(ProtobufReader.string(f))
            case 7:
                if f.wireType == .fixed32 { floats.append(Float(bitPattern: UInt32(truncatingIfNeeded: f.value))) } else {
                    for i in 0..<(f.bytes.count / 4) { floats.append(Float(bitPattern: f.bytes.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
                }
            case 8: ints += try ProtobufReader.integers(f, path: path)
            case 20: type = Int(truncatingIfNeeded: f.value)
            default: break
            }
        }
        if type == 7 || (!ints.isEmpty && value == .other) { value = .ints(ints) }
        if type == 6 || (!floats.isEmpty && value == .other) { value = .floats(floats) }
        return (name, value)
    }

    private static func tensor(_ bytes: UnsafeRawBufferPointer, path: String) throws(EngineError) -> Tensor {
        var name = "", shape: [Int] = [], type = 0
        var raw = UnsafeRawBufferPointer(start: nil, count: 0), floats = raw
        try ProtobufReader.forEachField(in: bytes, path: path) { f throws(EngineError) in
            switch f.number {
            case 1: shape += try ProtobufReader.integers(f, path: path)
            case 2: type = Int(truncatingIfNeeded: f.value)
            case 4: if f.wireType == .lengthDelimited { floats = f.bytes }
            case 8: name = ProtobufReader.string(f)
            case 9: raw = f.bytes
            default: break
            }
        }
        guard let count = CheckedArithmetic.product(shape) else {
            throw .malformedModel(path: path, message: "initializer \(name) has an impossible shape \(shape)")
        }
        return Tensor(name: name, shape: shape, dataType: type, raw: raw, packedFloats: floats, count: count)
    }

    /// An initializer as float values (float32 or float16 storage), checked against `shape`.
    public func floats(_ name: String, shape expected: [Int]? = nil) throws(EngineError) -> [Float] {
        guard let t = initializers[name] else { throw .malformedModel(path: path, message: "initializer \(name) is missing") }
        if let expected, expected != t.shape {
            throw .malformedModel(path: path, message: "initializer \(name) has shape \(t.shape), expected \(expected)")
        }
        let source = t.raw.count > 0 ? t.raw : t.packedFloats
        switch t.dataType {
        case 1:
            guard source.count / 4 == t.count, source.count % 4 == 0 else {
                throw .malformedModel(path: path, message: "initializer \(name) has \(source.count) bytes for \(t.count) floats")
            }
            return (0..<t.count).map { Float(bitPattern: source.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self)) }
        case 10:
            guard source.count / 2 == t.count, source.count % 2 == 0 else {
                throw .malformedModel(path: path, message: "initializer \(name) has \(source.count) bytes for \(t.count) halves")
            }
            return (0..<t.count).map { Float(Float16(bitPattern: source.loadUnaligned(fromByteOffset: 2 * $0, as: UInt16.self))) }
        default:
            throw .unsupportedModel(path: path, message: "initializer \(name) has ONNX data type \(t.dataType); float32 and float16 are supported")
        }
    }

    public func node(_ name: String) throws(EngineError) -> Node {
        guard let node = nodesByName[name] else { throw .malformedModel(path: path, message: "the graph has no node \(name)") }
        return node
    }
}

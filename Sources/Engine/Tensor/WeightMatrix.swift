/// A weight matrix in place in a model file, in its stored type: `rows` outputs, each a row of
/// `columns` inputs (GGML's `[columns, rows]`). Quantized rows are never expanded as a whole on
/// the decode path; `QuantizedKernels` computes with the blocks directly.
public struct WeightMatrix: @unchecked Sendable {
    public let type: GGMLType
    public let rows: Int
    public let columns: Int
    public let data: UnsafeRawPointer
    public let rowBytes: Int

    public init(type: GGMLType, rows: Int, columns: Int, data: UnsafeRawPointer) throws(EngineError) {
        guard type.isSupported, let layout = type.blockLayout else {
            throw .unsupportedModel(path: "", message: "tensor type \(type) is not supported")
        }
        guard columns % layout.elements == 0 else {
            throw .invalidArgument("a row of \(columns) is not a whole number of \(type) blocks")
        }
        self.type = type
        self.rows = rows
        self.columns = columns
        self.data = data
        rowBytes = columns / layout.elements * layout.bytes
    }

    /// A view of a GGUF tensor (1-D tensors are one row).
    public init(_ tensor: GGUFFile.TensorInfo, in file: GGUFFile) throws(EngineError) {
        guard tensor.type.isSupported else {
            throw .unsupportedModel(path: file.path, message: "tensor \(tensor.name) has type \(tensor.type), which this engine does not compute with (supported: F32, F16, Q4_0, Q4_1, Q8_0, Q4_K, Q6_K)")
        }
        guard tensor.shape.count <= 2 else {
            throw .malformedModel(path: file.path, message: "tensor \(tensor.name) has \(tensor.shape.count) dimensions, expected at most 2")
        }
        guard let base = file.data(of: tensor).baseAddress else {
            throw .malformedModel(path: file.path, message: "tensor \(tensor.name) is empty")
        }
        do {
            try self.init(type: tensor.type, rows: tensor.shape.count == 2 ? tensor.shape[1] : 1, columns: tensor.shape[0], data: base)
        } catch {
            throw .malformedModel(path: file.path, message: "tensor \(tensor.name): \(error)")
        }
    }

    public func row(_ r: Int) -> UnsafeRawPointer { data + r * rowBytes }

    /// Expands one row to float.
    public func dequantizeRow(_ r: Int, into output: UnsafeMutablePointer<Float>) {
        QuantizedKernels.dequantize(type: type, row(r), count: columns, into: output)
    }

    /// Expands rows `range` to a row-major float matrix (for sgemm during prefill).
    public func dequantizeRows(_ range: Range<Int>, into output: UnsafeMutablePointer<Float>) {
        for (i, r) in range.enumerated() { dequantizeRow(r, into: output + i * columns) }
    }

    /// Copies out one row as float values (tests, small vectors such as norms).
    public func floats(row r: Int = 0) -> [Float] {
        [Float](unsafeUninitializedCapacity: columns) { buffer, count in
            if let base = buffer.baseAddress { dequantizeRow(r, into: base) }
            count = columns
        }
    }
}

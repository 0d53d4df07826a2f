import Foundation
import Testing
import Engine

/// Writes small GGUF files for the error paths.
struct GGUFBuilder {
    var metadata: [(String, UInt32, [UInt8])] = []
    var tensors: [(name: String, shape: [UInt64], type: UInt32, bytes: Int)] = []
    /// Offsets written for the tensors instead of the real ones (by index), for corrupt files.
    var offsetOverrides: [Int: UInt64] = [:]

    static func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }
    static func string(_ s: String) -> [UInt8] { le(UInt64(s.utf8.count)) + Array(s.utf8) }

    mutating func add(_ key: String, string value: String) { metadata.append((key, 8, Self.string(value))) }
    mutating func add(_ key: String, uint32 value: UInt32) { metadata.append((key, 4, Self.le(value))) }

    func build() -> [UInt8] {
        var out = Self.le(UInt32(0x4655_4747)) + Self.le(UInt32(3)) + Self.le(UInt64(tensors.count)) + Self.le(UInt64(metadata.count))
        for (k, t, v) in metadata { out += Self.string(k) + Self.le(t) + v }
        var offset: UInt64 = 0
        for (i, t) in tensors.enumerated() {
            out += Self.string(t.name) + Self.le(UInt32(t.shape.count))
            for d in t.shape { out += Self.le(d) }
            out += Self.le(t.type) + Self.le(offsetOverrides[i] ?? offset)
            offset += UInt64((t.bytes + 31) / 32 * 32)
        }
        while out.count % 32 != 0 { out.append(0) }
        out += [UInt8](repeating: 0, count: Int(offset))
        return out
    }

    func write() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rtd-\(UUID().uuidString).gguf").path
        try Data(build()).write(to: URL(fileURLWithPath: path))
        return path
    }
}

@Suite struct GGUFTests {
    static func expectMalformed(_ path: String, containing text: String) {
        do {
            _ = try GGUFFile(path: path)
            Issue.record("\(path) was accepted")
        } catch {
            #expect(error.description.contains(text), "\(error)")
        }
    }

    @Test func readsTheRealModel() throws {
        let file = try GGUFFile(path: try ModelPaths.smolLM)
        #expect(file.version == 3)
        #expect(file.metadata["general.architecture"]?.string == "llama")
        #expect(file.tensors.count == 272)
        #expect(file.tensors["blk.0.attn_q.weight"]?.type == .q4_1)
        #expect(file.tensors["token_embd.weight"]?.shape == [576, 49152])
    }

    @Test func truncatedFilesAreRejected() throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: try ModelPaths.smolLM))
        let dir = FileManager.default.temporaryDirectory
        let cutInData = dir.appendingPathComponent("rtd-cut-\(UUID().uuidString).gguf")
        try bytes.prefix(4_000_000).write(to: cutInData)
        Self.expectMalformed(cutInData.path, containing: "truncated")
        let cutInHeader = dir.appendingPathComponent("rtd-head-\(UUID().uuidString).gguf")
        try bytes.prefix(300).write(to: cutInHeader)
        Self.expectMalformed(cutInHeader.path, containing: "truncated")
    }

    @Test func corruptFilesAreRejected() throws {
        let dir = FileManager.default.temporaryDirectory
        let text = dir.appendingPathComponent("rtd-text-\(UUID().uuidString).gguf")
        try Data("this is not a model at all".utf8).write(to: text)
        Self.expectMalformed(text.path, containing: "not a GGUF file")
        let empty = dir.appendingPathComponent("rtd-empty-\(UUID().uuidString).gguf")
        try Data().write(to: empty)
        Self.expectMalformed(empty.path, containing: "empty")
        Self.expectMalformed("/nonexistent/model.gguf", containing: "cannot open")
        // A string whose length field claims more bytes than the file has.
        var b = GGUFBuilder()
        b.metadata.append(("general.name", 8, GGUFBuilder.le(UInt64(1 << 40)) + [65, 66]))
        Self.expectMalformed(try b.write(), containing: "claims")
        // An unknown metadata value type.
        var c = GGUFBuilder()
        c.metadata.append(("x", 99, [0, 0, 0, 0]))
        Self.expectMalformed(try c.write(), containing: "unknown metadata value type 99")
    }

    @Test func unsupportedArchitectureAndTensorTypeAreNamed() throws {
        var arch = GGUFBuilder()
        arch.add("general.architecture", string: "mamba")
        arch.tensors.append(("token_embd.weight", [32, 4], 0, 32 * 4 * 4))
        do {
            _ = try LlamaModel(path: try arch.write())
            Issue.record("mamba accepted")
        } catch {
            #expect("\(error)".contains("architecture 'mamba'"))
        }
        var type = GGUFBuilder()
        type.add("general.architecture", string: "llama")
        for (k, v) in [("llama.block_count", 1), ("llama.embedding_length", 256), ("llama.attention.head_count", 4),
                       ("llama.feed_forward_length", 256)] {
            type.add(k, uint32: UInt32(v))
        }
        type.tensors.append(("token_embd.weight", [256, 8], 13, 256 * 8 / 256 * 176))  // Q5_K
        do {
            _ = try LlamaModel(path: try type.write())
            Issue.record("Q5_K accepted")
        } catch {
            #expect("\(error)".contains("Q5_K") || "\(error)".contains("type 13"), "\(error)")
        }
    }

    /// Numbers read from a file that would overflow plain arithmetic are refused, not trapped on.
    @Test func sizesThatOverflowAreRefused() throws {
        var huge = GGUFBuilder()
        huge.tensors.append(("w", [0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF, 0xFFFF_FFFF], 0, 32))  // F32
        Self.expectMalformed(try huge.write(), containing: "too large")
        var offset = GGUFBuilder()
        offset.tensors.append(("w", [8], 0, 32))
        offset.offsetOverrides[0] = UInt64.max - 8
        Self.expectMalformed(try offset.write(), containing: "truncated")
        var alignment = GGUFBuilder()
        alignment.metadata.append(("general.alignment", 10, GGUFBuilder.le(UInt64(1) << 62)))
        Self.expectMalformed(try alignment.write(), containing: "alignment")
        // An array whose count is as large as the bytes left, of 8-byte elements: refused when
        // reading runs out, without reserving room for the count first.
        var array = GGUFBuilder()
        array.metadata.append(("a", 9, GGUFBuilder.le(UInt32(10)) + GGUFBuilder.le(UInt64(60)) + [UInt8](repeating: 0, count: 64)))
        Self.expectMalformed(try array.write(), containing: "truncated")
    }

    @Test func impossibleHyperParametersAreRefused() throws {
        var file = GGUFBuilder()
        file.add("general.architecture", string: "llama")
        for (k, v) in [("llama.block_count", 1), ("llama.embedding_length", 32), ("llama.attention.head_count", 4),
                       ("llama.feed_forward_length", 64), ("llama.context_length", 0)] {
            file.add(k, uint32: UInt32(v))
        }
        file.tensors.append(("token_embd.weight", [32, 8], 0, 32 * 8 * 4))
        do {
            _ = try LlamaModel(path: try file.write())
            Issue.record("context length 0 accepted")
        } catch {
            #expect("\(error)".contains("context 0"), "\(error)")
        }
    }
}

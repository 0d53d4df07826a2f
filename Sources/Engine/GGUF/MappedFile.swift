import Glibc

/// A read-only memory mapping of a whole file, unmapped on deinit. Model weights are used in
/// place from the mapping: loading is instant and the page cache is shared between processes.
///
/// A mapped file must not be rewritten in place while a process uses it (the process would
/// stop with SIGBUS on a page that is gone): `models fetch` replaces files by renaming a new
/// one over the old, which leaves running daemons with the old file's pages; do the same when
/// replacing a model by hand (`cp new.gguf x.tmp && mv x.tmp model.gguf`).
public final class MappedFile: @unchecked Sendable {
    public let path: String
    public let bytes: UnsafeRawBufferPointer

    public init(path: String) throws(EngineError) {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw .malformedModel(path: path, message: "cannot open: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw .malformedModel(path: path, message: "cannot stat: \(String(cString: strerror(errno)))")
        }
        let size = Int(info.st_size)
        guard size > 0 else { throw .malformedModel(path: path, message: "file is empty") }
        let address = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let address, address != MAP_FAILED else {
            throw .malformedModel(path: path, message: "cannot map: \(String(cString: strerror(errno)))")
        }
        bytes = UnsafeRawBufferPointer(start: address, count: size)
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: bytes.baseAddress), bytes.count) }
}

/// A bounds-checked little-endian cursor over bytes: every read past the end is an error that
/// says what was being read, never a crash.
struct ByteCursor {
    let bytes: UnsafeRawBufferPointer
    let path: String
    var offset = 0

    init(_ bytes: UnsafeRawBufferPointer, path: String) {
        self.bytes = bytes
        self.path = path
    }

    mutating func read<T: FixedWidthInteger>(_: T.Type, _ what: @autoclosure () -> String) throws(EngineError) -> T {
        let size = MemoryLayout<T>.size
        guard offset + size <= bytes.count else {
            throw .malformedModel(path: path, message: "truncated: file ends at byte \(bytes.count) while reading \(what())")
        }
        let value = bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += size
        return T(littleEndian: value)
    }

    mutating func readFloat(_ what: @autoclosure () -> String) throws(EngineError) -> Float {
        Float(bitPattern: try read(UInt32.self, what()))
    }

    mutating func readDouble(_ what: @autoclosure () -> String) throws(EngineError) -> Double {
        Double(bitPattern: try read(UInt64.self, what()))
    }

    mutating func readString(_ what: @autoclosure () -> String) throws(EngineError) -> String {
        let length = try read(UInt64.self, "length of \(what())")
        guard length <= UInt64(bytes.count - offset) else {
            throw .malformedModel(path: path, message: "truncated or corrupt: \(what()) claims \(length) bytes, \(bytes.count - offset) remain")
        }
        let n = Int(length)
        let s = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + n]), as: UTF8.self)
        offset += n
        return s
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only memory-mapped file. Readers slice it without copying; the mapping lives as
/// long as this object. Immutable, hence shareable across tasks.
public final class MappedFile: @unchecked Sendable {
    public let path: String
    public let buffer: UnsafeRawBufferPointer
    private let base: UnsafeMutableRawPointer?

    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw TSDBError.io(path: path, errno: errno) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw TSDBError.io(path: path, errno: errno) }
        let size = Int(st.st_size)
        if size == 0 {
            base = nil
            buffer = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        let p = mmap(nil, size, PROT_READ, MAP_SHARED, fd, 0)
        guard let p, p != MAP_FAILED else { throw TSDBError.io(path: path, errno: errno) }
        base = p
        buffer = UnsafeRawBufferPointer(start: p, count: size)
    }

    deinit {
        if let base { munmap(base, buffer.count) }
    }

    public var count: Int { buffer.count }
}

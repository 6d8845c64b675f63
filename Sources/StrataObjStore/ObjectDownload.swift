#if canImport(Glibc)
import Glibc
#endif

extension Bucket {
    /// Streams an object into a local file: written to `<path>.strata-download` and renamed
    /// into place, so an interrupted download never leaves a truncated file under the final
    /// name. Returns the number of bytes written. Memory use is one chunk.
    @discardableResult
    public func download(_ key: String, to path: String) async throws -> Int64 {
        let stream = try await get(key)
        let tmp = path + ".strata-download"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Posix.ioError("create", tmp) }
        var ok = false
        defer {
            _ = Glibc.close(fd)
            if !ok { unlink(tmp) }
        }
        var written: Int64 = 0
        for try await chunk in stream {
            try chunk.withUnsafeBytes { try Posix.writeAll(fd: fd, $0, path: tmp) }
            written += Int64(chunk.count)
        }
        if fsync(fd) != 0 { throw Posix.ioError("fsync", tmp) }
        if rename(tmp, path) != 0 { throw Posix.ioError("rename", path) }
        ok = true
        return written
    }
}

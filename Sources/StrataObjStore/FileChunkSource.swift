#if canImport(Glibc)
import Glibc
#endif

/// Reads a byte range of a local file in fixed-size chunks with `pread`.
///
/// Used for filesystem-bucket reads and for S3 upload bodies (a multipart part is a range of
/// the source file), so a multi-GB file never needs more than one chunk in memory.
final class FileChunkSource: ChunkSource {
    static let defaultChunkSize = 1 << 20

    private var fd: Int32
    private let path: String
    private var offset: Int64
    private var remaining: Int64
    private let chunkSize: Int

    /// Takes ownership of `fd`. `length == nil` reads to the end of the file.
    init(fd: Int32, path: String, offset: Int64, length: Int64?, chunkSize: Int = FileChunkSource.defaultChunkSize) {
        self.fd = fd
        self.path = path
        self.offset = offset
        self.remaining = length ?? Int64.max
        self.chunkSize = chunkSize
    }

    /// Opens `path` and reads `[offset, offset+length)`.
    static func open(path: String, offset: Int64 = 0, length: Int64? = nil,
                     chunkSize: Int = FileChunkSource.defaultChunkSize) throws -> FileChunkSource {
        guard let fd = try Posix.openForReading(path) else {
            throw BucketError.io(operation: "open", path: path, message: "no such regular file")
        }
        return FileChunkSource(fd: fd, path: path, offset: offset, length: length, chunkSize: chunkSize)
    }

    func nextChunk() async throws -> [UInt8]? {
        guard fd >= 0, remaining > 0 else { closeFile(); return nil }
        let want = Int(min(Int64(chunkSize), remaining))
        // Read straight into uninitialized storage: zero-filling first costs as much as the read.
        var readError: (any Error)?
        let chunk = [UInt8](unsafeUninitializedCapacity: want) { buf, count in
            do {
                count = try Posix.pread(fd: fd, into: UnsafeMutableRawBufferPointer(buf), offset: offset, path: path)
            } catch {
                readError = error
                count = 0
            }
        }
        if let readError { throw readError }
        let n = chunk.count
        if n == 0 { closeFile(); return nil }
        offset += Int64(n)
        remaining -= Int64(n)
        return chunk
    }

    private func closeFile() {
        if fd >= 0 { close(fd); fd = -1 }
    }

    deinit { closeFile() }
}

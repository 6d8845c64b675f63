#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A buffered, append-only file writer that knows its offset: index and chunk writers need
/// the position of what they write next. Writes go to the file in 1 MiB batches.
public final class FileWriter {
    public let path: String
    private var fd: Int32
    private var buf: [UInt8] = []
    private let bufSize = 1 << 20
    public private(set) var offset: Int = 0

    public init(path: String) throws {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw TSDBError.io(path: path, errno: errno) }
        buf.reserveCapacity(bufSize)
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }

    public func write(_ bytes: [UInt8]) throws {
        try write(bytes[...])
    }

    public func write(_ bytes: ArraySlice<UInt8>) throws {
        offset += bytes.count
        if buf.count + bytes.count > bufSize {
            try flush()
            if bytes.count > bufSize {
                try bytes.withUnsafeBytes { try writeAll($0) }
                return
            }
        }
        buf.append(contentsOf: bytes)
    }

    public func write(_ raw: UnsafeRawBufferPointer) throws {
        offset += raw.count
        if buf.count + raw.count > bufSize {
            try flush()
            if raw.count > bufSize {
                try writeAll(raw)
                return
            }
        }
        buf.append(contentsOf: raw)
    }

    /// Zero bytes until `offset` is a multiple of `n`.
    public func pad(to n: Int) throws {
        let r = offset % n
        if r != 0 { try write([UInt8](repeating: 0, count: n - r)) }
    }

    public func flush() throws {
        if buf.isEmpty { return }
        try buf.withUnsafeBytes { try writeAll($0) }
        buf.removeAll(keepingCapacity: true)
    }

    private func writeAll(_ raw: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < raw.count {
            let n = Glibc.write(fd, raw.baseAddress! + done, raw.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                throw TSDBError.io(path: path, errno: errno)
            }
            done += n
        }
    }

    /// Flushes, fsyncs and closes.
    public func close() throws {
        try flush()
        if fsync(fd) != 0 { throw TSDBError.io(path: path, errno: errno) }
        if Glibc.close(fd) != 0 { throw TSDBError.io(path: path, errno: errno) }
        fd = -1
    }
}

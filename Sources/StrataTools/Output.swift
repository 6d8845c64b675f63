#if canImport(Glibc)
import Glibc
#endif

/// Buffered writes to a file descriptor (stdout by default): dumping millions of lines
/// through `print` would cost more than decoding them.
public final class OutputBuffer {
    private var buf: [UInt8] = []
    private let fd: Int32
    private let limit = 1 << 20

    public init(fd: Int32 = 1) {
        self.fd = fd
        buf.reserveCapacity(limit + 4096)
    }

    deinit { flush() }

    @inline(__always)
    public func write(_ s: String) {
        var s = s
        s.withUTF8 { buf.append(contentsOf: $0) }
        if buf.count >= limit { flush() }
    }

    public func flush() {
        var off = 0
        while off < buf.count {
            let n = buf.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + off, $0.count - off) }
            if n <= 0 {
                if n < 0 && errno == EINTR { continue }
                break
            }
            off += n
        }
        buf.removeAll(keepingCapacity: true)
    }
}

/// Writes a line to stderr (progress and errors never mix with data on stdout).
public func printError(_ s: String) { writeError(s + "\n") }

/// Writes to stderr without a newline (progress lines that redraw themselves).
public func writeError(_ s: String) {
    var s = s
    s.withUTF8 { _ = Glibc.write(2, $0.baseAddress, $0.count) }
}

import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Errors of the cache clients. They never reach a query: a failing cache is a miss.
public struct CacheClientError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ d: String) { description = d }
}

/// A blocking TCP connection to a cache server with connect, read and write timeouts and a
/// read buffer. Blocking calls run on NIO's thread pool (see `CacheConnectionPool`), never
/// on the cooperative executor, and the socket timeouts bound each of them.
final class CacheSocket {
    private var fd: Int32
    private var buffer: [UInt8] = []
    private var start = 0

    init(host: String, port: Int, connectTimeout: Duration, ioTimeout: Duration) throws {
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var res: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &res) == 0, let ai = res else {
            throw CacheClientError("cannot resolve \(host)")
        }
        defer { freeaddrinfo(res) }
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw CacheClientError("socket(): \(String(cString: strerror(errno)))") }
        do {
            let flags = fcntl(fd, F_GETFL, 0)
            _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
            if connect(fd, ai.pointee.ai_addr, ai.pointee.ai_addrlen) != 0 {
                guard errno == EINPROGRESS else { throw CacheClientError("connect \(host):\(port): \(String(cString: strerror(errno)))") }
                var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                guard poll(&p, 1, Int32(Self.ms(connectTimeout))) == 1 else {
                    throw CacheClientError("connect \(host):\(port): timed out after \(connectTimeout)")
                }
                var err: Int32 = 0
                var len = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len)
                guard err == 0 else { throw CacheClientError("connect \(host):\(port): \(String(cString: strerror(err)))") }
            }
            _ = fcntl(fd, F_SETFL, flags)
            let ms = Self.ms(ioTimeout)
            var tv = timeval(tv_sec: ms / 1000, tv_usec: Int((ms % 1000) * 1000))
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
            var one: Int32 = 1
            setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        } catch {
            close(fd)
            fd = -1
            throw error
        }
    }

    deinit { if fd >= 0 { close(fd) } }

    static func ms(_ d: Duration) -> Int {
        let c = d.components
        return max(1, Int(c.seconds) * 1000 + Int(c.attoseconds / 1_000_000_000_000_000))
    }

    func write(_ bytes: [UInt8]) throws {
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + off, bytes.count - off, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw CacheClientError(n == 0 ? "connection closed" : "write: \(String(cString: strerror(errno)))") }
            off += n
        }
    }

    /// Reads more bytes, first dropping those already consumed.
    private func fill() throws {
        if start > 0 {
            buffer.removeFirst(start)
            start = 0
        }
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        let n = recv(fd, &chunk, chunk.count, 0)
        guard n > 0 else {
            throw CacheClientError(n == 0 ? "connection closed by the server" : (errno == EAGAIN ? "read timed out" : "read: \(String(cString: strerror(errno)))"))
        }
        buffer += chunk[0..<n]
    }

    /// A line without its `\r\n`.
    func readLine() throws -> [UInt8] {
        var scanned = 0  // bytes after `start` known to hold no line end
        while true {
            if let i = buffer[(start + scanned)...].firstIndex(of: 10) {
                if i > start && buffer[i - 1] == 13 {
                    let line = Array(buffer[start..<(i - 1)])
                    start = i + 1
                    return line
                }
                scanned = i - start + 1
                continue
            }
            scanned = buffer.count - start
            try fill()
        }
    }

    func readExact(_ n: Int) throws -> [UInt8] {
        while buffer.count - start < n { try fill() }
        let out = Array(buffer[start..<(start + n)])
        start += n
        return out
    }
}

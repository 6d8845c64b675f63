import NIOPosix
import StrataCore
import Synchronization

/// Idle connections to one cache server, reused across requests. A request takes one (or
/// dials a new one), runs on NIO's blocking thread pool, and puts it back only if it
/// completed cleanly — a connection that saw an error or timeout is closed, so a half-read
/// reply can never be mistaken for the next one's.
final class CacheConnectionPool: Sendable {
    let host: String
    let port: Int
    let connectTimeout: Duration
    let ioTimeout: Duration
    let maxIdle: Int
    /// Run on every new connection before its first use (Redis AUTH / SELECT).
    let setup: @Sendable (CacheSocket) throws -> Void
    private let idle = Mutex<[UnsafeSendableSocket]>([])

    struct UnsafeSendableSocket: @unchecked Sendable { let socket: CacheSocket }

    init(address: String, connectTimeout: Duration, ioTimeout: Duration, maxIdle: Int,
         setup: @escaping @Sendable (CacheSocket) throws -> Void = { _ in }) throws {
        guard let (host, port) = HostPort.split(address) else {
            throw CacheClientError("cache address must be host:port, got \"\(address)\"")
        }
        self.host = host
        self.port = port
        self.connectTimeout = connectTimeout
        self.ioTimeout = ioTimeout
        self.maxIdle = max(1, maxIdle)
        self.setup = setup
    }

    func with<T: Sendable>(_ body: @escaping @Sendable (CacheSocket) throws -> T) async throws -> T {
        try await NIOThreadPool.singleton.runIfActive { [self] in
            let conn: CacheSocket
            if let reused = idle.withLock({ $0.popLast() }) {
                conn = reused.socket
            } else {
                conn = try CacheSocket(host: host, port: port, connectTimeout: connectTimeout, ioTimeout: ioTimeout)
                try setup(conn)
            }
            let r = try body(conn)
            let s = UnsafeSendableSocket(socket: conn)
            idle.withLock { if $0.count < maxIdle { $0.append(s) } }
            return r
        }
    }
}

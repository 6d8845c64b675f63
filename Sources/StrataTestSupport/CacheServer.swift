import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A cache server process (redis-server, memcached) on a free 127.0.0.1 port for one test.
public final class CacheServer: Sendable {
    public let port: Int
    private let process: Process

    private init(port: Int, process: Process) {
        self.port = port
        self.process = process
    }

    /// nil when the program is missing (a failure under CI=true).
    public static func start(_ name: String, hint: String, args: (Int) -> [String]) async throws -> CacheServer? {
        guard let exe = try TestEnv.require(name, hint: hint) else { return nil }
        let port = try freePort()
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args(port)
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let s = CacheServer(port: port, process: p)
        let deadline = Date().addingTimeInterval(20)
        while !canConnect(port) {
            if !p.isRunning || Date() > deadline {
                s.stop()
                throw MissingComponent(description: "\(name) did not listen on 127.0.0.1:\(port) within 20 s")
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        return s
    }

    public static func redis(password: String? = nil) async throws -> CacheServer? {
        try await start("redis-server", hint: "apt-get install redis-server") { port in
            ["--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"] + (password.map { ["--requirepass", $0] } ?? [])
        }
    }

    public static func memcached() async throws -> CacheServer? {
        try await start("memcached", hint: "apt-get install memcached") { port in ["-l", "127.0.0.1", "-p", "\(port)", "-u", "nobody"] }
    }

    /// Whether something accepts TCP connections on 127.0.0.1:port.
    public static func canConnect(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    /// SIGKILL: the servers run without persistence, so there is nothing to flush (and a
    /// child of the test runner may not see SIGTERM); returns once it has exited.
    public func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}


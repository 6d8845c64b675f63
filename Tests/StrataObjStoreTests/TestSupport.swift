import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Helpers shared by the object storage tests: temp dirs, free ports, CI detection.
enum TestSupport {
    /// Under CI=true a missing real component is a failure, not a skip (TESTING.md).
    static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }

    static func tempDirectory(_ name: String = "objstore") throws -> String {
        let path = NSTemporaryDirectory() + "strata-\(name)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func removeDirectory(_ path: String) {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// A port that was free a moment ago on 127.0.0.1 (bind to 0, read it back, release).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestError("socket() failed") }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { p -> Bool in
                bind(fd, p, len) == 0 && getsockname(fd, p, &len) == 0
            }
        }
        guard ok else { throw TestError("bind to a free port failed") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    /// True once something accepts TCP connections on 127.0.0.1:port.
    static func canConnect(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = UInt16(port).bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    /// Looks a program up on PATH (and pyenv shims, where pip puts moto here).
    static func findExecutable(_ name: String) -> String? {
        var dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
        dirs += [home + "/.pyenv/shims", home + "/.local/bin"]
        for d in dirs where FileManager.default.isExecutableFile(atPath: d + "/" + name) {
            return d + "/" + name
        }
        return nil
    }

    /// Deterministic pseudo-random bytes (xorshift), so failures are reproducible.
    static func bytes(_ count: Int, seed: UInt64 = 0x9E3779B97F4A7C15) -> [UInt8] {
        var x = seed
        var out = [UInt8](repeating: 0, count: count)
        var i = 0
        while i < count {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17
            var v = x
            for _ in 0..<8 where i < count {
                out[i] = UInt8(truncatingIfNeeded: v)
                v >>= 8
                i += 1
            }
        }
        return out
    }

    /// Writes `size` deterministic bytes to `path` in 1 MiB pieces (no big buffer).
    static func writeFile(_ path: String, size: Int, seed: UInt64 = 1) throws {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? h.close() }
        var written = 0
        var s = seed
        while written < size {
            let n = min(1 << 20, size - written)
            h.write(Data(bytes(n, seed: s)))
            s &+= 0x9E3779B97F4A7C15
            written += n
        }
    }

    /// Current resident set size of this process, in bytes (Linux `/proc/self/statm`).
    static func currentRSS() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
        let fields = text.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    /// Peak resident set size of this process, in bytes.
    static func peakRSS() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss * 1024
    }
}

struct TestError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

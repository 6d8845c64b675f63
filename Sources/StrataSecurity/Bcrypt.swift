import CCrypt
import Crypto
import Foundation
import NIOPosix
import Synchronization

/// bcrypt password checks through the system's libxcrypt (`crypt_rn`), which reads every
/// variant Prometheus's web config meets: Go's `$2a$`, Python's and OpenBSD's `$2b$`,
/// htpasswd's `$2y$`.
public enum Bcrypt {
    /// Whether `hash` has the shape of a bcrypt hash (`$2?$cc$` + 53 characters).
    public static func isHash(_ hash: String) -> Bool {
        let b = Array(hash.utf8)
        guard b.count == 60, b[0] == UInt8(ascii: "$"), b[1] == UInt8(ascii: "2"), b[3] == UInt8(ascii: "$"),
              [UInt8(ascii: "a"), UInt8(ascii: "b"), UInt8(ascii: "y")].contains(b[2]), b[6] == UInt8(ascii: "$"),
              let cost = Int(String(decoding: b[4..<6], as: UTF8.self)), (4...31).contains(cost) else { return false }
        return true
    }

    /// Whether `password` hashes to `hash`. Slow on purpose (the hash's cost): callers cache.
    public static func verify(password: String, hash: String) -> Bool {
        guard isHash(hash) else { return false }
        let size = MemoryLayout<crypt_data>.size
        let data = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 16)
        defer {
            data.initializeMemory(as: UInt8.self, repeating: 0, count: size)  // the password's traces
            data.deallocate()
        }
        data.initializeMemory(as: UInt8.self, repeating: 0, count: size)
        guard let out = crypt_rn(password, hash, data, Int32(size)) else { return false }
        let computed = Array(String(cString: out).utf8)
        let expected = Array(hash.utf8)
        guard computed.count == expected.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<computed.count { diff |= computed[i] ^ expected[i] }
        return diff == 0
    }
}

/// The web config's `basic_auth_users`: user → bcrypt hash. Checks are cached by user and a
/// SHA-256 of the password (a bcrypt check costs ~50–100 ms at cost 10, and a dashboard sends
/// dozens of requests), and run off the cooperative pool. An unknown user still costs one
/// bcrypt check, so response times do not tell which users exist.
public final class BasicAuthUsers: Sendable {
    let users: [String: String]
    /// Outcome by SHA-256 of user and password.
    private let cache = Mutex<[SHA256Digest: Bool]>([:])
    static let cacheLimit = 4096
    /// A valid hash no password matches in practice, checked for unknown users.
    static let decoy = "$2b$10$abcdefghijklmnopqrstuu5ZFJ8W5p6I2U5Eb1m0Sx8MnPQ7/l9sS"

    public init(users: [String: String]) {
        self.users = users
    }

    public var isEmpty: Bool { users.isEmpty }

    public func check(user: String, password: String) async -> Bool {
        var h = SHA256()
        h.update(data: Array(user.utf8) + [0] + Array(password.utf8))
        let key = h.finalize()
        if let known = cache.withLock({ $0[key] }) { return known }
        let hash = users[user]
        let ok = (try? await NIOThreadPool.singleton.runIfActive {
            Bcrypt.verify(password: password, hash: hash ?? Self.decoy) && hash != nil
        }) ?? false
        cache.withLock { c in
            if c.count >= Self.cacheLimit { c.removeAll() }
            c[key] = ok
        }
        return ok
    }
}

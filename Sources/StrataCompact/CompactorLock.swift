import Foundation
import StrataCore
import StrataObjStore

/// Why a compactor may not work on a bucket right now.
public enum CompactorLockError: Error, CustomStringConvertible, Equatable {
    /// Another compactor holds the bucket lock (its lock object is shown).
    case held(by: CompactorLock.Holder)
    /// Our lock object was replaced or removed while we held it: stop before doing damage.
    case lost(now: CompactorLock.Holder?)
    /// Another process uses the same `--data-dir`.
    case dataDirInUse(String)

    public var description: String {
        switch self {
        case .held(let h):
            return "bucket is locked by another compactor: owner \(h.owner) on host \(h.host) pid \(h.pid), acquired \(formatRFC3339(h.acquiredMs)), expires \(formatRFC3339(h.expiresMs)) unless renewed (use --lock.wait to wait for it)"
        case .lost(let h):
            return "lost the bucket lock" + (h.map { ": now held by \($0.owner) on host \($0.host) pid \($0.pid)" } ?? ": the lock object is gone")
        case .dataDirInUse(let d):
            return "another process uses --data-dir \(d) (flock on \(d)/\(DataDirLock.fileName) is taken)"
        }
    }
}

/// The compactor's singleton lock: one JSON object, `strata-compact.lock`, at the bucket root.
///
/// Acquiring is a create-only-if-absent write (`If-None-Match: *` on S3, `link(2)` on the
/// filesystem bucket), so of two compactors starting at once exactly one gets it. The holder
/// renews `expires` every TTL/3; a lock whose `expires` has passed belongs to a dead holder
/// and is taken over. Takeover of one dead holder's lock is itself decided by a
/// create-only-if-absent write of `strata-compact.lock.takeover-<owner>`, so two compactors
/// finding the same dead lock cannot both take it. Before every destructive step (upload,
/// deletion mark, deletion) the holder re-reads the lock and stops if it is no longer its own.
public final class CompactorLock: Sendable {
    public static let key = "strata-compact.lock"
    static let takeoverPrefix = key + ".takeover-"

    /// What the lock object says.
    public struct Holder: Sendable, Equatable {
        public var owner: String
        public var host: String
        public var pid: Int
        public var acquiredMs: Int64
        public var expiresMs: Int64

        var encoded: [UInt8] {
            let o: [JSONMember] = [
                JSONMember("owner", .string(owner)), JSONMember("host", .string(host)), JSONMember("pid", .int(Int64(pid))),
                JSONMember("acquired", .string(formatRFC3339(acquiredMs))), JSONMember("expires", .string(formatRFC3339(expiresMs))),
                JSONMember("version", .string(StrataVersion.version)),
            ]
            return Array((JSONValue.object(o).serialized(indent: "\t") + "\n").utf8)
        }

        init(owner: String, host: String, pid: Int, acquiredMs: Int64, expiresMs: Int64) {
            self.owner = owner
            self.host = host
            self.pid = pid
            self.acquiredMs = acquiredMs
            self.expiresMs = expiresMs
        }

        init?(json bytes: [UInt8]) {
            guard let v = try? JSONValue(parsing: bytes), let owner = v["owner"]?.stringValue,
                  let exp = v["expires"]?.stringValue.flatMap(parseRFC3339) else { return nil }
            self.init(owner: owner, host: v["host"]?.stringValue ?? "?", pid: Int(v["pid"]?.int64Value ?? 0),
                      acquiredMs: v["acquired"]?.stringValue.flatMap(parseRFC3339) ?? 0, expiresMs: exp)
        }
    }

    let bucket: any Bucket
    /// Fresh per process, so a restarted compactor never mistakes its predecessor's lock for its own.
    public let owner: String
    public let ttl: Duration
    private let clock: @Sendable () -> Int64

    public init(bucket: any Bucket, ttl: Duration = .seconds(300), owner: String = UUID().uuidString,
                clock: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }) {
        self.bucket = bucket
        self.ttl = ttl
        self.owner = owner
        self.clock = clock
    }

    private var ttlMs: Int64 { ttl.components.seconds * 1000 + ttl.components.attoseconds / 1_000_000_000_000_000 }

    private func fresh(acquiredMs: Int64? = nil) -> Holder {
        let now = clock()
        return Holder(owner: owner, host: ProcessInfo.processInfo.hostName, pid: Int(getpid()),
                      acquiredMs: acquiredMs ?? now, expiresMs: now + ttlMs)
    }

    /// The current lock object; nil when there is none. An unreadable object counts as a
    /// holder that expired at time 0 (so it is taken over, not obeyed forever).
    public func current() async throws -> Holder? {
        do {
            let bytes = try await bucket.getBytes(Self.key)
            if let h = Holder(json: bytes) { return h }
            // Named by its write time, so each unreadable object gets its own takeover claim.
            let written = (try? await bucket.attributes(Self.key)).map { Int64($0.lastModified.timeIntervalSince1970 * 1000) } ?? 0
            return Holder(owner: "unreadable-\(written)", host: "?", pid: 0, acquiredMs: 0, expiresMs: 0)
        } catch let e as BucketError where e.isNotFound {
            return nil
        }
    }

    /// Takes the lock or throws `.held` naming the live holder.
    public func acquire() async throws {
        if try await bucket.putIfAbsent(Self.key, body: .bytes(fresh().encoded)) { return }
        guard let holder = try await current() else {
            // Released between our write and our read: one more try, then report.
            if try await bucket.putIfAbsent(Self.key, body: .bytes(fresh().encoded)) { return }
            throw CompactorLockError.held(by: try await current() ?? Holder(owner: "?", host: "?", pid: 0, acquiredMs: 0, expiresMs: 0))
        }
        guard holder.expiresMs < clock() else { throw CompactorLockError.held(by: holder) }
        // A dead holder: exactly one contender wins the right to remove its lock.
        let claim = Self.takeoverPrefix + fileSafeName(holder.owner)
        guard try await bucket.putIfAbsent(claim, body: .bytes(fresh().encoded)) else {
            throw CompactorLockError.held(by: try await current() ?? holder)
        }
        if try await current() == holder { try await bucket.deleteIfExists(Self.key) }
        guard try await bucket.putIfAbsent(Self.key, body: .bytes(fresh().encoded)) else {
            throw CompactorLockError.held(by: try await current() ?? holder)
        }
    }

    /// Waits until the lock is ours, polling every `interval` or at the holder's expiry if sooner.
    public func acquire(waiting interval: Duration, onWait: (Holder) -> Void = { _ in }) async throws {
        while true {
            let holder: Holder
            do { return try await acquire() } catch CompactorLockError.held(let h) { holder = h }
            onWait(holder)
            let untilExpiry = Duration.milliseconds(max(100, holder.expiresMs - clock() + 100))
            try await Task.sleep(for: min(interval, untilExpiry))
        }
    }

    /// Throws `.lost` unless the lock object is still ours.
    public func verify() async throws {
        let h = try await current()
        guard h?.owner == owner else { throw CompactorLockError.lost(now: h) }
    }

    /// Pushes `expires` one TTL ahead (after checking the lock is still ours).
    public func renew() async throws {
        guard let h = try await current(), h.owner == owner else { throw CompactorLockError.lost(now: try await current()) }
        try await bucket.put(Self.key, bytes: fresh(acquiredMs: h.acquiredMs).encoded)
    }

    /// Renews every TTL/3 until cancelled; returns (by throwing `.lost`) only when the lock
    /// was taken from us. A failed renewal (S3 unreachable) is retried at the next tick: the
    /// lock stays ours until it expires.
    public func keepRenewed(onError: (Error) -> Void = { _ in }) async throws {
        while true {
            try await Task.sleep(for: ttl / 3)
            do { try await renew() } catch let e as CompactorLockError { throw e } catch is CancellationError { throw CancellationError() } catch { onError(error) }
        }
    }

    /// Deletes the lock if it is ours, and takeover claims older than a day.
    public func release() async throws {
        if try await current()?.owner == owner { try await bucket.deleteIfExists(Self.key) }
        let dayAgo = Date(timeIntervalSince1970: Double(clock()) / 1000 - 86400)
        for name in try await bucket.list() where name.hasPrefix(Self.takeoverPrefix) {
            if let a = try? await bucket.attributes(name), a.lastModified < dayAgo { try await bucket.deleteIfExists(name) }
        }
    }
}

/// `s` with everything but letters, digits, `-`, `_` and `=` replaced by `_`: usable as a
/// file or object name (group keys as scratch directories, lock owners in takeover claims).
func fileSafeName(_ s: String) -> String {
    String(s.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "=" ? $0 : "_" })
}

/// An exclusive `flock(2)` on `<data-dir>/strata-compact.lock`: two compactors on one machine
/// must not share a scratch directory, whatever bucket they point at. Released by the
/// kernel when the process dies.
public final class DataDirLock: Sendable {
    public static let fileName = "strata-compact.lock"
    private let fd: Int32

    public init(dataDir: String) throws {
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        let path = dataDir + "/" + Self.fileName
        fd = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ConfigError("cannot open \(path): \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw CompactorLockError.dataDirInUse(dataDir)
        }
    }

    deinit { close(fd) }
}

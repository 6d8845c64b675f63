import CSQLite
import Foundation
import Logging
import Metrics
import Synchronization

/// The SQLITE backend: an embedded, persistent cache file (Strata's default when no
/// distributed cache is configured) — a frontend restart keeps its warm cache. One
/// connection in WAL mode behind a lock; expired rows are skipped on read and purged, and
/// the oldest rows are deleted when the file's data exceeds `maxBytes`.
public final class SQLiteCache: ResultsCache {
    public let name = "sqlite"
    let path: String
    let maxBytes: Int
    let logger: Logger
    let db: Mutex<OpaquePointer?>

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public init(path: String, maxBytes: Int, logger: Logger) throws {
        self.path = path
        self.maxBytes = maxBytes
        self.logger = logger
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent().path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var handle: OpaquePointer?
        guard sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX, nil) == SQLITE_OK,
              let h = handle else {
            let msg = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(handle)
            throw Failure(description: "opening SQLite cache \(path): \(msg)")
        }
        sqlite3_busy_timeout(h, 2000)
        for sql in ["PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL",
                    "CREATE TABLE IF NOT EXISTS results (key TEXT PRIMARY KEY, value BLOB NOT NULL, expires INTEGER NOT NULL, stored INTEGER NOT NULL)",
                    "CREATE INDEX IF NOT EXISTS results_stored ON results(stored)"] {
            guard sqlite3_exec(h, sql, nil, nil, nil) == SQLITE_OK else {
                let msg = String(cString: sqlite3_errmsg(h))
                sqlite3_close(h)
                throw Failure(description: "SQLite cache \(path): \(sql): \(msg)")
            }
        }
        db = Mutex(h)
    }

    deinit { db.withLock { sqlite3_close($0) } }

    static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    static func nowMs() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    func failed(_ what: String, _ h: OpaquePointer) {
        logger.warning("SQLite cache \(what) failed; treated as a miss", metadata: ["path": "\(path)", "err": "\(String(cString: sqlite3_errmsg(h)))"])
        Counter(label: "strata_frontend_cache_errors_total", dimensions: [("backend", name)]).increment()
    }

    public func fetch(_ keys: [String]) async -> [String: [UInt8]] {
        db.withLock { handle in
            guard let h = handle else { return [:] }
            var stmt: OpaquePointer?
            guard sqlite3_prepare_v2(h, "SELECT value FROM results WHERE key = ? AND expires > ?", -1, &stmt, nil) == SQLITE_OK else {
                failed("read", h)
                return [:]
            }
            defer { sqlite3_finalize(stmt) }
            var out: [String: [UInt8]] = [:]
            let now = Self.nowMs()
            for k in keys {
                sqlite3_reset(stmt)
                sqlite3_bind_text(stmt, 1, k, -1, Self.transient)
                sqlite3_bind_int64(stmt, 2, now)
                let rc = sqlite3_step(stmt)
                if rc == SQLITE_ROW {
                    let n = Int(sqlite3_column_bytes(stmt, 0))
                    if n == 0 {
                        out[k] = []
                    } else if let p = sqlite3_column_blob(stmt, 0) {
                        out[k] = Array(UnsafeRawBufferPointer(start: p, count: n))
                    }
                } else if rc != SQLITE_DONE {
                    failed("read", h)
                    return out
                }
            }
            return out
        }
    }

    public func store(_ items: [String: [UInt8]], ttl: Duration) async {
        db.withLock { handle in
            guard let h = handle else { return }
            let now = Self.nowMs()
            let expires = now + ttl.components.seconds * 1000 + ttl.components.attoseconds / 1_000_000_000_000_000
            sqlite3_exec(h, "BEGIN", nil, nil, nil)
            var stmt: OpaquePointer?
            guard sqlite3_prepare_v2(h, "INSERT OR REPLACE INTO results (key, value, expires, stored) VALUES (?, ?, ?, ?)", -1, &stmt, nil) == SQLITE_OK else {
                failed("write", h)
                sqlite3_exec(h, "ROLLBACK", nil, nil, nil)
                return
            }
            for (k, v) in items {
                sqlite3_reset(stmt)
                sqlite3_bind_text(stmt, 1, k, -1, Self.transient)
                _ = v.withUnsafeBytes { sqlite3_bind_blob(stmt, 2, $0.baseAddress, Int32($0.count), Self.transient) }
                sqlite3_bind_int64(stmt, 3, expires)
                sqlite3_bind_int64(stmt, 4, now)
                if sqlite3_step(stmt) != SQLITE_DONE {
                    failed("write", h)
                    break
                }
            }
            sqlite3_finalize(stmt)
            sqlite3_exec(h, "DELETE FROM results WHERE expires <= \(now)", nil, nil, nil)
            // Over the size bound: drop the oldest tenth of the rows until under it.
            if maxBytes > 0 {
                for _ in 0..<10 {
                    guard let used = scalar(h, "SELECT COALESCE(SUM(LENGTH(value) + LENGTH(key)), 0) FROM results"), used > Int64(maxBytes) else { break }
                    sqlite3_exec(h, "DELETE FROM results WHERE key IN (SELECT key FROM results ORDER BY stored LIMIT MAX(1, (SELECT COUNT(*) FROM results) / 10))", nil, nil, nil)
                }
            }
            sqlite3_exec(h, "COMMIT", nil, nil, nil)
        }
    }

    func scalar(_ h: OpaquePointer, _ sql: String) -> Int64? {
        var stmt: OpaquePointer?
        guard sqlite3_prepare_v2(h, sql, -1, &stmt, nil) == SQLITE_OK else { return nil }
        defer { sqlite3_finalize(stmt) }
        return sqlite3_step(stmt) == SQLITE_ROW ? sqlite3_column_int64(stmt, 0) : nil
    }
}

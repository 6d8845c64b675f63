import StrataObjStore
import Synchronization

/// A bucket whose connection dies after `allowedPuts` writes, like an uploader killed
/// mid-upload: every later write fails.
public final class DyingBucket: Bucket {
    let base: any Bucket
    let allowedPuts: Int
    let puts = Mutex(0)
    public struct Died: Error {}
    public init(base: any Bucket, allowedPuts: Int) {
        self.base = base
        self.allowedPuts = allowedPuts
    }
    public var kind: String { base.kind }
    public func get(_ key: String) async throws -> ObjectStream { try await base.get(key) }
    public func getRange(_ key: String, offset: Int64, length: Int64) async throws -> ObjectStream {
        try await base.getRange(key, offset: offset, length: length)
    }
    public func put(_ key: String, body: PutBody) async throws {
        let n = puts.withLock { $0 += 1; return $0 }
        if n > allowedPuts { throw Died() }
        try await base.put(key, body: body)
    }
    public func putIfAbsent(_ key: String, body: PutBody) async throws -> Bool { try await base.putIfAbsent(key, body: body) }
    public func delete(_ key: String) async throws { try await base.delete(key) }
    public func exists(_ key: String) async throws -> Bool { try await base.exists(key) }
    public func attributes(_ key: String) async throws -> ObjectAttributes { try await base.attributes(key) }
    public func iterate(prefix: String, recursive: Bool, _ body: (String) async throws -> Bool) async throws {
        try await base.iterate(prefix: prefix, recursive: recursive, body)
    }
}


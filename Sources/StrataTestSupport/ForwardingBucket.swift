import StrataObjStore

/// A bucket that forwards every call to `base`; tests subclass it to break one operation
/// (lose an answer, ignore a condition) without restating the whole protocol.
open class ForwardingBucket: Bucket, @unchecked Sendable {
    // Immutable after init; subclasses keep their own state behind a Mutex.
    public let base: any Bucket
    public init(base: any Bucket) { self.base = base }
    open var kind: String { base.kind }
    open var location: String { base.location }
    open func get(_ key: String) async throws -> ObjectStream { try await base.get(key) }
    open func getRange(_ key: String, offset: Int64, length: Int64) async throws -> ObjectStream {
        try await base.getRange(key, offset: offset, length: length)
    }
    open func put(_ key: String, body: PutBody) async throws { try await base.put(key, body: body) }
    open func putIfAbsent(_ key: String, body: PutBody) async throws -> Bool { try await base.putIfAbsent(key, body: body) }
    open func getVersioned(_ key: String) async throws -> VersionedObject { try await base.getVersioned(key) }
    open func putIfMatch(_ key: String, body: [UInt8], etag: String) async throws -> Bool {
        try await base.putIfMatch(key, body: body, etag: etag)
    }
    open func delete(_ key: String) async throws { try await base.delete(key) }
    open func exists(_ key: String) async throws -> Bool { try await base.exists(key) }
    open func attributes(_ key: String) async throws -> ObjectAttributes { try await base.attributes(key) }
    open func iterate(prefix: String, recursive: Bool, _ body: (String) async throws -> Bool) async throws {
        try await base.iterate(prefix: prefix, recursive: recursive, body)
    }
    open func close() async throws { try await base.close() }
}

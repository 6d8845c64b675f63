/// Thanos `prefix:`: every key becomes `<prefix>/<key>`, so several tenants or
/// environments can share one bucket. Listings strip the prefix again.
public struct PrefixedBucket: Bucket {
    public let base: any Bucket
    /// Without leading or trailing `/`; never empty.
    public let prefix: String

    public var kind: String { base.kind }
    public var location: String { "\(base.location), prefix \(prefix)/" }

    /// Returns `base` itself when `prefix` is empty or only slashes.
    public static func wrap(_ base: any Bucket, prefix: String) -> any Bucket {
        let p = prefix.split(separator: "/", omittingEmptySubsequences: true).joined(separator: "/")
        return p.isEmpty ? base : PrefixedBucket(base: base, prefix: p)
    }

    init(base: any Bucket, prefix: String) {
        self.base = base
        self.prefix = prefix
    }

    func full(_ key: String) throws -> String {
        try ObjectKey.validate(key)
        return prefix + "/" + key
    }

    public func get(_ key: String) async throws -> ObjectStream {
        try await base.get(full(key))
    }

    public func getRange(_ key: String, offset: Int64, length: Int64) async throws -> ObjectStream {
        try await base.getRange(full(key), offset: offset, length: length)
    }

    public func put(_ key: String, body: PutBody) async throws {
        try await base.put(full(key), body: body)
    }

    public func putIfAbsent(_ key: String, body: PutBody) async throws -> Bool {
        try await base.putIfAbsent(full(key), body: body)
    }

    public func getVersioned(_ key: String) async throws -> VersionedObject {
        try await base.getVersioned(full(key))
    }

    public func putIfMatch(_ key: String, body: [UInt8], etag: String) async throws -> Bool {
        try await base.putIfMatch(full(key), body: body, etag: etag)
    }

    public func delete(_ key: String) async throws {
        try await base.delete(full(key))
    }

    public func exists(_ key: String) async throws -> Bool {
        try await base.exists(full(key))
    }

    public func attributes(_ key: String) async throws -> ObjectAttributes {
        try await base.attributes(full(key))
    }

    public func iterate(prefix dir: String, recursive: Bool, _ body: (String) async throws -> Bool) async throws {
        try ObjectKey.validatePrefix(dir)
        let strip = prefix.count + 1
        try await base.iterate(prefix: prefix + "/" + ObjectKey.directoryPrefix(dir), recursive: recursive) { name in
            try await body(String(name.dropFirst(strip)))
        }
    }

    public func close() async throws {
        try await base.close()
    }
}

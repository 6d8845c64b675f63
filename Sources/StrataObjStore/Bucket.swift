import Foundation

/// Size and modification time of an object (`HEAD` on S3, `stat` on a filesystem).
public struct ObjectAttributes: Sendable, Equatable {
    public var size: Int64
    public var lastModified: Date
    /// The version tag `putIfMatch` compares against, when the backend knows it without
    /// reading the object (S3 `HEAD`). nil on the filesystem bucket, whose ETag is a hash of
    /// the content: use `getVersioned` there.
    public var etag: String?

    public init(size: Int64, lastModified: Date, etag: String? = nil) {
        self.size = size
        self.lastModified = lastModified
        self.etag = etag
    }
}

/// A whole (small) object and the ETag of exactly that version, for read-modify-write
/// with `putIfMatch`.
public struct VersionedObject: Sendable, Equatable {
    public var bytes: [UInt8]
    /// Opaque; compare only for equality. S3's own ETag (a quoted MD5 for single-part
    /// uploads); on the filesystem bucket the quoted MD5 of the content, the same value.
    public var etag: String

    public init(bytes: [UInt8], etag: String) {
        self.bytes = bytes
        self.etag = etag
    }
}

/// The body of a `put`: bytes in memory or a local file streamed from disk.
///
/// A file body is re-openable, which is what makes retries and parallel multipart parts
/// possible without ever holding the file in memory.
public enum PutBody: Sendable {
    case bytes([UInt8])
    case file(path: String)
}

/// Object storage as Thanos uses it: flat keys with `/` as the only hierarchy.
///
/// Keys are relative (`01H.../meta.json`), never start with `/`, never contain `..`.
/// Directory-like entries returned by `list` end with `/`, like Thanos `Iter`.
/// Every method throws `BucketError`; `.notFound` for a missing object.
public protocol Bucket: Sendable {
    /// A short name for logs and metrics labels (`FILESYSTEM`, `S3`).
    var kind: String { get }

    /// Which bucket this is, for messages an operator acts on: `S3 bucket "b" at host:port`,
    /// `filesystem bucket /dir`. Wrappers forward it; `kind` by default.
    var location: String { get }

    /// Streams the object. Not-found is thrown by this call, before any chunk is read,
    /// so callers can branch on it early (like minio opening the request on `Get`).
    func get(_ key: String) async throws -> ObjectStream

    /// Streams `length` bytes starting at `offset`; `length == -1` reads to the end.
    /// A range running past the end is truncated; an offset past the end throws `.invalidRange`.
    func getRange(_ key: String, offset: Int64, length: Int64) async throws -> ObjectStream

    /// Creates or replaces the object.
    func put(_ key: String, body: PutBody) async throws

    /// Creates the object only if it does not exist; returns false when it already exists.
    /// Used for locks (the compactor's), so it is atomic on every implementation.
    func putIfAbsent(_ key: String, body: PutBody) async throws -> Bool

    /// Reads a whole small object together with its ETag, both of one version.
    func getVersioned(_ key: String) async throws -> VersionedObject

    /// Replaces the object only if its current ETag is `etag` (compare-and-swap; S3
    /// `If-Match`). Returns false when the object changed or is gone. Throws
    /// `.unsupported` when the store refuses conditional writes. Like `putIfAbsent`, a
    /// retried request whose first attempt landed answers false: callers that must know
    /// put something unique in the body and read it back.
    func putIfMatch(_ key: String, body: [UInt8], etag: String) async throws -> Bool

    /// Deletes the object. Deleting a missing object is not an error on S3; the filesystem
    /// bucket reports `.notFound` like Thanos does, so callers that don't care use `deleteIfExists`.
    func delete(_ key: String) async throws

    /// True if the object exists (false for directory-like prefixes).
    func exists(_ key: String) async throws -> Bool

    /// Size and last-modified time; `.notFound` if missing.
    func attributes(_ key: String) async throws -> ObjectAttributes

    /// Lists names under `prefix` (a "directory"; a trailing `/` is implied).
    /// Non-recursive: objects and sub-directories one level down, directories ending in `/`.
    /// Recursive: every object below, no directories. Sorted ascending by UTF-8 bytes.
    /// `body` is called once per name; returning false stops the iteration early.
    func iterate(prefix: String, recursive: Bool, _ body: (String) async throws -> Bool) async throws

    /// Releases connections and other resources; the bucket must not be used afterwards.
    func close() async throws
}

extension Bucket {
    public var location: String { kind }

    /// Nothing to release by default (the filesystem bucket holds no open resources).
    public func close() async throws {}

    /// Reads a whole (small) object into memory.
    public func getBytes(_ key: String) async throws -> [UInt8] {
        try await get(key).collect()
    }

    public func put(_ key: String, bytes: [UInt8]) async throws {
        try await put(key, body: .bytes(bytes))
    }

    public func put(_ key: String, file path: String) async throws {
        try await put(key, body: .file(path: path))
    }

    /// Deletes, treating "already gone" as success (what cleanup loops want).
    public func deleteIfExists(_ key: String) async throws {
        do { try await delete(key) } catch let e as BucketError where e.isNotFound {}
    }

    /// All names under `prefix` (see `iterate`). Convenient for small listings.
    public func list(prefix: String = "", recursive: Bool = false) async throws -> [String] {
        var names: [String] = []
        try await iterate(prefix: prefix, recursive: recursive) { names.append($0); return true }
        return names
    }
}

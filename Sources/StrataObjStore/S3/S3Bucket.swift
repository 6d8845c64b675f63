import AsyncHTTPClient
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOCore
import NIOHTTP1

/// Thanos `type: S3` over AsyncHTTPClient with SigV4, written against the S3 REST API
/// directly (spec/object-storage.md).
///
/// Every request is retried with backoff (see `RetryPolicy`); downloads resume from the last
/// byte delivered if the connection drops mid-body; uploads stream from files and switch to
/// parallel multipart above `partSize`, so memory use does not grow with object size.
/// Call `close()` before dropping the bucket: it owns an HTTP client.
public final class S3Bucket: Bucket {
    public let kind = "S3"
    public var location: String { "S3 bucket \"\(config.bucket)\" at \(config.endpoint)" }
    public let config: S3Config
    let retry: RetryPolicy
    let logger: Logger
    let client: HTTPClient
    let signer: SigV4Signer
    let tls: Bool
    /// `host[:port]` requests go to (bucket-qualified when virtual-hosted); signed as `Host`.
    let host: String
    /// The host of request URLs: `host`, or with `tls_config.server_name` that name, which the
    /// client then connects to `host`'s address for (AsyncHTTPClient's DNS override), so the
    /// certificate is checked against the server name while `Host` stays the endpoint's.
    let urlHost: String
    /// Path prefix of every request: `/<bucket>` for path style, empty for virtual-hosted.
    let basePath: String
    /// Multipart parts uploaded at once (minio uses 4).
    let partConcurrency: Int
    /// Told about every attempt's outcome (services' readiness and reachability gauge).
    let health: ObjectStoreHealth?

    public init(config: S3Config, retry: RetryPolicy = .default, partConcurrency: Int = 4,
                logger: Logger = Logger(label: "objstore.s3"), health: ObjectStoreHealth? = nil) throws {
        guard !config.bucket.isEmpty else { throw BucketError.configuration("S3: bucket is required") }
        guard !config.endpoint.isEmpty else { throw BucketError.configuration("S3: endpoint is required") }
        guard config.partSize >= S3Config.minPartSize else {
            throw BucketError.configuration("S3: part_size must be at least 5 MiB")
        }
        self.config = config
        self.retry = retry
        self.logger = logger
        self.health = health
        self.partConcurrency = max(1, partConcurrency)
        self.tls = !config.insecure
        if config.usesVirtualHost {
            host = config.bucket + "." + config.endpoint
            basePath = ""
        } else {
            host = config.endpoint
            basePath = "/" + SigV4Signer.uriEncode(config.bucket)
        }
        signer = SigV4Signer(
            credentials: .init(accessKey: config.accessKey, secretKey: config.secretKey, sessionToken: config.sessionToken),
            region: config.region)
        var hc = HTTPClient.Configuration()
        if tls {
            do { hc.tlsConfiguration = try config.tls.tlsConfiguration() } catch {
                throw BucketError.configuration("S3: http_config.tls_config: \(error)")
            }
        }
        if let name = config.tls.serverName, tls {
            let hostOnly = host.split(separator: ":").first.map(String.init) ?? host
            let port = host.split(separator: ":").dropFirst().first.map { ":" + $0 } ?? ""
            hc.dnsOverride = [name: hostOnly]
            urlHost = name + port
        } else {
            urlHost = host
        }
        hc.timeout = .init(connect: .milliseconds(config.connectTimeoutMs), read: .milliseconds(config.responseHeaderTimeoutMs))
        hc.connectionPool = .init(idleTimeout: .milliseconds(config.idleConnTimeoutMs),
                                  concurrentHTTP1ConnectionsPerHostSoftLimit: max(1, config.maxIdleConnsPerHost))
        // Without this the pool re-dials a refused endpoint until the request deadline.
        hc.connectionPool.retryConnectionEstablishment = !retry.giveUpWhenUnreachable
        hc.redirectConfiguration = .disallow
        hc.decompression = .disabled
        client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: hc)
    }

    /// Shuts the HTTP client down; the bucket must not be used afterwards.
    public func close() async throws {
        try await client.shutdown()
    }

    // MARK: - Bucket

    public func get(_ key: String) async throws -> ObjectStream {
        try await getRange(key, offset: 0, length: -1)
    }

    public func getRange(_ key: String, offset: Int64, length: Int64) async throws -> ObjectStream {
        try ObjectKey.validate(key)
        guard offset >= 0, length >= -1 else { throw BucketError.invalidRange(key: key, offset: offset, length: length) }
        if length == 0 {
            // S3 has no empty range; check existence and return nothing.
            _ = try await attributes(key)
            return .bytes([])
        }
        let end: Int64? = length < 0 ? nil : offset + length
        let download = S3Download(bucket: self, key: key, start: offset, end: end)
        try await download.open()
        let first = FirstUse(download)
        let bucket = self
        return ObjectStream {
            first.take() ?? S3Download(bucket: bucket, key: key, start: offset, end: end)
        }
    }

    public func put(_ key: String, body: PutBody) async throws {
        try ObjectKey.validate(key)
        let size = try Self.size(of: body)
        if size >= config.partSize {
            try await multipartUpload(key: key, body: body, size: size)
            return
        }
        _ = try await send("upload", key: key,
                           S3Request(method: "PUT", key: key, headers: writeHeaders(), body: Self.requestBody(body, offset: 0, length: size)),
                           accept: [200])
    }

    /// `PUT` with `If-None-Match: *`. If a first attempt succeeded but its answer was lost,
    /// the retry sees 412 and this returns false: callers that need to know use the
    /// object's content (an owner id) to tell "mine" from "someone else's".
    public func putIfAbsent(_ key: String, body: PutBody) async throws -> Bool {
        try await conditionalPut(key, body: body, condition: ("if-none-match", "*"))
    }

    /// `GET` of the whole object, keeping the answer's `ETag`.
    public func getVersioned(_ key: String) async throws -> VersionedObject {
        try ObjectKey.validate(key)
        let r = try await send("get", key: key, S3Request(method: "GET", key: key), accept: [200])
        guard let etag = r.headers.first(name: "etag"), !etag.isEmpty else {
            throw BucketError.http(operation: "get", key: key, status: 200, code: "", message: "no ETag in GET answer")
        }
        return VersionedObject(bytes: r.body, etag: etag)
    }

    /// `PUT` with `If-Match: <etag>` (AWS S3 since November 2024). 412, and 404 for an object
    /// that is gone, answer false; a store that does not implement it answers
    /// 501 NotImplemented, thrown as `.unsupported`. A store that ignores the header writes
    /// unconditionally: nothing here can tell, so lock users probe for it first.
    public func putIfMatch(_ key: String, body: [UInt8], etag: String) async throws -> Bool {
        try await conditionalPut(key, body: .bytes(body), condition: ("if-match", etag))
    }

    /// One conditional single PUT (conditional writes are not offered for multipart here:
    /// locks and markers are small); an object larger than 5 GiB is refused.
    private func conditionalPut(_ key: String, body: PutBody, condition: (String, String)) async throws -> Bool {
        try ObjectKey.validate(key)
        let size = try Self.size(of: body)
        guard size <= 5 << 30 else {
            throw BucketError.configuration("S3: conditional uploads are limited to 5 GiB (single PUT)")
        }
        var headers = writeHeaders()
        headers.append(condition)
        do {
            _ = try await send("upload", key: key,
                               S3Request(method: "PUT", key: key, headers: headers, body: Self.requestBody(body, offset: 0, length: size)),
                               accept: [200])
            return true
        } catch BucketError.preconditionFailed {
            return false
        } catch BucketError.notFound where condition.0 == "if-match" {
            return false
        }
    }

    public func delete(_ key: String) async throws {
        try ObjectKey.validate(key)
        _ = try await send("delete", key: key, S3Request(method: "DELETE", key: key), accept: [200, 204])
    }

    public func exists(_ key: String) async throws -> Bool {
        do {
            _ = try await attributes(key)
            return true
        } catch BucketError.notFound {
            return false
        }
    }

    public func attributes(_ key: String) async throws -> ObjectAttributes {
        try ObjectKey.validate(key)
        let r = try await send("attributes", key: key, S3Request(method: "HEAD", key: key), accept: [200])
        guard let len = r.headers.first(name: "content-length").flatMap({ Int64($0) }) else {
            throw BucketError.http(operation: "attributes", key: key, status: 200, code: "", message: "no Content-Length in HEAD answer")
        }
        let modified = r.headers.first(name: "last-modified").flatMap(HTTPDate.parse) ?? Date(timeIntervalSince1970: 0)
        return ObjectAttributes(size: len, lastModified: modified, etag: r.headers.first(name: "etag"))
    }

    public func iterate(prefix: String, recursive: Bool, _ body: (String) async throws -> Bool) async throws {
        try ObjectKey.validatePrefix(prefix)
        let dir = ObjectKey.directoryPrefix(prefix)
        var token: String?
        while true {
            var q: [(String, String)] = [("list-type", "2"), ("encoding-type", "url"), ("max-keys", "1000")]
            if !dir.isEmpty { q.append(("prefix", dir)) }
            if !recursive { q.append(("delimiter", "/")) }
            if let token { q.append(("continuation-token", token)) }
            let r = try await send("iter", key: dir, S3Request(method: "GET", key: nil, query: q), accept: [200])
            let page = try ListPage.parse(String(decoding: r.body, as: UTF8.self))
            for name in page.names where !name.isEmpty && name != dir {
                if try await !body(name) { return }
            }
            guard page.isTruncated else { return }
            guard let next = page.nextToken, !next.isEmpty else {
                throw BucketError.http(operation: "iter", key: dir, status: 200, code: "",
                                       message: "listing truncated without NextContinuationToken")
            }
            token = next
        }
    }

    // MARK: - Helpers

    static func size(of body: PutBody) throws -> Int64 {
        switch body {
        case .bytes(let b): return Int64(b.count)
        case .file(let path):
            guard let fd = try Posix.openForReading(path) else {
                throw BucketError.io(operation: "open", path: path, message: "no such regular file")
            }
            defer { _ = Glibc.close(fd) }
            return try Posix.size(fd: fd, path: path)
        }
    }

    static func requestBody(_ body: PutBody, offset: Int64, length: Int64) -> RequestBody {
        switch body {
        case .bytes(let b): return .bytes(b[Int(offset)..<Int(offset + length)])
        case .file(let path): return .file(path: path, offset: offset, length: length)
        }
    }

    /// Headers for object creation: content type, user metadata, storage class, SSE.
    func writeHeaders() -> [(String, String)] {
        var h: [(String, String)] = [("content-type", "application/octet-stream")]
        for (k, v) in config.putUserMetadata.sorted(by: { $0.key < $1.key }) {
            if k.lowercased() == "x-amz-storage-class" {
                h.append(("x-amz-storage-class", v))
            } else {
                h.append(("x-amz-meta-" + k.lowercased(), v))
            }
        }
        switch config.sseType {
        case "SSE-S3":
            h.append(("x-amz-server-side-encryption", "AES256"))
        case "SSE-KMS":
            h.append(("x-amz-server-side-encryption", "aws:kms"))
            h.append(("x-amz-server-side-encryption-aws-kms-key-id", config.sseKMSKeyID))
            if !config.sseKMSContext.isEmpty,
               let json = try? JSONSerialization.data(withJSONObject: config.sseKMSContext, options: [.sortedKeys]) {
                h.append(("x-amz-server-side-encryption-context", json.base64EncodedString()))
            }
        default: break
        }
        return h
    }
}

/// Hands the already-opened first download to the first iterator only; later iterators
/// start their own request. Keeps "not found" an error of `get` itself.
final class FirstUse: @unchecked Sendable {
    // Guarded by `lock`; the value is moved out exactly once.
    private let lock = NSLock()
    private var value: S3Download?

    init(_ value: S3Download) { self.value = value }

    func take() -> S3Download? {
        lock.lock()
        defer { lock.unlock() }
        let v = value
        value = nil
        return v
    }
}

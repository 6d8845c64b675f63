import AsyncHTTPClient
import NIOCore

/// One streaming GET that survives dropped connections: if the body breaks off, it asks
/// again for the rest (`Range: bytes=<next>-`) with `If-Match: <etag>`, so the bytes
/// delivered are one version of the object even across reconnects.
final class S3Download: ChunkSource {
    private let bucket: S3Bucket
    private let key: String
    /// Next byte to deliver, absolute in the object.
    private var position: Int64
    /// Exclusive end requested, or nil for "to the end of the object".
    private var end: Int64?
    private var etag: String?
    private var iterator: HTTPClientResponse.Body.AsyncIterator?
    /// Bytes the current response still owes (from Content-Length), to detect truncation.
    private var owed: Int64 = 0
    private var resumes = 0
    /// Set when the server refused a range whose end lies past the object (S3 truncates it,
    /// some S3-compatible servers answer 416): ask open-ended and stop at `end` ourselves.
    private var openEnded = false
    private let requested: (offset: Int64, length: Int64)

    init(bucket: S3Bucket, key: String, start: Int64, end: Int64?) {
        self.bucket = bucket
        self.key = key
        self.position = start
        self.end = end
        self.requested = (start, end.map { $0 - start } ?? -1)
    }

    /// Issues the request for the remaining range; throws not-found / invalid-range here.
    func open() async throws {
        do {
            try await request()
        } catch BucketError.invalidRange where end != nil && !openEnded {
            openEnded = true
            try await open()
        } catch BucketError.invalidRange {
            throw BucketError.invalidRange(key: key, offset: requested.offset, length: requested.length)
        } catch BucketError.preconditionFailed {
            throw BucketError.http(operation: "get", key: key, status: 412, code: "PreconditionFailed",
                                   message: "object changed while it was being read (ETag mismatch on resume)")
        }
    }

    private func request() async throws {
        var headers: [(String, String)] = []
        if let end, !openEnded {
            headers.append(("range", "bytes=\(position)-\(end - 1)"))
        } else if position > 0 {
            headers.append(("range", "bytes=\(position)-"))
        }
        if let etag { headers.append(("if-match", etag)) }
        let r = try await bucket.sendStreaming("get", key: key, S3Request(method: "GET", key: key, headers: headers),
                                               accept: [200, 206])
        if etag == nil { etag = r.headers.first(name: "etag") }
        owed = r.headers.first(name: "content-length").flatMap { Int64($0) } ?? -1
        if r.status.code == 200 && position > 0 {
            // The server ignored the Range (should not happen on S3): refuse rather than
            // deliver the wrong bytes.
            throw BucketError.http(operation: "get", key: key, status: 200, code: "",
                                   message: "server ignored the Range header")
        }
        // Never expect more than the object holds: S3 truncates a range running past the
        // end, and the total in Content-Range (or a 200's length) says where that is.
        if let total = Self.totalSize(r.headers.first(name: "content-range")) {
            end = min(end ?? total, total)
        } else if owed >= 0 {
            end = min(end ?? (position + owed), position + owed)
        }
        iterator = r.body.makeAsyncIterator()
    }

    func nextChunk() async throws -> [UInt8]? {
        while true {
            if let end, position >= end { iterator = nil; return nil }
            if iterator == nil {
                try await open()
                continue
            }
            do {
                if let buf = try await iterator!.next() {
                    var bytes = Array(buf.readableBytesView)
                    if owed > 0 { owed -= Int64(bytes.count) }
                    if let end, position + Int64(bytes.count) > end {
                        bytes.removeLast(Int(position + Int64(bytes.count) - end))
                    }
                    position += Int64(bytes.count)
                    return bytes
                }
                // Clean end of body: done unless the server delivered less than promised.
                if owed <= 0 && (end == nil || position >= end!) { iterator = nil; return nil }
                throw BucketError.transport(operation: "get", key: key, message: "response body ended early")
            } catch let e as BucketError where !Self.isResumable(e) {
                throw e
            } catch {
                if Task.isCancelled { throw CancellationError() }
                iterator = nil
                resumes += 1
                if resumes >= bucket.retry.maxAttempts {
                    throw BucketError.transport(operation: "get", key: key, message: "download interrupted \(resumes) times: \(error)")
                }
                bucket.logger.debug("resuming interrupted download",
                                    metadata: ["key": "\(key)", "offset": "\(position)", "err": "\(error)"])
                try await bucket.retry.sleep(afterAttempt: resumes - 1)
            }
        }
    }

    private static func isResumable(_ e: BucketError) -> Bool {
        if case .transport = e { return true }
        return false
    }

    /// The total from `Content-Range: bytes a-b/total`.
    static func totalSize(_ header: String?) -> Int64? {
        guard let h = header, let slash = h.lastIndex(of: "/") else { return nil }
        return Int64(h[h.index(after: slash)...])
    }
}

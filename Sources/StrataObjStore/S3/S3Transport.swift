import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// Signing, sending and retrying: the one place S3 requests go through.
extension S3Bucket {
    /// A completed small exchange: status, headers and the whole (bounded) body.
    struct Answer: Sendable {
        var status: Int
        var headers: HTTPHeaders
        var body: [UInt8]
    }

    /// Bodies of non-streaming answers (listings, errors, multipart XML) are small;
    /// a larger one means something is wrong.
    static let maxCollectedBody = 32 << 20

    /// Sends `request`, collecting the body, retrying per `retry`. Failures while reading
    /// the body (dropped connection) are retried too.
    func send(_ op: String, key: String, _ request: S3Request, accept: Set<Int>) async throws -> Answer {
        let payloadHash = try request.body.payloadHash(tls: tls)
        return try await withRetries(op, key: key) {
            let response = try await self.attempt(op, key: key, request, payloadHash: payloadHash, accept: accept)
            let body: ByteBuffer
            do {
                body = try await response.body.collect(upTo: Self.maxCollectedBody)
            } catch {
                throw transportError(op, key, error)
            }
            let bytes = Array(body.readableBytesView)
            // S3 may answer 200 with an <Error> body (CompleteMultipartUpload).
            if request.method == "POST", let e = S3XML.error(String(decoding: bytes, as: UTF8.self)) {
                let err = BucketError.http(operation: op, key: key, status: Int(response.status.code),
                                           code: e.code, message: e.message)
                if ["InternalError", "ServiceUnavailable", "SlowDown"].contains(e.code) {
                    throw RetryableError(underlying: err)
                }
                throw err
            }
            return Answer(status: Int(response.status.code), headers: response.headers, body: bytes)
        }
    }

    /// Sends `request` and returns the response with its body unread (downloads).
    func sendStreaming(_ op: String, key: String, _ request: S3Request, accept: Set<Int>) async throws -> HTTPClientResponse {
        let payloadHash = try request.body.payloadHash(tls: tls)
        return try await withRetries(op, key: key) {
            try await self.attempt(op, key: key, request, payloadHash: payloadHash, accept: accept)
        }
    }

    /// Runs `body` until it succeeds, throws a non-retryable error, or attempts run out.
    /// `body` signals "try again" by throwing `RetryableError`.
    func withRetries<T>(_ op: String, key: String, _ body: () async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            do {
                return try await body()
            } catch let e as RetryableError {
                if Task.isCancelled { throw CancellationError() }
                attempt += 1
                if attempt >= retry.maxAttempts { throw e.underlying }
                if case .unreachable = e.underlying, retry.giveUpWhenUnreachable { throw e.underlying }
                // At warn: a service retrying quietly for minutes looks exactly like a hang.
                logger.warning("object storage request failed; retrying",
                               metadata: ["endpoint": "\(config.endpoint)", "bucket": "\(config.bucket)", "operation": "\(op)",
                                          "key": "\(key)", "attempt": "\(attempt)/\(retry.maxAttempts)", "err": "\(e.underlying)"])
                try await retry.sleep(afterAttempt: attempt - 1)
            }
        }
    }

    /// One signed request. Throws `RetryableError` for failures worth another attempt,
    /// a plain `BucketError` for the rest.
    func attempt(_ op: String, key: String, _ request: S3Request, payloadHash: String,
                 accept: Set<Int>) async throws -> HTTPClientResponse {
        let http = makeHTTPRequest(request, payloadHash: payloadHash)
        let response: HTTPClientResponse
        do {
            response = try await client.execute(http, deadline: .now() + deadline(forBody: request.body.length))
        } catch let e as BucketError {
            throw e  // the body source failed (local file changed): not retryable
        } catch {
            if Task.isCancelled { throw CancellationError() }
            let e = transportError(op, key, error)
            if case .unreachable(_, _, _, let cause) = e.underlying {
                health?.failed(cause: cause, certain: true)
            } else {
                health?.failed(cause: "\(op): \(error)", certain: false)
            }
            throw e
        }
        health?.answered()
        let status = Int(response.status.code)
        if accept.contains(status) { return response }

        var text = ""
        if request.method != "HEAD" {
            if let b = try? await response.body.collect(upTo: 1 << 20) { text = String(buffer: b) }
        }
        let parsed = S3XML.error(text)
        let code = parsed?.code ?? Self.fallbackCode(status: status, hasKey: request.key != nil)
        let message = parsed?.message ?? ""
        if status == 404 && code == "NoSuchKey", let k = request.key {
            throw BucketError.notFound(k)
        }
        if status == 412 { throw BucketError.preconditionFailed(key) }
        // Not a passing server error: retrying cannot make the store implement it.
        if status == 501 { throw BucketError.unsupported(operation: op, key: key, message: message.isEmpty ? code : "\(code): \(message)") }
        let err = BucketError.http(operation: op, key: key, status: status, code: code, message: message)
        if RetryPolicy.isRetryable(status: status, code: code) { throw RetryableError(underlying: err) }
        if status == 416 {
            throw BucketError.invalidRange(key: key, offset: -1, length: -1)
        }
        throw err
    }

    /// Time allowed until the response head arrives: the configured response-header timeout
    /// plus time to send the body at a pessimistic 512 KiB/s, so a 64 MiB part on a slow
    /// link is not cut off by a limit meant for waiting on the server.
    func deadline(forBody length: Int64) -> TimeAmount {
        .milliseconds(config.responseHeaderTimeoutMs + length * 1000 / (512 << 10))
    }

    /// A request that got no answer: `.unreachable` (naming endpoint and bucket) when
    /// nothing listens at the endpoint or its name does not resolve, `.transport` otherwise.
    func transportError(_ op: String, _ key: String, _ error: Error) -> RetryableError {
        if let cause = Reachability.unreachableCause(error) {
            return RetryableError(underlying: .unreachable(endpoint: config.endpoint, bucket: config.bucket, operation: op, cause: cause))
        }
        return RetryableError(underlying: .transport(operation: op, key: key, message: "\(error)"))
    }

    /// Codes for answers without a parseable body (HEAD, proxies), as minio maps them.
    static func fallbackCode(status: Int, hasKey: Bool) -> String {
        switch status {
        case 404: return hasKey ? "NoSuchKey" : "NoSuchBucket"
        case 403: return "AccessDenied"
        case 409: return "Conflict"
        case 412: return "PreconditionFailed"
        case 416: return "InvalidRange"
        default: return "HTTP\(status)"
        }
    }

    /// Builds the HTTP request and signs it with the current time.
    func makeHTTPRequest(_ r: S3Request, payloadHash: String) -> HTTPClientRequest {
        var path = basePath + "/"
        if let key = r.key { path += SigV4Signer.uriEncode(key, keepSlash: true) }
        let query = SigV4Signer.canonicalQuery(r.query)
        var headers: [(String, String)] = [("host", host)]
        headers.append(contentsOf: r.headers)
        let signed = signer.sign(method: r.method, canonicalURI: path, query: r.query, headers: headers,
                                 payloadHash: payloadHash, date: Date())
        var req = HTTPClientRequest(url: (tls ? "https://" : "http://") + urlHost + path + (query.isEmpty ? "" : "?" + query))
        req.method = HTTPMethod(rawValue: r.method)
        for (n, v) in headers { req.headers.add(name: n, value: v) }
        for (n, v) in signed.headers { req.headers.add(name: n, value: v) }
        switch r.body {
        case .empty:
            if r.method == "PUT" || r.method == "POST" { req.headers.add(name: "content-length", value: "0") }
        case .bytes(let b):
            req.body = .bytes(b)
        case .file(let path, let offset, let length):
            req.body = .stream(FileRangeSequence(path: path, offset: offset, length: length), length: .known(length))
        }
        return req
    }
}

/// Marks a failure that another attempt may fix.
struct RetryableError: Error {
    let underlying: BucketError
}

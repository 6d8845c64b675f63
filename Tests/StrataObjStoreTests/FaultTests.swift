import Foundation
import StrataTestSupport
import NIOHTTP1
import Testing
@testable import StrataObjStore

/// Uploads and downloads through a proxy that fails a share of requests must still
/// complete; answers that retrying cannot fix must not be retried.
@Suite("S3 faults")
struct FaultTests {
    static let quickRetry = RetryPolicy(maxAttempts: 8, initialBackoffMs: 10, maxBackoffMs: 200)

    /// An S3 client pointed at `proxy`. The fault test uses a 2 s response timeout so that
    /// the proxy's 2.5 s answers time out; the counting tests use a long one so that a busy
    /// machine never turns a slow answer into an extra attempt.
    static func client(via proxy: FaultProxy, bucket: String, retry: RetryPolicy = quickRetry,
                       timeoutMs: Int64 = 30_000) throws -> S3Bucket {
        var c = MotoServer.config(bucket: bucket, port: proxy.port)
        c.responseHeaderTimeoutMs = timeoutMs
        return try S3Bucket(config: c, retry: retry)
    }

    @Test("uploads and downloads complete while 40% of requests fail",
          .enabled(if: MotoServer.enabled, "moto_server not installed"), .timeLimit(.minutes(3)))
    func survivesFaults() async throws {
        try await withMoto { moto in
            let setup = try await moto.makeBucket("faulty")
            try await setup.close()
            // Every 10 requests: one 500, one dropped before forwarding, one dropped mid-answer
            // (after the upstream did the work), one answered after the client's timeout.
            let proxy = try await FaultProxy.start(upstream: "127.0.0.1:\(moto.port)") { n, _ in
                switch n % 10 {
                case 2: return .error500
                case 4: return .dropBeforeForward
                case 6: return .dropMidBody
                case 8: return .slow(milliseconds: 2_500)
                default: return .none
                }
            }
            let b = try Self.client(via: proxy, bucket: "faulty", timeoutMs: 2_000)
            do {
                let dir = try TestSupport.tempDirectory("fault")
                defer { TestSupport.removeDirectory(dir) }
                let size = (12 << 20) + 12_345
                try TestSupport.writeFile(dir + "/big", size: size, seed: 3)
                let want = Array(try Data(contentsOf: URL(fileURLWithPath: dir + "/big")))

                try await b.put("blk/chunks/000001", file: dir + "/big")
                for i in 0..<10 {
                    try await b.put("blk/small\(i)", bytes: Array("object \(i)".utf8))
                }
                for _ in 0..<3 {
                    let got = try await b.getBytes("blk/chunks/000001")
                    #expect(got.count == size)
                    #expect(SigV4Signer.sha256Hex(got) == SigV4Signer.sha256Hex(want))
                }
                for i in 0..<10 {
                    #expect(try await b.getBytes("blk/small\(i)") == Array("object \(i)".utf8))
                    let off = Int64(i) * 1_000_003
                    let r = try await b.getRange("blk/chunks/000001", offset: off, length: 100_000).collect()
                    #expect(r == Array(want[Int(off)..<Int(off) + 100_000]))
                }
                #expect(try await b.attributes("blk/chunks/000001").size == Int64(size))
                #expect(try await b.list(prefix: "blk").count == 11)
                try await b.delete("blk/small0")
                #expect(try await b.exists("blk/small0") == false)
                try await b.close()
            } catch {
                try? await b.close()
                await proxy.stop()
                throw error
            }
            let stats = proxy.snapshot
            await proxy.stop()
            #expect(stats.faults.count == 4, "every fault kind was injected: \(stats.faults)")
            #expect(stats.requests > 40)
        }
    }

    /// A proxy with no upstream that answers every request with `fault`; returns the number
    /// of requests it saw while `body` ran.
    static func count(_ fault: FaultProxy.Fault, retry: RetryPolicy = quickRetry,
                      _ body: (S3Bucket) async throws -> Void) async throws -> Int {
        let proxy = try await FaultProxy.start(upstream: nil) { _, _ in fault }
        // Counting retries must not depend on machine load: a generous timeout keeps slow
        // answers (the suite runs in parallel on 2 cores) from being retried as timeouts.
        let b = try Self.client(via: proxy, bucket: "any", retry: retry, timeoutMs: 20_000)
        do {
            try await body(b)
        } catch {
            try? await b.close()
            await proxy.stop()
            throw error
        }
        try await b.close()
        let n = proxy.snapshot.requests
        await proxy.stop()
        return n
    }

    @Test("403 and 404 are never retried; 500 is, up to the limit", .timeLimit(.minutes(1)))
    func noRetryOnClientErrors() async throws {
        let denied = try await Self.count(.status(403, code: "AccessDenied")) { b in
            await #expect(throws: BucketError.http(operation: "get", key: "k", status: 403, code: "AccessDenied",
                                                   message: "injected by the test proxy")) {
                _ = try await b.get("k")
            }
            await #expect(throws: BucketError.self) { try await b.put("k", bytes: [1]) }
        }
        #expect(denied == 2)

        let missing = try await Self.count(.status(404, code: "NoSuchKey")) { (b: S3Bucket) async throws in
            await #expect(throws: BucketError.notFound("k")) { _ = try await b.get("k") }
            await #expect(throws: BucketError.notFound("k")) { _ = try await b.attributes("k") }
            #expect(try await b.exists("k") == false)
        }
        #expect(missing == 3)

        let exists = try await Self.count(.status(412, code: "PreconditionFailed")) { (b: S3Bucket) async throws in
            #expect(try await b.putIfAbsent("k", body: .bytes([1])) == false)
        }
        #expect(exists == 1)

        let policy = RetryPolicy(maxAttempts: 3, initialBackoffMs: 1, maxBackoffMs: 5)
        let failing = try await Self.count(.error500, retry: policy) { b in
            await #expect(throws: BucketError.self) { _ = try await b.get("k") }
        }
        #expect(failing == 3)

        let dropped = try await Self.count(.dropBeforeForward, retry: policy) { b in
            do {
                _ = try await b.get("k")
                Issue.record("expected a transport error")
            } catch let e as BucketError {
                guard case .transport = e else { Issue.record("expected transport, got \(e)"); return }
            }
        }
        #expect(dropped == 3)
    }

    @Test func backoffIsBoundedAndJittered() {
        let p = RetryPolicy(maxAttempts: 5, initialBackoffMs: 100, maxBackoffMs: 1_000)
        for attempt in 0..<20 {
            let d = p.backoffMs(afterAttempt: attempt)
            #expect(d >= 0 && d <= min(1_000, 100 << attempt))
        }
        let samples = Set((0..<50).map { _ in p.backoffMs(afterAttempt: 3) })
        #expect(samples.count > 5)
        #expect(RetryPolicy.isRetryable(status: 503, code: "SlowDown"))
        #expect(RetryPolicy.isRetryable(status: 500, code: "InternalError"))
        #expect(!RetryPolicy.isRetryable(status: 403, code: "AccessDenied"))
        #expect(!RetryPolicy.isRetryable(status: 404, code: "NoSuchKey"))
        #expect(!RetryPolicy.isRetryable(status: 412, code: "PreconditionFailed"))
        #expect(RetryPolicy.isRetryable(status: 409, code: "ConditionalRequestConflict"))
    }
}

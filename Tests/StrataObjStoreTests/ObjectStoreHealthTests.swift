import MetricsTestKit
import Testing
@testable import StrataObjStore

/// The reachability behind `/-/ready` and `strata_objstore_reachable`: a refused connection
/// is unreachable at once, a lost answer only after three in a row, any answer heals it.
@Suite("ObjectStoreHealth")
struct ObjectStoreHealthTests {
    @Test func refusedAtOnceDroppedAfterThreeAnsweredHeals() throws {
        let metrics = TestMetrics()
        let h = ObjectStoreHealth(location: "S3 bucket \"b\" at 127.0.0.1:1", factory: metrics)
        func gauge() throws -> Double? { try metrics.expectGauge("strata_objstore_reachable").lastValue }
        #expect(h.isReachable && h.sinceLastAnswer == nil)
        #expect(try gauge() == 1)

        h.failed(cause: "get: connection closed", certain: false)
        h.failed(cause: "get: connection closed", certain: false)
        #expect(h.isReachable, "two lost answers are not an outage")
        h.answered()
        h.failed(cause: "get: connection closed", certain: false)
        h.failed(cause: "get: connection closed", certain: false)
        #expect(h.isReachable, "an answer resets the count")
        h.failed(cause: "iter: connection closed", certain: false)
        #expect(h.unreachableReason == "object storage unreachable: S3 bucket \"b\" at 127.0.0.1:1: iter: connection closed")
        #expect(try gauge() == 0)

        h.answered()
        #expect(h.isReachable && h.sinceLastAnswer != nil)
        #expect(try gauge() == 1)
        h.failed(cause: "connection refused", certain: true)
        #expect(h.unreachableReason?.hasSuffix(": connection refused") == true)
        #expect(try gauge() == 0)
    }

    /// A probe asks at once and again each interval while nothing has answered.
    @Test func probeAsksAnEmptyBucket() async throws {
        let dir = try TestSupport.tempDirectory("health")
        defer { TestSupport.removeDirectory(dir) }
        let metrics = TestMetrics()
        let h = ObjectStoreHealth(location: "fs", factory: metrics)
        let b = InstrumentedBucket(try FilesystemBucket(directory: dir), factory: metrics)
        let task = Task { await h.probe(b, every: .milliseconds(50)) }
        try await Task.sleep(for: .milliseconds(300))
        task.cancel()
        await task.value
        #expect(try metrics.expectCounter("strata_objstore_bucket_operations_total", [("operation", "exists")]).totalValue >= 2)
    }

    /// What a store gateway waits out at start-up (an outage) and what ends it (a wrong configuration).
    @Test func outagesAreToldFromMistakes() {
        #expect(BucketError.transport(operation: "iter", key: "", message: "closed").isOutage)
        #expect(BucketError.unreachable(endpoint: "e", bucket: "b", operation: "iter", cause: "connection refused").isOutage)
        #expect(BucketError.http(operation: "iter", key: "", status: 503, code: "SlowDown", message: "").isOutage)
        #expect(BucketError.http(operation: "iter", key: "", status: 429, code: "", message: "").isOutage)
        #expect(!BucketError.http(operation: "iter", key: "", status: 403, code: "AccessDenied", message: "").isOutage)
        #expect(!BucketError.http(operation: "iter", key: "", status: 404, code: "NoSuchBucket", message: "").isOutage)
        #expect(!BucketError.configuration("x").isOutage)
    }
}

import MetricsTestKit
import Testing
@testable import StrataObjStore

@Suite("InstrumentedBucket")
struct MetricsTests {
    @Test func countsOperationsFailuresAndDurations() async throws {
        let dir = try TestSupport.tempDirectory("metrics")
        defer { TestSupport.removeDirectory(dir) }
        let metrics = TestMetrics()
        let b = InstrumentedBucket(try FilesystemBucket(directory: dir), factory: metrics)

        try await b.put("a/b", bytes: [1, 2, 3])
        #expect(try await b.getBytes("a/b") == [1, 2, 3])
        await #expect(throws: BucketError.notFound("a/missing")) { _ = try await b.get("a/missing") }
        await #expect(throws: BucketError.self) { try await b.put("../x", bytes: [1]) }
        _ = try await b.list()

        func count(_ label: String, _ op: String) throws -> Int64 {
            try metrics.expectCounter(label, [("operation", op)]).totalValue
        }
        #expect(try count("strata_objstore_bucket_operations_total", "upload") == 2)
        #expect(try count("strata_objstore_bucket_operation_failures_total", "upload") == 1)
        #expect(try count("strata_objstore_bucket_operations_total", "get") == 2)
        // Not found is an answer, not a failure.
        #expect(try count("strata_objstore_bucket_operation_failures_total", "get") == 0)
        #expect(try count("strata_objstore_bucket_operations_total", "iter") == 1)
        let timer = try metrics.expectTimer("strata_objstore_bucket_operation_duration_seconds", [("operation", "upload")])
        #expect(timer.values.count == 2)
        #expect(timer.values.allSatisfy { $0 > 0 })
    }
}

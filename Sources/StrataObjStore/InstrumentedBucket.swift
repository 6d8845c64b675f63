import CoreMetrics
import Dispatch
import Metrics

/// Counts and times every bucket operation, like Thanos' `objstore_bucket_operation*`
/// metrics: `strata_objstore_bucket_operations_total{operation}`,
/// `strata_objstore_bucket_operation_failures_total{operation}` and
/// `strata_objstore_bucket_operation_duration_seconds{operation}`.
///
/// A missing object is not a failure (callers probe for optional objects all the time), and
/// for `get` the time to the first byte is measured, as reads are streamed by the caller.
public struct InstrumentedBucket: Bucket {
    public static let operations = ["get", "get_range", "upload", "upload_if_absent", "upload_if_match", "get_versioned", "delete", "exists", "attributes", "iter"]

    public let base: any Bucket
    private let counters: [String: Counter]
    private let failures: [String: Counter]
    private let timers: [String: Timer]

    public var kind: String { base.kind }
    public var location: String { base.location }

    /// - Parameter factory: the metrics backend; the process-wide one by default. Tests pass
    ///   their own so that they need not bootstrap global state.
    public init(_ base: any Bucket, bucketName: String = "", factory: any MetricsFactory = MetricsSystem.factory) {
        self.base = base
        var c: [String: Counter] = [:], f: [String: Counter] = [:], t: [String: Timer] = [:]
        for op in Self.operations {
            var dims = [("operation", op)]
            if !bucketName.isEmpty { dims.append(("bucket", bucketName)) }
            c[op] = Counter(label: "strata_objstore_bucket_operations_total", dimensions: dims, factory: factory)
            f[op] = Counter(label: "strata_objstore_bucket_operation_failures_total", dimensions: dims, factory: factory)
            t[op] = Timer(label: "strata_objstore_bucket_operation_duration_seconds", dimensions: dims,
                          preferredDisplayUnit: .seconds, factory: factory)
        }
        counters = c
        failures = f
        timers = t
    }

    private func measure<T>(_ op: String, _ body: () async throws -> T) async throws -> T {
        counters[op]!.increment()
        let start = DispatchTime.now().uptimeNanoseconds
        defer { timers[op]!.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - start)) }
        do {
            return try await body()
        } catch let e as BucketError where e.isNotFound {
            throw e
        } catch {
            failures[op]!.increment()
            throw error
        }
    }

    public func get(_ key: String) async throws -> ObjectStream {
        try await measure("get") { try await base.get(key) }
    }

    public func getRange(_ key: String, offset: Int64, length: Int64) async throws -> ObjectStream {
        try await measure("get_range") { try await base.getRange(key, offset: offset, length: length) }
    }

    public func put(_ key: String, body: PutBody) async throws {
        try await measure("upload") { try await base.put(key, body: body) }
    }

    public func putIfAbsent(_ key: String, body: PutBody) async throws -> Bool {
        try await measure("upload_if_absent") { try await base.putIfAbsent(key, body: body) }
    }

    public func getVersioned(_ key: String) async throws -> VersionedObject {
        try await measure("get_versioned") { try await base.getVersioned(key) }
    }

    public func putIfMatch(_ key: String, body: [UInt8], etag: String) async throws -> Bool {
        try await measure("upload_if_match") { try await base.putIfMatch(key, body: body, etag: etag) }
    }

    public func delete(_ key: String) async throws {
        try await measure("delete") { try await base.delete(key) }
    }

    public func exists(_ key: String) async throws -> Bool {
        try await measure("exists") { try await base.exists(key) }
    }

    public func attributes(_ key: String) async throws -> ObjectAttributes {
        try await measure("attributes") { try await base.attributes(key) }
    }

    public func iterate(prefix: String, recursive: Bool, _ body: (String) async throws -> Bool) async throws {
        try await measure("iter") { try await base.iterate(prefix: prefix, recursive: recursive, body) }
    }

    public func close() async throws {
        try await base.close()
    }
}

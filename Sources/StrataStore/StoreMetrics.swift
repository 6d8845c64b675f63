import CoreMetrics
import Metrics
import StrataCore
import StrataStoreAPI

/// The gateway's own metrics (the bucket's per-operation ones come from
/// `InstrumentedBucket`): what is loaded, what queries cost, and what failed.
public struct StoreMetrics: Sendable {
    public let blocksLoaded: Gauge
    public let blockLoads: Counter
    public let blockLoadFailures: Counter
    public let blockDrops: Counter
    public let syncs: Counter
    public let syncFailures: Counter
    public let seriesFetched: Counter
    public let chunksFetched: Counter
    public let samplesFetched: Counter
    public let bytesFetched: Counter
    public let bucketRequests: Counter
    /// Bucket requests per Series call, as a histogram: "object-store requests per query".
    public let requestsPerQuery: Recorder
    public let limitsHit: [String: Counter]
    let durations: [String: Timer]
    let factory: any MetricsFactory

    public init(factory: any MetricsFactory = MetricsSystem.factory) {
        func c(_ n: String, _ d: [(String, String)] = []) -> Counter { Counter(label: n, dimensions: d, factory: factory) }
        blocksLoaded = Gauge(label: "strata_bucket_store_blocks_loaded", factory: factory)
        blockLoads = c("strata_bucket_store_block_loads_total")
        blockLoadFailures = c("strata_bucket_store_block_load_failures_total")
        blockDrops = c("strata_bucket_store_block_drops_total")
        syncs = c("strata_bucket_store_syncs_total")
        syncFailures = c("strata_bucket_store_sync_failures_total")
        seriesFetched = c("strata_bucket_store_series_fetched_total")
        chunksFetched = c("strata_bucket_store_chunks_fetched_total")
        samplesFetched = c("strata_bucket_store_samples_fetched_total")
        bytesFetched = c("strata_bucket_store_bytes_fetched_total")
        bucketRequests = c("strata_bucket_store_bucket_requests_total")
        requestsPerQuery = Recorder(label: "strata_bucket_store_bucket_requests_per_query", aggregate: true, factory: factory)
        var l: [String: Counter] = [:]
        for k in ["series", "samples", "bytes", "concurrency"] { l[k] = c("strata_bucket_store_limit_exceeded_total", [("limit", k)]) }
        limitsHit = l
        var t: [String: Timer] = [:]
        for m in ["series", "label_names", "label_values"] {
            t[m] = Timer(label: "strata_bucket_store_request_duration_seconds", dimensions: [("method", m)],
                         preferredDisplayUnit: .seconds, factory: factory)
        }
        durations = t
        self.factory = factory
    }

    /// Series left out of an answer because one of their chunks has an encoding the Store
    /// API cannot carry, by encoding byte.
    public func unsupportedChunks(_ encoding: UInt8) -> Counter {
        Counter(label: "strata_bucket_store_unsupported_chunks_total", dimensions: [("encoding", String(encoding))], factory: factory)
    }

    func time<T>(_ method: String, _ body: () async throws -> T) async rethrows -> T {
        let start = ContinuousClock.now
        defer {
            let d = ContinuousClock.now - start
            durations[method]?.recordNanoseconds(d.nanoseconds)
        }
        return try await body()
    }

    func countLimit(_ e: Error) {
        guard case StoreError.resourceExhausted(let m) = e else { return }
        for k in ["series", "samples", "bytes", "concurrency"] where m.hasPrefix("exceeded \(k) limit") { limitsHit[k]?.increment() }
    }
}

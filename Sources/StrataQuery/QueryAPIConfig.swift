import StrataPromQL

/// The querier's query settings, from `strata-query`'s flags (Thanos names).
public struct QueryAPIConfig: Sendable {
    /// `--query.replica-label` (repeatable): labels that tell HA replicas apart.
    public var replicaLabels: [String] = []
    /// `--deduplication.func`: `penalty` (default) or `chain`.
    public var dedupAlgorithm = Dedup.Algorithm.penalty
    /// `--query.timeout` (2m).
    public var timeout: Duration = .seconds(120)
    /// `--query.max-concurrent` (20): queries evaluated at once; more wait their turn.
    public var maxConcurrent = 20
    /// `--query.max-concurrent-select` (4): Series calls of one query in flight at once.
    public var maxConcurrentSelect = 4
    /// `--query.max-samples` (50M): samples one query may hold.
    public var maxSamples = 50_000_000
    /// `--query.max-bytes-per-query` (0 = unlimited): series bytes one query may fetch.
    public var maxBytesPerQuery = 0
    /// `--query.max-memory-per-query` (0 = unlimited): bytes of series data, fetched and
    /// decoded, one query may hold.
    public var maxMemoryPerQuery = 0
    /// `--query.fleet-max-bytes` (128MiB, 0 = unlimited): bytes of targets, metadata,
    /// exemplars or rules one request may gather from all endpoints.
    public var fleetMaxBytes = 128 << 20
    /// `--query.lookback-delta` (5m), in ms.
    public var lookbackDelta: Int64 = 300_000
    /// `--query.auto-downsampling`: without `max_source_resolution`, use step/5.
    public var autoDownsampling = false
    /// `--query.partial-response`: default of the `partial_response` parameter.
    public var partialResponse = true
    /// `--query.pushdown` (true): partial aggregations evaluated by the endpoints.
    public var pushdown = true
    /// `--query.default-step` (1s): step of range queries that give none, in ms.
    public var defaultStep: Int64 = 1000
    /// `--query.instant.default.max_source_resolution` (0s), in ms.
    public var instantDefaultMaxSourceResolution: Int64 = 0
    /// `--query.promql-compat` (3.14): the Prometheus release whose PromQL semantics queries
    /// follow; 2.42 reproduces that release exactly.
    public var promqlCompat = PromQLCompat.v3_14
    /// `--enable-feature` (Prometheus's names): experimental PromQL features of 3.14 mode.
    public var promqlFeatures: PromQLFeatures = []

    public init() {}
}

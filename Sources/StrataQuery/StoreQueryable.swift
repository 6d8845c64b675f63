import CoreMetrics
import StrataCore
import StrataPromQL
import StrataStoreAPI

/// The engine's storage for one query: every selector becomes a Store API Series request
/// fanned out over the endpoints, chunks are decoded (raw or the aggregates the enclosing
/// function needs), and HA replicas are merged when deduplication is on.
public struct StoreQueryable: Queryable {
    public struct Options: Sendable {
        public var dedup = true
        public var replicaLabels: Set<String> = []
        public var algorithm = Dedup.Algorithm.penalty
        /// `max_resolution_window` in ms: 0 = raw data only.
        public var maxResolution: Int64 = 0
        /// The part of the series this query evaluates (`shard_info`, vertical sharding).
        public var shard: SeriesShard?
        /// Evaluate pushable aggregations next to the data when the endpoints allow it
        /// (`--query.pushdown`; see `evaluateRemotely`).
        public var pushdown = false
        public init() {}
    }

    public let fanOut: FanOut
    public let options: Options
    /// A store in this process read directly instead of through `fanOut`'s Series calls
    /// (query pushdown); `fanOut` then only collects warnings and memory.
    let local: (any LocalSeriesSource)?
    /// From this many chunks in one selection, decoding is spread over the cores.
    static let parallelDecodeChunks = 2_000

    public init(fanOut: FanOut, options: Options) {
        self.init(fanOut: fanOut, options: options, local: nil)
    }

    init(fanOut: FanOut, options: Options, local: (any LocalSeriesSource)?) {
        self.fanOut = fanOut
        self.options = options
        self.local = local
    }

    public func select(matchers: [Matcher], hints: SelectHints) async throws -> [StorageSeries] {
        let aggregates = AggregateChoice.aggregates(forFunction: hints.function)
        var req = Thanos_SeriesRequest()
        req.minTime = hints.start
        req.maxTime = hints.end
        req.matchers = matchers.map(\.proto)
        req.maxResolutionWindow = options.maxResolution
        req.aggregates = aggregates
        var qh = Thanos_QueryHints()
        qh.stepMillis = hints.step
        if !hints.function.isEmpty { qh.func.name = hints.function }
        if hints.range > 0 { qh.range.millis = hints.range }
        if !hints.grouping.isEmpty || hints.by {
            qh.grouping.by = hints.by
            qh.grouping.labels = hints.grouping
        }
        req.queryHints = qh
        // Replicas of one series must fall into the same shard to be merged.
        req.seriesShard = options.shard?.excluding(options.replicaLabels.sorted())
        let found: [SelectedSeries]
        if let local {
            let (series, warnings) = try await local.selectedSeries(req)
            for w in warnings { fanOut.warn(w) }
            found = series
        } else {
            found = try await fanOut.selectedSeries(req, matchers: matchers)
        }
        let dedup = options.dedup && !options.replicaLabels.isEmpty
        // Only the window loop reads these series: raw float chunks stay encoded until its
        // worker gets to them (replicas must be decoded to be merged).
        let lazy = hints.decodeLazily && !dedup
        // Each series decodes on its own: spread over the cores when there is enough to do.
        let chunks = found.reduce(0) { $0 + $1.chunkCount }
        let fanOut = self.fanOut
        let decoded = concurrentMap(found.count, parallel: chunks >= Self.parallelDecodeChunks) { i in
            Result {
                let labels = found[i].labels
                let s: StorageSeries
                switch found[i].chunks {
                case .xor(let parts):
                    let pending = Self.pending(parts, labels: labels, minTime: hints.start, maxTime: hints.end)
                    if lazy { return StorageSeries(labels: labels, pending: pending) }
                    s = StorageSeries(labels: labels, samples: try pending.decode())
                case .messages(let chunks):
                    if lazy, let pending = Self.pending(chunks, aggregates: aggregates, labels: labels,
                                                        minTime: hints.start, maxTime: hints.end) {
                        return StorageSeries(labels: labels, pending: pending)
                    }
                    s = try SeriesDecoding.decodeSeries(chunks, aggregates: aggregates, labels: labels,
                                                        minTime: hints.start, maxTime: hints.end)
                }
                try fanOut.chargeDecoded(s.memoryBytes)
                return s
            }
        }
        var series: [StorageSeries] = []
        series.reserveCapacity(found.count)
        for d in decoded {
            do {
                series.append(try d.get())
            } catch let e as QueryError {
                throw e
            } catch let e as SeriesDecoding.Failure {
                throw QueryError.storage(e.description)
            } catch let e as SeriesDecoding.Unsupported {
                Counter(label: "strata_query_series_left_out_total", dimensions: [("encoding", "\(e.encoding)")]).increment()
                fanOut.warn(e.description)
            }
        }
        guard dedup else { return series }
        return Dedup.deduplicate(series, replicaLabels: options.replicaLabels, algorithm: options.algorithm,
                                 counter: AggregateChoice.isCounterFunction(hints.function))
    }
}

extension StoreQueryable {
    /// Raw XOR chunks decoded later by the same code as now (`SeriesDecoding.decode`), or nil
    /// when the series holds anything else (histograms, aggregates, unknown encodings), which
    /// is decoded at once so that its errors and warnings surface where they always did.
    static func pending(_ chunks: [Thanos_AggrChunk], aggregates: [Thanos_Aggr], labels: Labels,
                        minTime: Int64, maxTime: Int64) -> PendingSamples? {
        guard chunks.allSatisfy({ $0.hasRaw && $0.raw.type == .xor }) else { return nil }
        return PendingSamples {
            do {
                return try SeriesDecoding.decode(chunks, aggregates: aggregates, labels: labels, minTime: minTime, maxTime: maxTime)
            } catch let e as SeriesDecoding.Failure {
                throw QueryError.storage(e.description)
            }
        }
    }

    /// Raw XOR chunks from a store in process, decoded when asked.
    static func pending(_ parts: [RawXORChunk<ArraySlice<UInt8>>], labels: Labels,
                        minTime: Int64, maxTime: Int64) -> PendingSamples {
        PendingSamples {
            do {
                return try SeriesDecoding.sortedXOR(parts, labels: labels, minTime: minTime, maxTime: maxTime)
            } catch let e as SeriesDecoding.Failure {
                throw QueryError.storage(e.description)
            }
        }
    }

    /// A queryable over one in-process store (e.g. a `LocalBlockStore` over block
    /// directories): the same selection, decoding and dedup path as the querier, without a
    /// network. For tools and benchmarks.
    public static func local(_ store: any StoreClient, options: Options = Options()) -> StoreQueryable {
        StoreQueryable(fanOut: localFanOut(store), options: options)
    }

    /// The fan-out over one in-process store: always healthy, no partial responses; decoded
    /// series held against `memoryBudget` bytes (0: unlimited).
    static func localFanOut(_ store: any StoreClient, memoryBudget: Int = 0) -> FanOut {
        var e = EndpointStatus(name: store.name, client: store)
        e.healthy = true
        e.lastHealthy = 1
        return FanOut(endpoints: [e], options: .init(partialResponse: false, memoryBudget: memoryBudget, maxConcurrentSelect: 64))
    }
}

extension StorageSeries {
    /// What the decoded columns take: 16 bytes a float sample, a histogram by its size.
    var memoryBytes: Int {
        samples.count * 16 + histograms.histograms.reduce(0) { $0 + 8 + 16 * $1.sampleWeight }
    }
}

import CoreMetrics
import StrataCore
import StrataPromQL
import StrataStoreAPI

/// Thanos's Query API over one store (query pushdown, the serving side): a fragment a querier
/// pushed down is evaluated over this store's own series by the querier's own path —
/// selection, chunk decoding, replica dedup (`StoreQueryable` over the store in process) and
/// the engine with the semantics the request names — so a partial is exactly what the
/// querier would have computed over the same series. Strata's querier sends Strata's
/// millisecond fields (`strata`); a Thanos querier's whole seconds work too.
public struct StorePushdownAPI: PushdownAPI {
    let store: any StoreClient
    /// Samples one fragment may hold when the querier does not say (its `max_samples`).
    let maxSamples: Int

    /// For `FleetAPIs.query`: the Query API over whichever store the gRPC server serves.
    public static func factory(maxSamples: Int = 50_000_000) -> PushdownAPIFactory {
        { (store: any StoreClient) -> any PushdownAPI in StorePushdownAPI(store: store, maxSamples: maxSamples) }
    }

    /// As messages (the gRPC Query API): float series in batches of the request's
    /// `response_batch_size` (single series when it is 0 or 1).
    public func queryRange(_ r: Thanos_QueryRangeRequest,
                           onResponse: @escaping @Sendable (Thanos_QueryRangeResponse) async throws -> Void) async throws {
        let batched = r.responseBatchSize > 1
        try await queryRangeAnswers(r) { answer in
            switch answer {
            case .floats(let list, _):
                let messages = list.map(Prometheus_TimeSeries.init(float:))
                if batched {
                    try await onResponse(.batch(messages))
                } else {
                    for m in messages { try await onResponse(.series(m)) }
                }
            case .message(let m):
                try await onResponse(m)
            }
        }
    }

    public func queryRangeAnswers(_ r: Thanos_QueryRangeRequest,
                                  onAnswer: @escaping @Sendable (PushdownAnswer) async throws -> Void) async throws {
        let started = ContinuousClock.now
        do {
            try await evaluate(r, onAnswer)
            Counter(label: "strata_store_pushdown_queries_total", dimensions: [("result", "ok")]).increment()
        } catch {
            Counter(label: "strata_store_pushdown_queries_total", dimensions: [("result", "error")]).increment()
            throw error
        }
        Timer(label: "strata_store_pushdown_duration_seconds").recordNanoseconds((ContinuousClock.now - started).nanoseconds)
    }

    func evaluate(_ r: Thanos_QueryRangeRequest,
                  _ onAnswer: @escaping @Sendable (PushdownAnswer) async throws -> Void) async throws {
        let ev = r.strata
        let strata = r.hasStrata
        guard let compat = strata ? PromQLCompat(flag: ev.compat) : .v3_14 else {
            throw StoreError.invalidArgument("unknown PromQL semantics \"\(ev.compat)\" (2.42 or 3.14)")
        }
        let features: PromQLFeatures
        do { features = try PromQLFeatures.parse(ev.features) } catch { throw StoreError.invalidArgument("\(error)") }
        let start = strata ? ev.startMs : r.startTimeSeconds * 1000
        let end = strata ? ev.endMs : r.endTimeSeconds * 1000
        let step = strata ? ev.intervalMs : r.intervalSeconds * 1000
        let lookbackSeconds = r.lookbackDeltaSeconds > 0 ? r.lookbackDeltaSeconds * 1000 : 300_000
        let lookback = strata && ev.lookbackDeltaMs > 0 ? ev.lookbackDeltaMs : lookbackSeconds

        var options = StoreQueryable.Options()
        options.dedup = r.enableDedup
        options.replicaLabels = Set(r.replicaLabels)
        if strata, !ev.dedupFunc.isEmpty {
            guard let a = Dedup.Algorithm(rawValue: ev.dedupFunc) else {
                throw StoreError.invalidArgument("unknown deduplication function \"\(ev.dedupFunc)\"")
            }
            options.algorithm = a
        }
        options.maxResolution = strata ? ev.maxResolutionMs : r.maxResolutionSeconds * 1000
        options.shard = r.hasShardInfo ? r.shardInfo.seriesShard : nil
        // The querier's --query.max-memory-per-query bounds what this store holds for it.
        let fanOut = StoreQueryable.localFanOut(store, memoryBudget: strata ? Int(clamping: ev.maxMemoryBytes) : 0)
        let queryable = StoreQueryable(fanOut: fanOut, options: options, local: store as? any LocalSeriesSource)

        let limit = strata && ev.maxSamples > 0 ? Int(ev.maxSamples) : maxSamples
        var engineOptions = EngineOptions(maxSamples: limit, compat: compat, features: features)
        if r.timeoutSeconds > 0 { engineOptions.timeout = .seconds(r.timeoutSeconds) }
        let engine = Engine(options: engineOptions)
        let expr: Expr
        do { expr = try PromQL.parse(r.query, compat: compat, features: features) } catch {
            throw StoreError.invalidArgument("\(error)")
        }
        let out: QueryOutput
        do {
            out = try await engine.query(queryable, expr, start: start, end: end, step: step, lookbackDelta: lookback)
        } catch let e as QueryError {
            throw StoreError.invalidArgument(e.description)
        }
        for w in fanOut.warnings { try await onAnswer(.message(.warning(w))) }
        for a in out.annotations.warnings + out.annotations.infos { try await onAnswer(.message(.warning(a))) }

        // Up to `perMessage` series a message, in the answer's order: float series as label
        // sets and columns, series with histograms as messages.
        let perMessage = Int(max(1, min(r.responseBatchSize, 10_000)))
        var floats: [FloatSeries] = []
        var histograms: [Prometheus_TimeSeries] = []
        func flush() async throws {
            if !floats.isEmpty { try await onAnswer(.floats(floats, bytes: 0)) }
            if !histograms.isEmpty { try await onAnswer(.message(perMessage > 1 ? .batch(histograms) : .series(histograms[0]))) }
            floats = []
            histograms = []
        }
        // Each series converted as it is sent: the answer is held once, not twice.
        for i in 0..<(try Self.count(out.result)) {
            switch try Self.partial(out.result, i) {
            case .floats(let f):
                if !histograms.isEmpty { try await flush() }
                floats.append(f)
            case .histograms(let h):
                if !floats.isEmpty { try await flush() }
                histograms.append(h)
            }
            if floats.count + histograms.count >= perMessage { try await flush() }
        }
        try await flush()
    }

    /// A result series as it is sent: float samples as columns, a series holding native
    /// histograms (as float histograms) as a message.
    enum Partial {
        case floats(FloatSeries)
        case histograms(Prometheus_TimeSeries)
    }

    static let notAVector = StoreError.unimplemented("a pushed-down fragment must be an instant vector expression")

    static func count(_ result: QueryResult) throws -> Int {
        switch result {
        case .matrix(let mat): return mat.count
        case .vector(let v): return v.count
        case .scalar, .string: throw notAVector
        }
    }

    /// Series `i` of a matrix or vector result (`count`).
    static func partial(_ result: QueryResult, _ i: Int) throws -> Partial {
        func make(_ labels: Labels, _ ts: [Int64], _ vs: [Double], _ histograms: [(Int64, FloatHistogram)]) throws -> Partial {
            guard !histograms.isEmpty else { return .floats(FloatSeries(labels: labels, timestamps: ts, values: vs)) }
            var m = Prometheus_TimeSeries(float: FloatSeries(labels: labels, timestamps: ts, values: vs))
            m.histograms = try histograms.map { t, h in
                guard !h.usesCustomBuckets else {
                    throw StoreError.unimplemented("the fragment's result holds custom-bucket histograms, which Prometheus's Histogram message (no custom_values) cannot carry")
                }
                return Prometheus_Histogram(h, timestamp: t)
            }
            return .histograms(m)
        }
        switch result {
        case .matrix(let mat):
            let s = mat[i]
            return try make(s.labels, s.points.map(\.t), s.points.map(\.v), s.histograms.map { ($0.t, $0.h) })
        case .vector(let v):
            let s = v[i]
            return try make(s.labels, s.h == nil ? [s.t] : [], s.h == nil ? [s.v] : [], s.h.map { [(s.t, $0)] } ?? [])
        case .scalar, .string:
            throw notAVector
        }
    }
}

extension Prometheus_TimeSeries {
    /// The message of a float series.
    init(float s: FloatSeries) {
        self.init()
        labels = s.labels.pairs.map { l in
            var p = Prometheus_Label()
            p.name = l.name
            p.value = l.value
            return p
        }
        samples = s.timestamps.indices.map { j in
            var p = Prometheus_Sample()
            p.timestamp = s.timestamps[j]
            p.value = s.values[j]
            return p
        }
    }
}

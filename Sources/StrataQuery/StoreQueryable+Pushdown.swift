import CoreMetrics
import GRPCCore
import Logging
import StrataCore
import StrataPromQL
import StrataStoreAPI
import Synchronization

/// Query pushdown, the querier's side: a fragment goes to every endpoint that may hold its
/// series, over Thanos's Query API, when each of those endpoints holds whole series — their
/// external label sets (without the replica labels when deduplicating: an endpoint merges
/// its own replicas) are pairwise distinct, so no series, and no replica of one, is split
/// between two of them. Anything else — an endpoint without the Query API or unhealthy, a
/// shared label set, a failed call, a warning or info from the remote engine (whose text
/// and position must come from this query), native histograms in a partial to combine — declines,
/// and the engine selects the raw series as usual. The answer is then never different from
/// the one without pushdown, only later.
extension StoreQueryable: RemoteEvaluating {
    public func evaluateRemotely(_ f: RemoteFragment) async -> [StorageSeries]? {
        guard options.pushdown else { return nil }
        var targets: [EndpointStatus] = []
        for s in f.selections {
            for e in fanOut.targets(s.start, s.end, s.matchers) where !targets.contains(where: { $0.name == e.name }) {
                targets.append(e)
            }
        }
        guard !targets.isEmpty else { return nil }
        // The whole query only to an endpoint that holds all of it; else its aggregations.
        guard !f.wholeQuery || targets.count == 1 else { return nil }
        guard targets.allSatisfy({ $0.healthy && $0.apis.contains(.query) }) else { return Self.declined("no_query_api") }
        guard holdWholeSeries(targets) else { return Self.declined("shared_label_sets") }

        let request = queryRequest(f)
        do {
            let (perTarget, received) = try await withThrowingTaskGroup(of: (Int, [StorageSeries], Int).self) { group in
                for (k, e) in targets.enumerated() {
                    guard let api = e.client as? any PushdownAPI else { throw Declined() }
                    group.addTask {
                        let (p, n) = try await Self.partials(api, request)
                        return (k, p, n)
                    }
                }
                var out = [[StorageSeries]](repeating: [], count: targets.count)
                var bytes = 0
                for try await (k, p, n) in group {
                    out[k] = p
                    bytes += n
                }
                return (out, bytes)
            }
            // One endpoint's answer in its order (a whole query's order is the answer's). Else in
            // label order, endpoints in a fixed order for equal labels: the combining
            // aggregation then adds and ranks in the same order on every run.
            let parts = perTarget.count == 1 ? perTarget[0] : perTarget.joined().enumerated().sorted { a, b in
                a.element.labels != b.element.labels ? a.element.labels < b.element.labels : a.offset < b.offset
            }.map(\.element)
            // Histogram partials are not combined (their counter-reset hints and annotations
            // would have to meet as in one evaluation): only a whole query's answer may hold them.
            if !f.wholeQuery, parts.contains(where: { !$0.histograms.isEmpty }) { return Self.declined("unsupported") }
            try fanOut.chargeDecoded(received + parts.reduce(0) { $0 + $1.memoryBytes })
            Counter(label: "strata_query_pushdown_total", dimensions: [("result", f.wholeQuery ? "pushed_query" : "pushed")]).increment()
            Counter(label: "strata_query_pushdown_received_bytes_total").increment(by: Int64(received))
            return parts
        } catch is Declined {
            return Self.declined("remote_annotations")
        } catch {
            if error is CancellationError { return nil }
            // The query's own error (the querier's evaluation gives it with its text).
            if let rpc = error as? RPCError, rpc.code == .invalidArgument { return Self.declined("query_error") }
            // What the answer cannot carry (native histograms): evaluated here, no alarm.
            if let rpc = error as? RPCError, rpc.code == .unimplemented { return Self.declined("unsupported") }
            Logger(label: "query").warning("query pushdown failed, evaluating here", metadata: ["query": "\(f.query)", "err": "\(error)"])
            return Self.declined("failed")
        }
    }

    /// A reason to evaluate the fragment here after all.
    struct Declined: Error {}

    static func declined(_ reason: String) -> [StorageSeries]? {
        Counter(label: "strata_query_pushdown_total", dimensions: [("result", reason)]).increment()
        return nil
    }

    /// Whether every series the targets hold lives in exactly one of them.
    func holdWholeSeries(_ targets: [EndpointStatus]) -> Bool {
        guard targets.count > 1 else { return true }
        let dropped = options.dedup ? options.replicaLabels : []
        var owner: [Labels: String] = [:]
        for e in targets {
            guard !e.labelSets.isEmpty else { return false }
            for set in e.labelSets {
                let key = dropped.isEmpty ? set : set.removing(dropped)
                if let o = owner[key], o != e.name { return false }
                owner[key] = e.name
            }
        }
        return true
    }

    func queryRequest(_ f: RemoteFragment) -> Thanos_QueryRangeRequest {
        var r = Thanos_QueryRangeRequest()
        r.query = f.query
        // Thanos's whole seconds for peers that read only those; Strata reads `strata`.
        r.startTimeSeconds = f.start / 1000
        r.endTimeSeconds = f.end / 1000
        r.intervalSeconds = f.interval / 1000
        r.lookbackDeltaSeconds = f.lookbackDelta / 1000
        r.maxResolutionSeconds = options.maxResolution / 1000
        r.replicaLabels = options.replicaLabels.sorted()
        r.enableDedup = options.dedup
        r.enablePartialResponse = false
        r.responseBatchSize = 64
        if let shard = options.shard?.excluding(options.replicaLabels.sorted()) { r.shardInfo = Thanos_ShardInfo(shard) }
        var s = Thanos_StrataEvaluation()
        s.startMs = f.start
        s.endMs = f.end
        s.intervalMs = f.interval
        s.lookbackDeltaMs = f.lookbackDelta
        s.compat = f.compat.rawValue
        s.features = PromQLFeatures.byName.filter { !$0.value.isEmpty && f.features.contains($0.value) }.keys.sorted()
        s.dedupFunc = options.algorithm.rawValue
        s.maxResolutionMs = options.maxResolution
        s.maxSamples = Int64(f.maxSamples)
        // The store holds the fragment's series under the query's own memory limit.
        s.maxMemoryBytes = Int64(fanOut.options.memoryBudget)
        r.strata = s
        return r
    }

    /// One endpoint's partials; a warning (failed series inside the store, or an annotation
    /// of the remote engine) declines the pushdown.
    static func partials(_ api: any PushdownAPI, _ request: Thanos_QueryRangeRequest) async throws -> ([StorageSeries], Int) {
        let out = Mutex<[StorageSeries]>([])
        let received = Atomic<Int>(0)
        try await api.queryRangeAnswers(request) { answer in
            let frame: Thanos_QueryRangeResponse
            switch answer {
            case .floats(let list, let bytes):
                received.add(bytes, ordering: .relaxed)
                let series = list.map {
                    StorageSeries(labels: $0.labels, samples: SampleColumns(timestamps: $0.timestamps, values: $0.values))
                }
                out.withLock { $0 += series }
                return
            case .message(let m):
                frame = m
            }
            switch frame.result {
            case .timeseries(let ts):
                received.add(ts.serializedSizeEstimate, ordering: .relaxed)
                out.withLock { $0.append(storageSeries(ts)) }
            case .timeseriesBatch(let b):
                for ts in b.series { received.add(ts.serializedSizeEstimate, ordering: .relaxed) }
                let list = b.series.map(storageSeries)
                out.withLock { $0 += list }
            case .warnings:
                throw Declined()
            case .stats, nil:
                break
            }
        }
        return (out.withLock { $0 }, received.load(ordering: .relaxed))
    }

    static func storageSeries(_ ts: Prometheus_TimeSeries) -> StorageSeries {
        let labels = Labels(ts.labels.map { Label($0.name, $0.value) })
        var cols = SampleColumns()
        cols.timestamps = ts.samples.map(\.timestamp)
        cols.values = ts.samples.map(\.value)
        var hists = HistogramColumns()
        hists.timestamps = ts.histograms.map(\.timestamp)
        hists.histograms = ts.histograms.map(\.floatHistogram)
        return StorageSeries(labels: labels, samples: cols, histograms: hists)
    }
}

extension Prometheus_TimeSeries {
    /// Bytes on the wire, near enough for accounting: 11 per sample, 40 plus 9 per bucket
    /// per histogram, the label strings.
    var serializedSizeEstimate: Int {
        samples.count * 11 + histograms.reduce(0) { $0 + 40 + 9 * ($1.positiveCounts.count + $1.negativeCounts.count) }
            + labels.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 4 }
    }
}

import CoreMetrics
import Foundation
import StrataCore
import StrataPromQL
import StrataStoreAPI
import Synchronization

/// One request's fan-out over the Store API endpoints: only endpoints whose time range and
/// external labels can match are asked, in parallel (at most `maxConcurrentSelect` Series
/// calls at once). A failing endpoint — or one that could match but failed its last Info,
/// which Thanos skips silently — becomes a warning when partial responses are allowed, the
/// request's error otherwise. Chunk bytes received count against `byteBudget`.
public final class FanOut: Sendable {
    public struct Options: Sendable {
        public var partialResponse: Bool
        /// Bytes of chunks and labels one request may receive; 0 is unlimited.
        public var byteBudget: Int
        /// Bytes of series data (received and decoded) one query may hold; 0 is unlimited.
        public var memoryBudget: Int
        public var maxConcurrentSelect: Int
        public init(partialResponse: Bool = true, byteBudget: Int = 0, memoryBudget: Int = 0, maxConcurrentSelect: Int = 4) {
            self.partialResponse = partialResponse
            self.byteBudget = byteBudget
            self.memoryBudget = memoryBudget
            self.maxConcurrentSelect = maxConcurrentSelect
        }
    }

    /// An endpoint failed and partial responses are not allowed.
    public struct StoreFailure: Error, CustomStringConvertible, Sendable {
        public let description: String
    }

    /// An endpoint that failed its last Info: asked for nothing, reported like a failed call.
    struct Unavailable: Error, CustomStringConvertible {
        let description: String
    }

    /// Series per Store API message asked of stores (Thanos's `response_batch_size`): one
    /// message per 64 series instead of per series. Stores that predate batching ignore it.
    static let seriesPerMessage: Int64 = 64

    let endpoints: [EndpointStatus]
    let options: Options
    let selectGate: AsyncSemaphore
    let warningList = Mutex<[String]>([])
    let received = Atomic<Int>(0)
    let decoded = Atomic<Int>(0)

    public init(endpoints: [EndpointStatus], options: Options) {
        self.endpoints = endpoints
        self.options = options
        selectGate = AsyncSemaphore(limit: options.maxConcurrentSelect)
    }

    /// Warnings collected so far (failed stores, store-side warnings), in arrival order.
    public var warnings: [String] { warningList.withLock { $0 } }

    /// Bytes of series data received so far.
    public var bytesReceived: Int { received.load(ordering: .relaxed) }

    /// Counts `bytes` of decoded samples against the query's memory budget.
    func chargeDecoded(_ bytes: Int) throws {
        let total = decoded.add(bytes, ordering: .relaxed).newValue
        try checkMemory(received: received.load(ordering: .relaxed), decoded: total)
    }

    /// Received plus decoded bytes against `--query.max-memory-per-query`: the query fails
    /// with what it held instead of growing the querier without bound.
    func checkMemory(received: Int, decoded: Int) throws {
        let limit = options.memoryBudget
        guard limit > 0, received + decoded > limit else { return }
        throw QueryError.execution("the query needs more than \(formatByteSize(limit)) of memory for series data (--query.max-memory-per-query): \(formatByteSize(received)) fetched, \(formatByteSize(decoded)) decoded so far; select fewer series, a shorter time range or a coarser resolution")
    }

    func warn(_ w: String) { warningList.withLock { if !$0.contains(w) { $0.append(w) } } }

    var strategy: Thanos_PartialResponseStrategy { options.partialResponse ? .warn : .abort }

    func targets(_ lo: Int64, _ hi: Int64, _ matchers: [Matcher]) -> [EndpointStatus] {
        endpoints.filter { $0.canMatch(minTime: lo, maxTime: hi, matchers: matchers) }
    }

    /// One endpoint's call under the partial-response strategy, for the Store API fan-out and
    /// the fleet APIs alike: an unhealthy endpoint fails without a call; a failure that is not
    /// `passing` (the query's own errors) nor a cancellation becomes a warning and nil when
    /// `partial`, else a `StoreFailure` named by `failure`.
    static func guarded<T>(_ e: EndpointStatus, _ failure: @autoclosure () -> String, partial: Bool,
                           warn: (String) -> Void, passing: (any Error) -> Bool,
                           _ body: () async throws -> T) async throws -> T? {
        do {
            guard e.healthy else { throw Unavailable(description: "unavailable: \(e.lastError ?? "no answer to Info")") }
            return try await body()
        } catch is CancellationError {
            throw CancellationError()
        } catch where passing(error) {
            throw error
        } catch {
            let msg = "\(failure()): \(error)"
            if partial {
                warn(msg)
                return nil
            }
            throw StoreFailure(description: msg)
        }
    }

    /// Calls `body` on every target endpoint in parallel (one endpoint in the calling task: a
    /// child task costs two hops between threads); failures are handled per the
    /// partial-response strategy. Returns the successful results.
    func each<T: Sendable>(_ targets: [EndpointStatus], _ what: String,
                           _ body: @escaping @Sendable (EndpointStatus) async throws -> T) async throws -> [T] {
        let partial = options.partialResponse
        @Sendable func call(_ e: EndpointStatus) async throws -> T? {
            try await Self.guarded(e, "\(what) from store \(e.name)", partial: partial, warn: self.warn,
                                   passing: { $0 is QueryError }) { try await self.selectGate.with { try await body(e) } }
        }
        if targets.count == 1 { return try await call(targets[0]).map { [$0] } ?? [] }
        return try await withThrowingTaskGroup(of: T?.self) { group in
            for e in targets { group.addTask { try await call(e) } }
            var out: [T] = []
            for try await r in group { if let r { out.append(r) } }
            return out
        }
    }

    /// Series of every matching endpoint as Store API messages (`selectedSeries`).
    public func series(_ request: Thanos_SeriesRequest, matchers: [Matcher]) async throws -> [(labels: Labels, chunks: [Thanos_AggrChunk])] {
        try await selectedSeries(request, matchers: matchers).map { ($0.labels, $0.aggrChunks) }
    }

    /// Series of every matching endpoint, raw XOR chunks as slices of the received frames
    /// where the endpoint answers on the wire; the same label set from several endpoints (e.g.
    /// a sidecar and a store gateway both holding a block) comes back once with all chunks.
    public func selectedSeries(_ request: Thanos_SeriesRequest, matchers: [Matcher]) async throws -> [SelectedSeries] {
        var request = request
        request.partialResponseStrategy = strategy
        if request.responseBatchSize == 0 { request.responseBatchSize = Self.seriesPerMessage }
        let req = request
        let budget = options.byteBudget
        // A store that ignores `shard_info` sends every series: the other shards' are dropped
        // here, so that no series is counted in two shards.
        let shard = req.seriesShard
        let bytes = Atomic<Int>(0)
        defer { Counter(label: "strata_query_series_received_bytes_total").increment(by: Int64(bytes.load(ordering: .relaxed))) }
        let perStore = try await each(targets(req.minTime, req.maxTime, matchers), "receive series") { e in
            let collected = Mutex<[SelectedSeries]>([])
            try await e.client.seriesAnswers(req) { answer in
                let s: SelectedSeries
                switch answer {
                case .series(let selected):
                    s = selected
                case .message(let frame):
                    switch frame.result {
                    case .series(let m):
                        s = SelectedSeries(labels: Labels(proto: m.labels), chunks: .messages(m.chunks))
                    case .warning(let w):
                        self.warn(w)
                        return
                    default:
                        return
                    }
                }
                if let shard, !shard.contains(s.labels) { return }
                let n = s.byteCount
                bytes.add(n, ordering: .relaxed)
                let total = self.received.add(n, ordering: .relaxed).newValue
                if budget > 0 && total > budget {
                    throw QueryError.execution("the query fetched more than \(budget) bytes of series data from the stores (--query.max-bytes-per-query); select fewer series or a shorter time range")
                }
                try self.checkMemory(received: total, decoded: self.decoded.load(ordering: .relaxed))
                collected.withLock { $0.append(s) }
            }
            return collected.withLock { $0 }
        }
        // One endpoint sends each label set once, in label order (the Store API's contract):
        // no merging, no hashing, unless it broke the order.
        if perStore.count == 1 {
            let one = perStore[0]
            if zip(one, one.dropFirst()).allSatisfy({ $0.labels < $1.labels }) { return one }
        }
        var byLabels: [Labels: [Thanos_AggrChunk]] = [:]
        for list in perStore {
            for s in list { byLabels[s.labels, default: []].append(contentsOf: s.aggrChunks) }
        }
        return byLabels.map { SelectedSeries(labels: $0.key, chunks: .messages($0.value)) }.sorted { $0.labels < $1.labels }
    }

    public func labelNames(_ request: Thanos_LabelNamesRequest, matchers: [Matcher]) async throws -> [String] {
        var req = request
        req.partialResponseStrategy = strategy
        return try await union(req.start, req.end, matchers, "receive label names") { [req] e in
            let r = try await e.client.labelNames(req)
            return (r.names, r.warnings)
        }
    }

    public func labelValues(_ request: Thanos_LabelValuesRequest, matchers: [Matcher]) async throws -> [String] {
        var req = request
        req.partialResponseStrategy = strategy
        return try await union(req.start, req.end, matchers, "receive label values") { [req] e in
            let r = try await e.client.labelValues(req)
            return (r.values, r.warnings)
        }
    }

    /// The sorted union of every matching endpoint's strings; their warnings are kept.
    func union(_ start: Int64, _ end: Int64, _ matchers: [Matcher], _ what: String,
               _ call: @escaping @Sendable (EndpointStatus) async throws -> ([String], [String])) async throws -> [String] {
        let lists = try await each(targets(start, end, matchers), what) { e in
            let (items, warnings) = try await call(e)
            for w in warnings { self.warn(w) }
            return items
        }
        return Set(lists.joined()).sorted(by: bytewiseLess)
    }
}

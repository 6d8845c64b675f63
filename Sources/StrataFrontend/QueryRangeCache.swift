import Crypto
import Foundation
import Logging
import Metrics
import StrataCore
import StrataQuery
import Synchronization

/// Range queries through the frontend: aligned to the step, split at `splitInterval`
/// boundaries, each part answered from cached extents where it can be and from the querier
/// for the gaps only (in parallel, at most `maxQueryParallelism` at once), merged back into
/// one answer that is byte-identical to the querier's. Parts with warnings (partial
/// responses), `dedup=false` queries and the last `maxFreshness` are never cached.
public final class QueryRangeCache: Sendable {
    let config: FrontendConfig
    let downstream: Downstream
    let cache: (any ResultsCache)?
    let logger: Logger
    /// Sub-queries sent to the querier (for tests and the metrics).
    public let downstreamQueries = Atomic<Int>(0)

    public init(config: FrontendConfig, downstream: Downstream, cache: (any ResultsCache)?, logger: Logger) {
        self.config = config
        self.downstream = downstream
        self.cache = cache
        self.logger = logger
    }

    /// A time as the API takes it (float seconds or RFC3339), nil when unparsable.
    static func time(_ s: String?) -> Int64? { s.flatMap { try? parseTimestamp($0) } }

    static func duration(_ s: String?) -> Int64? {
        guard let s else { return nil }
        if let secs = Double(s), secs.isFinite { return Int64((secs * 1000).rounded()) }
        return try? parseDuration(s)
    }

    /// Milliseconds as the API's float seconds.
    static func seconds(_ ms: Int64) -> String {
        var w = JSONBytes(capacity: 24)
        w.timestamp(ms)
        return w.string
    }

    public func handle(_ form: FormValues) async -> Downstream.Response {
        let began = ContinuousClock.now
        defer {
            let took = ContinuousClock.now - began
            Timer(label: "strata_frontend_query_range_duration_seconds").recordNanoseconds(took.nanoseconds)
            if config.logQueriesLongerThan > .zero && took > config.logQueriesLongerThan {
                logger.info("slow query", metadata: ["query": "\(form["query"] ?? "")", "start": "\(form["start"] ?? "")",
                                                     "end": "\(form["end"] ?? "")", "step": "\(form["step"] ?? "")", "took": "\(took)"])
            }
        }
        // Anything the frontend cannot read goes to the querier as it is: its error is the answer.
        guard let start0 = Self.time(form["start"]), let end0 = Self.time(form["end"]),
              let step = Self.duration(form["step"]), step > 0, end0 >= start0, (end0 - start0) / step <= 11000 else {
            return await downstream.send(method: "GET", "/api/v1/query_range?" + form.encoded())
        }
        let (start, end) = config.alignRangeWithStep ? RangeSplit.align(start: start0, end: end0, step: step) : (start0, end0)
        let cacheable = cache != nil && (form["dedup"].map { !["0", "f", "F", "false", "FALSE", "False"].contains($0) } ?? true)
        let parts = RangeSplit.split(start: start, end: end, step: step, interval: config.splitInterval)
        Counter(label: "strata_frontend_split_queries_total").increment(by: parts.count)
        let semantics = cacheable ? await downstream.semantics() : ""
        let keys = parts.map { cacheKey(form, step: step, partStart: $0.start, semantics: semantics) }
        let cached = cacheable ? await cache!.fetch(Array(Set(keys))) : [:]

        // Work out, per part, what the cache has and which gaps must be fetched.
        var plans: [(extents: Extents, gaps: [(Int64, Int64)])] = []
        for (i, p) in parts.enumerated() {
            let ext = cached[keys[i]].flatMap { Extents(decoding: $0) } ?? Extents()
            let gaps = Self.gaps(p.start, p.end, step: step, in: ext)
            plans.append((ext, gaps))
            Counter(label: gaps.isEmpty ? "strata_frontend_cache_hits_total" : "strata_frontend_cache_misses_total").increment()
        }
        let fetches = plans.enumerated().flatMap { (i, plan) in plan.gaps.map { (part: i, start: $0.0, end: $0.1) } }
        let gate = AsyncSemaphore(limit: config.maxQueryParallelism)
        let results = await withTaskGroup(of: Fetched.self) { group in
            for f in fetches {
                group.addTask {
                    do {
                        let (m, w) = try await gate.with { try await self.fetch(form, f.start, f.end) }
                        return .answer(part: f.part, start: f.start, end: f.end, result: m, warnings: w)
                    } catch let e as FetchFailure {
                        return .failed(e.response)
                    } catch {
                        return .failed(Downstream.Response(status: 503, contentType: nil, body: []))
                    }
                }
            }
            var out: [Fetched] = []
            for await r in group { out.append(r) }
            return out
        }
        var warnings: [String] = []
        var fetchedByPart: [Int: [(start: Int64, end: Int64, result: MatrixResult, annotations: [String], clean: Bool)]] = [:]
        for r in results {
            switch r {
            case .failed(let response): return response
            case .answer(let part, let s, let e, let m, let w):
                for x in w where !warnings.contains(x) { warnings.append(x) }
                // PromQL annotations are cached with the data; a store's warning (a partial
                // answer) keeps the part out of the cache.
                fetchedByPart[part, default: []].append((s, e, m, w.filter(MatrixResult.isPromQLAnnotation),
                                                         w.allSatisfy(MatrixResult.isPromQLAnnotation)))
            }
        }
        // Assemble each part from its extents and fetched gaps; store what may be cached.
        let cutoff = Int64(Date().timeIntervalSince1970 * 1000) - config.maxFreshness
        var toStore: [String: [UInt8]] = [:]
        var answers: [MatrixResult] = []
        for (i, p) in parts.enumerated() {
            var ext = plans[i].extents
            let used = ext.extents.filter { $0.end >= p.start && $0.start <= p.end }
            var pieces = used.map { $0.result.trimmed(p.start, p.end) }
            for x in used.flatMap(\.annotations) where !warnings.contains(x) { warnings.append(x) }
            let fetched = (fetchedByPart[i] ?? []).sorted { $0.start < $1.start }
            pieces += fetched.map(\.result)
            answers.append(MatrixResult.merge(pieces))
            guard cacheable else { continue }
            var changed = false
            for f in fetched where f.clean {
                // Only what is older than the freshness limit, on the query's step grid.
                let (s, e, m) = (f.start, f.end, f.result)
                let last = min(e, cutoff - ((cutoff - s) % step + step) % step)
                guard last >= s else { continue }
                ext.add(.init(start: s, end: last, result: last == e ? m : m.trimmed(s, last), annotations: f.annotations), step: step)
                changed = true
            }
            if changed { toStore[keys[i]] = ext.encoded }
        }
        if !toStore.isEmpty, let cache {
            Counter(label: "strata_frontend_cache_stored_bytes_total").increment(by: toStore.values.reduce(0) { $0 + $1.count })
            await cache.store(toStore, ttl: config.cacheTTL)
        }
        let body = MatrixResult.merge(answers).responseBody(warnings: warnings)
        return Downstream.Response(status: 200, contentType: "application/json", body: body)
    }

    struct FetchFailure: Error {
        let response: Downstream.Response
    }

    /// One sub-query's outcome (a plain enum: task groups with tuple-of-Result children
    /// crashed a release build of the store gateway).
    enum Fetched: Sendable {
        case answer(part: Int, start: Int64, end: Int64, result: MatrixResult, warnings: [String])
        case failed(Downstream.Response)
    }

    /// [start, end] of the query from the querier: at once, or as vertical shards fetched in
    /// parallel whose disjoint series are put together.
    func fetch(_ form: FormValues, _ start: Int64, _ end: Int64) async throws -> (MatrixResult, [String]) {
        let shards = config.verticalShards > 1 ? VerticalSharding.shards(form["query"] ?? "", total: config.verticalShards) : []
        guard !shards.isEmpty else { return try await fetch(form, start, end, shard: nil) }
        Counter(label: "strata_frontend_sharded_queries_total").increment()
        let parts = try await withThrowingTaskGroup(of: (MatrixResult, [String]).self) { group in
            for s in shards { group.addTask { try await self.fetch(form, start, end, shard: s) } }
            var out: [(MatrixResult, [String])] = []
            for try await r in group { out.append(r) }
            return out
        }
        var warnings: [String] = []
        for (_, w) in parts { for x in w where !warnings.contains(x) { warnings.append(x) } }
        return (MatrixResult.merge(parts.map(\.0)), warnings)
    }

    func fetch(_ form: FormValues, _ start: Int64, _ end: Int64, shard: SeriesShard?) async throws -> (MatrixResult, [String]) {
        downstreamQueries.add(1, ordering: .relaxed)
        var replacing = ["start": Self.seconds(start), "end": Self.seconds(end)]
        if let shard { replacing["shard_info"] = VerticalSharding.parameter(shard) }
        let q = form.encoded(replacing: replacing)
        let r = await downstream.send(method: "GET", "/api/v1/query_range?" + q)
        guard r.status == 200 else { throw FetchFailure(response: r) }
        do { return try MatrixResult.parse(r.body) } catch {
            throw FetchFailure(response: Downstream.Response(status: 502, contentType: "application/json", body: Array(
                "{\"status\":\"error\",\"errorType\":\"internal\",\"error\":\(goJSONString("unreadable answer from the querier: \(error)"))}".utf8)))
        }
    }

    /// The part of [start, end] on the step grid not covered by `ext`.
    static func gaps(_ start: Int64, _ end: Int64, step: Int64, in ext: Extents) -> [(Int64, Int64)] {
        var out: [(Int64, Int64)] = []
        var cur = start
        for x in ext.extents.sorted(by: { $0.start < $1.start }) where x.end >= cur && x.start <= end {
            if x.start > cur {
                // The gap ends at the last grid point before the extent.
                let gapEnd = x.start - 1 - ((x.start - 1 - cur) % step)
                if gapEnd >= cur { out.append((cur, min(gapEnd, end))) }
            }
            cur = max(cur, x.end + step)
            if cur > end { return out }
        }
        if cur <= end { out.append((cur, end)) }
        return out
    }

    /// One cache entry per query, parameters, step, grid phase and split interval — and per
    /// Strata version and querier semantics (`Downstream.semantics`), so an upgrade or a
    /// change of `--query.promql-compat` never serves results computed the other way.
    func cacheKey(_ form: FormValues, step: Int64, partStart: Int64, semantics: String) -> String {
        var h = SHA256()
        h.update(data: Array(StrataVersion.version.utf8) + [0] + Array(semantics.utf8) + [0])
        for (k, v) in form.items.sorted(by: { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }) where k != "start" && k != "end" && k != "time" {
            h.update(data: Array(k.utf8) + [0] + Array(v.utf8) + [0])
        }
        let interval = config.splitInterval > 0 ? RangeSplit.floorDiv(partStart, config.splitInterval) : 0
        let digest = h.finalize().map { String(format: "%02x", $0) }.joined()
        return "qr:\(digest.prefix(32)):\(step):\(partStart % step):\(interval)"
    }
}

import StrataCore

/// Engine-wide limits and defaults (Prometheus's EngineOpts).
public struct EngineOptions: Sendable {
    /// Maximum samples held in memory by one query at any time.
    public var maxSamples: Int
    /// Wall-clock limit per query.
    public var timeout: Duration
    /// How far back an instant selector looks for the latest sample.
    public var lookbackDelta: Int64
    /// Step of subqueries written without one (`x[1h:]`), as a function of their range.
    public var noStepSubqueryInterval: @Sendable (Int64) -> Int64
    /// The Prometheus release whose semantics queries follow: parsing and evaluation.
    public var compat: PromQLCompat
    /// Experimental 3.x features enabled (`--enable-feature` names); ignored in 2.42 mode.
    public var features: PromQLFeatures
    /// Column-wise aggregations and joins where they give the per-step path's answer
    /// (EvalAggregateColumns, EvalBinaryColumns), and range functions spread over the cores
    /// (EvalRangeFloats). Off only to compare with the plain per-step, one-core path.
    public var columnar = true

    public init(maxSamples: Int = 50_000_000, timeout: Duration = .seconds(120), lookbackDelta: Int64 = 300_000,
                noStepSubqueryInterval: @escaping @Sendable (Int64) -> Int64 = { _ in 60_000 },
                compat: PromQLCompat = .v3_14, features: PromQLFeatures = []) {
        self.maxSamples = maxSamples
        self.timeout = timeout
        self.lookbackDelta = lookbackDelta
        self.noStepSubqueryInterval = noStepSubqueryInterval
        self.compat = compat
        self.features = features
    }
}

/// Evaluates PromQL over a `Queryable`. Stateless apart from its options, so one engine serves
/// concurrent queries. Cancelling the calling Task cancels the query.
public struct Engine: Sendable {
    public let options: EngineOptions

    public init(options: EngineOptions = EngineOptions()) { self.options = options }

    /// An instant query at `time` (Unix ms).
    public func instantQuery(_ queryable: any Queryable, _ query: String, time: Int64,
                             lookbackDelta: Int64? = nil) async throws -> QueryResult {
        try await instantQuery(queryable, try PromQL.parse(query, compat: options.compat, features: options.features), time: time, lookbackDelta: lookbackDelta)
    }

    public func instantQuery(_ queryable: any Queryable, _ expr: Expr, time: Int64,
                             lookbackDelta: Int64? = nil) async throws -> QueryResult {
        try await exec(queryable, expr, start: time, end: time, interval: 0, lookbackDelta: lookbackDelta).result
    }

    /// An instant (`step` 0) or range query, with the warnings and infos it produced.
    public func query(_ queryable: any Queryable, _ expr: Expr, start: Int64, end: Int64, step: Int64,
                      lookbackDelta: Int64? = nil) async throws -> QueryOutput {
        if step == 0 { return try await exec(queryable, expr, start: start, end: start, interval: 0, lookbackDelta: lookbackDelta) }
        try Self.checkRange(expr, start: start, end: end, step: step)
        return try await exec(queryable, expr, start: start, end: end, interval: step, lookbackDelta: lookbackDelta)
    }

    /// A range query from `start` to `end` (inclusive, Unix ms) every `step` ms.
    public func rangeQuery(_ queryable: any Queryable, _ query: String, start: Int64, end: Int64, step: Int64,
                           lookbackDelta: Int64? = nil) async throws -> QueryResult {
        try await rangeQuery(queryable, try PromQL.parse(query, compat: options.compat, features: options.features), start: start, end: end, step: step,
                             lookbackDelta: lookbackDelta)
    }

    public func rangeQuery(_ queryable: any Queryable, _ expr: Expr, start: Int64, end: Int64, step: Int64,
                           lookbackDelta: Int64? = nil) async throws -> QueryResult {
        try Self.checkRange(expr, start: start, end: end, step: step)
        return try await exec(queryable, expr, start: start, end: end, interval: step, lookbackDelta: lookbackDelta).result
    }

    static func checkRange(_ expr: Expr, start: Int64, end: Int64, step: Int64) throws {
        guard expr.type == .vector || expr.type == .scalar else {
            throw QueryError.badQuery("invalid expression type \"\(expr.type.documented)\" for range query, must be Scalar or instant Vector")
        }
        guard step > 0 else { throw QueryError.badQuery("zero or negative query resolution step widths are not accepted") }
        guard end >= start else { throw QueryError.badQuery("end timestamp must not be before start time") }
    }

    func exec(_ queryable: any Queryable, _ expr0: Expr, start: Int64, end: Int64, interval: Int64,
              lookbackDelta: Int64?) async throws -> QueryOutput {
        let lookback = lookbackDelta ?? options.lookbackDelta
        let deadline = ContinuousClock.now.advanced(by: options.timeout)
        var folded = expr0
        if options.compat == .v3_14, QueryContextFold.uses(expr0) {
            folded = try QueryContextFold.fold(expr0, start: start, end: end, step: interval)
        }
        var expr = Preprocessor.preprocess(folded, start: start, end: end)
        var pushed: [Int: [StorageSeries]] = [:]
        if let remote = queryable as? any RemoteEvaluating {
            (expr, pushed) = await pushDown(remote, original: expr0, expr, start: start, end: end, interval: interval, lookback: lookback)
        }

        let prefetch = SeriesPrefetch(start: start, end: end, interval: interval, lookbackDelta: lookback,
                                      noStepSubqueryInterval: options.noStepSubqueryInterval)
        var series = try await Self.fetch(queryable, prefetch.requests(for: expr).filter { pushed[$0.id] == nil }, deadline: deadline)
        series.merge(pushed) { a, _ in a }

        let shared = EvalShared(series: series, maxSamples: options.maxSamples, lookbackDelta: lookback,
                                deadline: deadline, noStepSubqueryInterval: options.noStepSubqueryInterval,
                                compat: options.compat, delayNameRemoval: options.features.contains(.delayedNameRemoval))
        // Pushed-down answers are taken as they are (the endpoint decoded what it needed).
        if options.compat == .v3_14 { shared.statsOnlySelectors = HistogramStatsDecoding.selectors(expr).subtracting(pushed.keys) }
        shared.columnar = options.columnar
        if interval == 0 {
            let ev = Evaluator(start: start, end: start, interval: 1, shared: shared)
            var val = try ev.eval(expr)
            if case .matrix(let mat) = val { val = .matrix(try ev.finalNames(mat)) }
            let annotations = shared.annotations
            switch val {
            case .string(let s): return QueryOutput(result: .string(t: start, v: s), annotations: annotations)
            case .matrix(let mat):
                switch expr.type {
                case .vector:
                    return QueryOutput(result: .vector(mat.map {
                        Sample(labels: $0.labels, t: start, v: $0.points.first?.v ?? 0, h: $0.histograms.first?.h)
                    }), annotations: annotations)
                case .scalar:
                    return QueryOutput(result: .scalar(t: start, v: mat.first?.points.first?.v ?? .nan), annotations: annotations)
                default:
                    return QueryOutput(result: .matrix(mat), annotations: annotations)
                }
            }
        }
        let ev = Evaluator(start: start, end: end, interval: interval, shared: shared)
        guard case .matrix(let evaluated) = try ev.eval(expr) else {
            throw QueryError.badQuery("invalid expression type \"string\" for range query")
        }
        var mat = try ev.finalNames(evaluated)
        try shared.checkDeadline("expression evaluation")
        mat.sort { $0.labels < $1.labels }
        return QueryOutput(result: .matrix(mat), annotations: shared.annotations)
    }

    /// Selects every selector's series concurrently (remote stores answer in parallel);
    /// identical requests are sent once.
    static func fetch(_ queryable: any Queryable, _ requests: [SeriesPrefetch.Request],
                      deadline: ContinuousClock.Instant) async throws -> [Int: [StorageSeries]] {
        struct Key: Hashable {
            let matchers: [Matcher]
            let hints: SelectHints
        }
        var unique: [Key: [Int]] = [:]
        for r in requests { unique[Key(matchers: r.matchers, hints: r.hints), default: []].append(r.id) }
        @Sendable func select(_ key: Key) async throws -> [StorageSeries] {
            try Task.checkCancellation()
            do {
                return try await queryable.select(matchers: key.matchers, hints: key.hints)
            } catch let e as CancellationError {
                throw e
            } catch let e as QueryError {
                throw e
            } catch {
                throw QueryError.storage("\(error)")
            }
        }
        var out: [Int: [StorageSeries]] = [:]
        // One selector is selected in the calling task (a child task is two hops between threads).
        if unique.count == 1, let (key, ids) = unique.first {
            let series = try await select(key)
            for id in ids { out[id] = series }
            if ContinuousClock.now > deadline { throw QueryError.timeout("query preparation") }
            return out
        }
        try await withThrowingTaskGroup(of: ([Int], [StorageSeries]).self) { group in
            for (key, ids) in unique {
                // Off a caller's event loop (a store's wire call): selections in parallel.
                group.addTask(executorPreference: globalConcurrentExecutor) { (ids, try await select(key)) }
            }
            for try await (ids, series) in group {
                for id in ids { out[id] = series }
                if ContinuousClock.now > deadline {
                    group.cancelAll()
                    throw QueryError.timeout("query preparation")
                }
            }
        }
        return out
    }
}

import StrataCore

/// A query, or an aggregation in it, handed to the storage to evaluate next to the data (query
/// pushdown): each store evaluates `query` over its own series and returns one partial series
/// per group, and the engine combines the partials with the outer aggregation that composes
/// them (`sum` of sums, `sum` of counts, `min` of mins, `topk` of topks, …) — or, for a whole
/// query one endpoint holds, takes its answer as the answer.
public struct RemoteFragment: Sendable {
    /// The aggregation as PromQL text of the engine's semantics (`compat`).
    public let query: String
    /// The query's grid: the fragment is evaluated at every step of it (one step when
    /// `interval` is 0, an instant query).
    public let start: Int64
    public let end: Int64
    public let interval: Int64
    public let lookbackDelta: Int64
    public let compat: PromQLCompat
    public let features: PromQLFeatures
    /// The engine's `maxSamples`, for the remote engine to hold to.
    public let maxSamples: Int
    /// The fragment is the whole query: the storage may take it only if one endpoint holds
    /// every series it reads (nothing is combined afterwards), and must keep the answer's
    /// series order (an instant query's `sort` or `topk` order is the answer's).
    public let wholeQuery: Bool
    /// What the fragment reads: each selector's matchers and the time range its samples
    /// come from (ranges, offsets and lookback included). The storage decides from these
    /// which endpoints hold the data and whether each holds whole series.
    public let selections: [Selection]

    public struct Selection: Sendable {
        public let matchers: [Matcher]
        public let start: Int64
        public let end: Int64
    }
}

/// A storage that can evaluate fragments next to the data. `nil` means "evaluate it here":
/// the storage cannot prove the partials compose (a series could be split over endpoints,
/// an endpoint lacks the Query API, the result holds what the transport does not carry), or
/// the remote evaluation failed; the engine then selects the raw series as usual.
public protocol RemoteEvaluating: Queryable {
    /// Series with samples at the grid's steps (a group absent at a step has none there):
    /// floats, and for a whole query also native histograms. Partials of several endpoints
    /// may share labels and come in label order; a whole query's answer keeps its order.
    func evaluateRemotely(_ fragment: RemoteFragment) async -> [StorageSeries]?
}

/// Finds the aggregations a `RemoteEvaluating` storage may evaluate and rewrites the tree to
/// combine their partial results. Only what composes exactly is pushed down:
/// `sum`, `count`, `min`, `max`, `group`, `topk` and `bottomk` (a literal `k`) directly over
/// an instant selector or one of the per-series range functions below over a plain range
/// selector — no `@`, no subquery, no extended range selectors, not inside a subquery or
/// under `@`, and not with delayed name removal (its name marks do not travel).
enum Pushdown {
    /// Range functions that look at one series' samples only.
    static let rangeFunctions: Set<String> = [
        "rate", "increase", "delta", "irate", "idelta", "changes", "resets", "deriv",
        "avg_over_time", "min_over_time", "max_over_time", "sum_over_time", "count_over_time",
        "last_over_time", "present_over_time", "stddev_over_time", "stdvar_over_time",
    ]

    /// The aggregation that combines per-store partials of `op`.
    static func combining(_ op: AggregateOp) -> AggregateOp? {
        switch op {
        case .sum, .count: return .sum
        case .min, .max, .group, .topk, .bottomk: return op
        default: return nil
        }
    }

    struct Candidate {
        let id: Int
        let aggregate: AggregateExpr
    }

    /// The tree with every pushable aggregation replaced by its combining aggregation over a
    /// selector numbered from `firstID` (whose series are the partials), and those candidates.
    /// Candidates are numbered in tree order, so `skipping` leaves the given ones as written.
    static func rewrite(_ e: Expr, firstID: Int, skipping: Set<Int> = []) -> (Expr, [Candidate]) {
        var found: [Candidate] = []
        var next = firstID
        func walk(_ e: Expr) -> Expr {
            switch e {
            case .paren(let x): return .paren(walk(x))
            case .unary(let op, let x): return .unary(op, walk(x))
            case .binary(var b):
                b.lhs = walk(b.lhs)
                b.rhs = walk(b.rhs)
                return .binary(b)
            case .call(var c):
                // Arguments that are instant vectors are evaluated on the query's grid.
                guard c.function.name != "timestamp", c.infoSeriesID == nil else { return e }
                c.args = c.args.map { $0.type == .vector ? walk($0) : $0 }
                return .call(c)
            case .aggregate(var a):
                if let outer = combining(a.op), pushable(a) {
                    let id = next
                    next += 1
                    if skipping.contains(id) { return e }
                    found.append(Candidate(id: id, aggregate: a))
                    let vs = VectorSelector(name: "", matchers: [], offset: 0, at: nil, id: id)
                    var combined = a
                    combined.op = outer
                    combined.expr = .vectorSelector(vs)
                    return .aggregate(combined)
                }
                a.expr = walk(a.expr)
                return .aggregate(a)
            case .number, .string, .vectorSelector, .matrixSelector, .subquery, .stepInvariant:
                return e
            }
        }
        let out = walk(e)
        return (out, found)
    }

    static func pushable(_ a: AggregateExpr) -> Bool {
        if let p = a.param {
            // A k the engine refuses (NaN, beyond int64) fails the query here, with its text.
            guard case .number(let k) = p.unwrapped, k.isFinite, abs(k) < 0x1p53 else { return false }
        }
        switch a.expr.unwrapped {
        case .vectorSelector(let vs):
            return plain(vs)
        case .call(let c):
            guard rangeFunctions.contains(c.function.name), c.args.count == 1,
                  case .matrixSelector(let vs, _) = c.args[0].unwrapped else { return false }
            return plain(vs)
        default:
            return false
        }
    }

    static func plain(_ vs: VectorSelector) -> Bool {
        vs.at == nil && !vs.anchored && !vs.smoothed && vs.deferredRange == nil && vs.deferredOffset == nil
    }

    /// Whether evaluating the whole query next to the data sends less than the series it
    /// reads: an instant vector always (one sample a series, against the chunks holding its
    /// lookback or range window, which the store then decodes in process instead of the
    /// querier off the wire: an instant `up` over 129 series measured −25 % of the querier's
    /// CPU, −10 % of both processes'), a range query when it `reduces` or its step is at
    /// least `sparseStep` (`interval` 0: an instant query).
    static func worthWhole(_ e: Expr, interval: Int64) -> Bool {
        e.type == .vector && (interval == 0 || reduces(e) || interval >= sparseStep)
    }

    /// A step from which a range query's step values are fewer bytes than the chunks they
    /// are read from, whatever the query (at 30 s scrapes ≥ 10 samples a step: 16 bytes a
    /// value against ~1.4 a compressed sample). A week of dashboards at 10 m steps measured
    /// (2 cores, one store): `rate(http_requests_total[5m])` over 1,290 series 483 → 284 ms,
    /// `http_requests_total{job="api"}` 38 → 24 ms, `up` 72 → 64 ms; the querier then holds
    /// step values, not the week's samples (the heavy answer's peak RSS 1,248 → 228 MiB).
    static let sparseStep: Int64 = 300_000

    /// Whether every selector of the tree is read under an aggregation: the answer is then
    /// small next to the series it reads, and evaluating the whole query next to the data
    /// saves moving them. A range query that returns series as they are (`up`, `rate(x[5m])`)
    /// at a step near the scrape interval sends more as step values than as compressed
    /// chunks, and is better evaluated here.
    static func reduces(_ e: Expr) -> Bool {
        switch e {
        case .aggregate: return true
        case .vectorSelector, .matrixSelector: return false
        case .number, .string: return true
        case .subquery(let sq): return reduces(sq.expr)
        case .paren(let x), .stepInvariant(let x), .unary(_, let x): return reduces(x)
        case .binary(let b): return reduces(b.lhs) && reduces(b.rhs)
        case .call(let c): return c.args.allSatisfy(reduces)
        }
    }

    /// The highest selector id in the tree (fresh ids start above it).
    static func maxID(_ e: Expr) -> Int {
        switch e {
        case .vectorSelector(let vs), .matrixSelector(let vs, _): return vs.id
        case .subquery(let sq): return maxID(sq.expr)
        case .paren(let x), .stepInvariant(let x), .unary(_, let x): return maxID(x)
        case .binary(let b): return max(maxID(b.lhs), maxID(b.rhs))
        case .call(let c): return c.args.reduce(c.infoSeriesID ?? 0) { max($0, maxID($1)) }
        case .aggregate(let a): return max(maxID(a.expr), a.param.map(maxID) ?? 0)
        case .number, .string: return 0
        }
    }

    /// Partials as a selector's series: a stale marker at each step where a group that had a
    /// value (float or histogram) at the step before has none, so the lookback of the
    /// combining aggregation's selector never carries a value into a step where the store had
    /// none. A float stale marker also hides a histogram: the selector takes the newer sample.
    static func asSelected(_ series: [StorageSeries], start: Int64, end: Int64, interval: Int64) -> [StorageSeries] {
        guard interval > 0 else { return series }
        return series.map { s in
            guard !s.histograms.isEmpty else { return floatsWithStaleMarkers(s, end: end, interval: interval) }
            let present = Set(s.samples.timestamps).union(s.histograms.timestamps)
            var out = s
            var stale: [Int64] = []
            for t in present where t < end && !present.contains(t + interval) { stale.append(t + interval) }
            guard !stale.isEmpty else { return out }
            for t in stale.sorted() { out.samples.insert(t, staleNaN) }
            return out
        }
    }

    /// `asSelected` for a float series, in one pass over its (sorted) samples.
    static func floatsWithStaleMarkers(_ s: StorageSeries, end: Int64, interval: Int64) -> StorageSeries {
        let ts = s.samples.timestamps, vs = s.samples.values
        var out = SampleColumns()
        out.timestamps.reserveCapacity(ts.count + 1)
        out.values.reserveCapacity(ts.count + 1)
        for k in ts.indices {
            if k > 0, ts[k] != ts[k - 1] + interval {
                out.timestamps.append(ts[k - 1] + interval)
                out.values.append(staleNaN)
            }
            out.timestamps.append(ts[k])
            out.values.append(vs[k])
        }
        if let last = ts.last, last < end {
            out.timestamps.append(last + interval)
            out.values.append(staleNaN)
        }
        return StorageSeries(labels: s.labels, samples: out)
    }
}

extension Engine {
    /// Pushes the query down to a `RemoteEvaluating` storage: all of it when one endpoint
    /// holds every series it reads, else its pushable aggregations, all at once. Returns the
    /// tree to evaluate and the series of what was pushed (by selector id); a fragment the
    /// storage declined stays in the tree as written.
    func pushDown(_ remote: any RemoteEvaluating, original: Expr, _ expr: Expr, start: Int64, end: Int64, interval: Int64,
                  lookback: Int64) async -> (Expr, [Int: [StorageSeries]]) {
        let prefetch = SeriesPrefetch(start: start, end: end, interval: interval, lookbackDelta: lookback,
                                      noStepSubqueryInterval: options.noStepSubqueryInterval)
        func fragment(_ e: Expr, printed: Expr, whole: Bool) -> RemoteFragment {
            RemoteFragment(query: printed.promQLString(compat: options.compat), start: start, end: end, interval: interval,
                           lookbackDelta: lookback, compat: options.compat, features: options.features,
                           maxSamples: options.maxSamples, wholeQuery: whole,
                           selections: prefetch.requests(for: e).map { .init(matchers: $0.matchers, start: $0.hints.start, end: $0.hints.end) })
        }
        let firstID = Pushdown.maxID(expr) + 1
        // The whole query, as written (the endpoint folds and preprocesses it the same way),
        // when its answer is smaller than what it reads.
        if Pushdown.worthWhole(expr, interval: interval), !prefetch.requests(for: expr).isEmpty,
           let series = await remote.evaluateRemotely(fragment(expr, printed: original, whole: true)) {
            let all = VectorSelector(name: "", matchers: [], offset: 0, at: nil, id: firstID)
            return (.vectorSelector(all), [firstID: Pushdown.asSelected(series, start: start, end: end, interval: interval)])
        }
        guard !options.features.contains(.delayedNameRemoval) || options.compat == .v2_42 else { return (expr, [:]) }
        let (rewritten, candidates) = Pushdown.rewrite(expr, firstID: firstID)
        guard !candidates.isEmpty else { return (expr, [:]) }
        let fragments = candidates.map { fragment(.aggregate($0.aggregate), printed: .aggregate($0.aggregate), whole: false) }
        let answers = await withTaskGroup(of: (Int, [StorageSeries]?).self) { group in
            for (k, f) in fragments.enumerated() {
                group.addTask { (k, await remote.evaluateRemotely(f)) }
            }
            var out: [Int: [StorageSeries]] = [:]
            for await (k, series) in group {
                if let series { out[candidates[k].id] = Pushdown.asSelected(series, start: start, end: end, interval: interval) }
            }
            return out
        }
        guard !answers.isEmpty else { return (expr, [:]) }
        if answers.count == candidates.count { return (rewritten, answers) }
        // Some were declined: rewrite again, pushing only the ones answered.
        let declined = Set(candidates.map(\.id)).subtracting(answers.keys)
        return (Pushdown.rewrite(expr, firstID: firstID, skipping: declined).0, answers)
    }
}

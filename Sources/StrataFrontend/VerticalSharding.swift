import StrataCore
import StrataPromQL

/// Vertical query sharding (`--query-frontend.vertical-shards`, Thanos's name): a range query
/// whose every output series is computed from series that agree on some labels is sent as N
/// queries, each with a Store API `shard_info` selecting the series whose hash of those
/// labels falls into its shard. Each output series is then computed whole in exactly one
/// shard, from the same inputs in the same order as unsharded, so the shards' answers put
/// together are the unsharded answer, bit for bit.
///
/// A query is sharded only when that holds for every part of it: aggregations group `by`
/// labels (the shard labels must be among them) or `without` labels (those stay out of the
/// hash); vector matching is `on` labels (likewise) or `ignoring` (out of the hash);
/// `histogram_quantile` and `histogram_fraction` keep `le` out. Anything that looks across
/// all series or makes series from nothing — `sum` with no grouping, `scalar`, `vector`,
/// `absent`, `label_replace`/`label_join`, `info`, sorting — leaves the query unsharded.
public enum VerticalSharding {
    /// What an expression asks of the shard labels.
    struct Constraint {
        /// Labels the shard may hash (nil: any label).
        var allowed: Set<String>?
        /// Labels the shard must not hash; `__name__` always (functions may drop it, and two
        /// series differing only by name would then collide in the output).
        var excluded: Set<String> = [metricNameLabel]
        /// The expression yields series read from storage (not only numbers).
        var series = false

        mutating func restrict(to labels: [String]) {
            allowed = allowed.map { $0.intersection(labels) } ?? Set(labels)
        }

        func merged(_ o: Constraint) -> Constraint {
            var c = self
            if let a = o.allowed { c.allowed = c.allowed.map { $0.intersection(a) } ?? a }
            c.excluded.formUnion(o.excluded)
            c.series = series || o.series
            return c
        }
    }

    /// Functions that look across series or make series from nothing.
    static let unshardable: Set<String> = [
        "absent", "absent_over_time", "scalar", "vector", "sort", "sort_desc", "sort_by_label", "sort_by_label_desc",
        "label_replace", "label_join", "info",
    ]
    /// Functions over classic histogram buckets: `le` tells the buckets of one histogram apart.
    static let bucketFunctions: Set<String> = ["histogram_quantile", "histogram_fraction"]

    /// The `total` shards of `query`; empty when it cannot be sharded (or `total` < 2).
    public static func shards(_ query: String, total: Int) -> [SeriesShard] {
        guard let first = shard(query, index: 0, total: total) else { return [] }
        return (0..<total).map { i in
            var s = first
            s.index = i
            return s
        }
    }

    /// The `shard_info` parameter carrying `s` (Thanos's JSON of a Store API `ShardInfo`).
    public static func parameter(_ s: SeriesShard) -> String {
        "{\"shard_index\":\(s.index),\"total_shards\":\(s.total),\"by\":\(s.by),\"labels\":["
            + s.labels.sorted().map { goJSONString($0) }.joined(separator: ",") + "]}"
    }

    /// The shard `index` of `total` for `query`, or nil when the query cannot be sharded.
    public static func shard(_ query: String, index: Int, total: Int) -> SeriesShard? {
        guard total > 1, let expr = try? PromQL.parse(query, compat: .v3_14, features: .all),
              expr.type == .vector || expr.type == .matrix,
              let c = constraint(expr), c.series else { return nil }
        if let allowed = c.allowed {
            let labels = allowed.subtracting(c.excluded)
            guard !labels.isEmpty else { return nil }
            return SeriesShard(index: index, total: total, by: true, labels: labels)
        }
        return SeriesShard(index: index, total: total, by: false, labels: c.excluded)
    }

    static func constraint(_ e: Expr) -> Constraint? {
        switch e {
        case .number, .string:
            return Constraint()
        case .vectorSelector, .matrixSelector:
            var c = Constraint()
            c.series = true
            return c
        case .subquery(let s):
            return constraint(s.expr)
        case .paren(let x), .stepInvariant(let x), .unary(_, let x):
            return constraint(x)
        case .aggregate(let a):
            // One group over everything (`sum(x)`) spans every shard.
            guard a.without || !a.grouping.isEmpty, var c = constraint(a.expr) else { return nil }
            if let p = a.param {
                guard let pc = constraint(p), !pc.series else { return nil }
            }
            if a.without { c.excluded.formUnion(a.grouping) } else { c.restrict(to: a.grouping) }
            return c
        case .call(let call):
            let name = call.function.name
            guard !unshardable.contains(name) else { return nil }
            var c = Constraint()
            for arg in call.args {
                guard let ac = constraint(arg) else { return nil }
                c = c.merged(ac)
            }
            if bucketFunctions.contains(name) { c.excluded.insert("le") }
            return c
        case .binary(let b):
            guard let l = constraint(b.lhs), let r = constraint(b.rhs) else { return nil }
            var c = l.merged(r)
            if let m = b.matching, l.series && r.series {
                if m.on { c.restrict(to: m.matchingLabels) } else { c.excluded.formUnion(m.matchingLabels) }
            }
            return c
        }
    }
}

import Foundation
import StrataCore
import Testing
@testable import StrataPromQL

/// Query pushdown in the engine: which aggregations are pushed, and that combining the
/// partials of several "endpoints" — each evaluating the fragment over its own series, as a
/// store does — gives the answer of evaluating over all series at once.
@Suite struct PushdownTests {
    /// Storage split into parts holding disjoint series; each part evaluates a fragment with
    /// the same engine, as `StorePushdownAPI` does next to the data.
    struct Split: RemoteEvaluating {
        let parts: [MemoryQueryable]
        let calls = Counter()

        final class Counter: @unchecked Sendable {
            let lock = NSLock()
            var queries: [String] = []
            func add(_ q: String) { lock.lock(); queries.append(q); lock.unlock() }
            var all: [String] { lock.lock(); defer { lock.unlock() }; return queries }
        }

        func select(matchers: [Matcher], hints: SelectHints) async throws -> [StorageSeries] {
            var out: [StorageSeries] = []
            for p in parts { out += try await p.select(matchers: matchers, hints: hints) }
            return out.sorted { $0.labels < $1.labels }
        }

        func evaluateRemotely(_ f: RemoteFragment) async -> [StorageSeries]? {
            // As the querier does: a whole query only where one endpoint holds everything.
            if f.wholeQuery && parts.count > 1 { return nil }
            calls.add(f.query)
            let engine = Engine(options: EngineOptions(compat: f.compat, features: f.features))
            var out: [StorageSeries] = []
            for p in parts {
                guard let expr = try? PromQL.parse(f.query, compat: f.compat),
                      let r = try? await engine.query(p, expr, start: f.start, end: f.end, step: f.interval,
                                                      lookbackDelta: f.lookbackDelta) else { return nil }
                switch r.result {
                case .matrix(let m):
                    out += m.map { StorageSeries(labels: $0.labels, samples: SampleColumns(timestamps: $0.points.map(\.t), values: $0.points.map(\.v))) }
                case .vector(let v):
                    out += v.map { StorageSeries(labels: $0.labels, samples: SampleColumns(timestamps: [$0.t], values: [$0.v])) }
                default:
                    return nil
                }
            }
            return out
        }
    }

    /// Two parts (clusters), counters and gauges; some series exist only for part of the time,
    /// so groups appear and vanish between steps.
    static func split() -> (Split, MemoryQueryable) {
        var parts: [MemoryQueryable] = []
        var all = MemoryQueryable()
        for (c, cluster) in ["east", "west"].enumerated() {
            var s = MemoryQueryable()
            for (j, job) in ["api", "db", "web"].enumerated() {
                for i in 0..<4 {
                    let l = Labels(["__name__": "http_requests_total", "cluster": cluster, "job": job, "instance": "i\(i)"])
                    let g = Labels(["__name__": "mem_bytes", "cluster": cluster, "job": job, "instance": "i\(i)"])
                    for k in 0..<480 {
                        let t = Int64(k) * 15_000
                        // db exists only in the second half in the west, web has a 20-minute hole.
                        if job == "db" && c == 1 && k < 240 { continue }
                        if job == "web" && (100..<180).contains(k) { continue }
                        // No two series share a rate: topk's choice among equal values depends on order.
                        let v = Double(k) * (Double(1 + i + 4 * c) + 0.13 * Double(j)) + (k > 300 && i == 2 ? -500 : 0)
                        let m = 1e6 + sin(Double(k + i * 7 + c * 13)) * 1e5
                        s.append(l, t, v)
                        s.append(g, t, m)
                        all.append(l, t, v)
                        all.append(g, t, m)
                    }
                }
            }
            parts.append(s)
        }
        return (Split(parts: parts), all)
    }

    static let queries = [
        "sum by (job) (rate(http_requests_total[5m]))",
        "sum(rate(http_requests_total[5m]))",
        "count by (cluster) (mem_bytes)",
        "max by (job) (max_over_time(mem_bytes[10m]))",
        "min without (instance) (avg_over_time(mem_bytes[10m]))",
        "group by (job) (mem_bytes)",
        "topk(3, rate(http_requests_total[5m]))",
        "bottomk(2, mem_bytes offset 10m)",
        "sum by (job) (increase(http_requests_total[15m])) / on (job) count by (job) (mem_bytes)",
        "histogram_quantile(0.9, sum by (le) (rate(http_requests_total[5m])))",
        "sum by (job) (changes(mem_bytes[10m]))",
    ]

    @Test func partialsCombineToTheWholeAnswer() async throws {
        let (split, all) = Self.split()
        let engine = Engine()
        for q in Self.queries {
            for (start, end, step): (Int64, Int64, Int64) in [(600_000, 7_000_000, 60_000), (0, 7_200_000, 15_000), (3_000_000, 3_000_000, 0)] {
                let expr = try PromQL.parse(q)
                let want = try await engine.query(all, expr, start: start, end: end, step: step)
                let got = try await engine.query(split, expr, start: start, end: end, step: step)
                #expect(Self.close(want.result, got.result), "\(q) [\(start), \(end), \(step)]\n\(Self.firstDifference(want.result, got.result))")
            }
        }
        #expect(split.calls.all.count >= Self.queries.count * 3)
    }

    /// One endpoint holding everything gets the whole query, whatever it is, and its answer is
    /// the answer — an instant vector's order included.
    @Test func wholeQueryToOneEndpoint() async throws {
        let (_, all) = Self.split()
        let one = Split(parts: [all])
        let engine = Engine()
        for q in ["sort_desc(sum by (job, instance) (rate(http_requests_total[5m])))", "topk(4, mem_bytes)", "absent(sum(nope))",
                  "label_replace(max_over_time(max by (job) (mem_bytes)[10m:1m]), \"j\", \"$1\", \"job\", \"(.)\")",
                  "max by (job) (rate(http_requests_total[5m])) > 0.4 and on (job) count by (job) (mem_bytes)", "avg by (job) (mem_bytes)"] {
            let expr = try PromQL.parse(q)
            for step: Int64 in [0, 60_000] {
                let want = try await engine.query(all, expr, start: 3_000_000, end: step == 0 ? 3_000_000 : 6_000_000, step: step)
                let got = try await engine.query(one, expr, start: 3_000_000, end: step == 0 ? 3_000_000 : 6_000_000, step: step)
                if case .vector(let w) = want.result, case .vector(let g) = got.result {
                    #expect(w.map(\.labels) == g.map(\.labels) && w.map(\.v) == g.map(\.v), "\(q): order or values differ")
                } else {
                    #expect(Self.close(want.result, got.result), "\(q)\n\(Self.firstDifference(want.result, got.result))")
                }
            }
        }
        #expect(one.calls.all.count == 12, "\(one.calls.all)")
        // Series returned as they are: a range query at a short step evaluates them here (its
        // step values outweigh the chunks); an instant query's one sample a series does not,
        // nor do a range query's steps `sparseStep` or more apart.
        for q in ["up", "rate(http_requests_total[5m])", "max_over_time(rate(http_requests_total[5m])[30m:1m])"] {
            #expect(!Pushdown.reduces(try PromQL.parse(q)), "\(q)")
            #expect(!Pushdown.worthWhole(try PromQL.parse(q), interval: 60_000), "\(q)")
            #expect(!Pushdown.worthWhole(try PromQL.parse(q), interval: Pushdown.sparseStep - 1), "\(q)")
            #expect(Pushdown.worthWhole(try PromQL.parse(q), interval: Pushdown.sparseStep), "\(q)")
            #expect(Pushdown.worthWhole(try PromQL.parse(q), interval: 0), "\(q)")
        }
        #expect(!Pushdown.worthWhole(try PromQL.parse("up[5m]"), interval: 0))
        #expect(!Pushdown.worthWhole(try PromQL.parse("scalar(up)"), interval: 0))
        #expect(!Pushdown.worthWhole(try PromQL.parse("scalar(up)"), interval: Pushdown.sparseStep))
        #expect(Pushdown.reduces(try PromQL.parse("histogram_quantile(0.9, sum by (le) (rate(x[5m]))) > 1")))
    }

    /// Instant queries whose answer is the series as they are go whole to one endpoint, in
    /// the answer's order; the same queries over a range are evaluated here, but for steps
    /// `sparseStep` apart, which go whole as well.
    @Test func instantSeriesQueriesGoWhole() async throws {
        let (_, all) = Self.split()
        let one = Split(parts: [all])
        let engine = Engine()
        let queries = ["http_requests_total", "rate(http_requests_total[5m])", "timestamp(mem_bytes offset 1m)",
                       "sort_desc(mem_bytes{job=\"db\"})", "mem_bytes > 1050000", "irate(http_requests_total{instance=\"i2\"}[1m]) * 60"]
        for q in queries {
            let expr = try PromQL.parse(q)
            for t: Int64 in [3_000_000, 7_000_000, 9_000_000] {
                let want = try await engine.query(all, expr, start: t, end: t, step: 0)
                let got = try await engine.query(one, expr, start: t, end: t, step: 0)
                guard case .vector(let w) = want.result, case .vector(let g) = got.result else {
                    Issue.record("\(q): not a vector")
                    continue
                }
                #expect(w.map(\.labels) == g.map(\.labels) && w.map(\.v.bitPattern) == g.map(\.v.bitPattern) && w.map(\.t) == g.map(\.t),
                        "\(q) at \(t): order or values differ")
            }
            _ = try await engine.query(one, expr, start: 3_000_000, end: 6_000_000, step: 60_000)
            // At steps `sparseStep` apart the range query goes whole too: the same matrix.
            let sparse = Pushdown.sparseStep
            let want = try await engine.query(all, expr, start: 600_000, end: 600_000 + 12 * sparse, step: sparse)
            let got = try await engine.query(one, expr, start: 600_000, end: 600_000 + 12 * sparse, step: sparse)
            #expect(Self.close(want.result, got.result) && !"\(want.result)".isEmpty, "\(q)\n\(Self.firstDifference(want.result, got.result))")
        }
        #expect(one.calls.all == queries.flatMap { [$0, $0, $0, $0] }, "\(one.calls.all)")
    }

    @Test func onlyComposableAggregationsArePushed() throws {
        func pushed(_ q: String) throws -> [String] {
            let e = try PromQL.parse(q)
            return Pushdown.rewrite(e, firstID: Pushdown.maxID(e) + 1).1.map { Expr.aggregate($0.aggregate).promQLString }
        }
        #expect(try pushed("histogram_quantile(0.99, sum by (le, job) (rate(x_bucket[5m])))") == ["sum by (le, job) (rate(x_bucket[5m]))"])
        #expect(try pushed("sum(a) / count(b)") == ["sum(a)", "count(b)"])
        #expect(try pushed("topk(5, rate(x[1m] offset 1h))") == ["topk(5, rate(x[1m] offset 1h))"])
        // Not composable, not a plain selector below, or not on the query's grid.
        for q in ["avg(x)", "quantile(0.5, x)", "stddev(x)", "count_values(\"v\", x)", "sum(x * 2)", "sum(rate(x[5m] @ 100))",
                  "max_over_time(sum(x)[10m:1m])", "sum(sum(x))", "topk(scalar(y), x)", "topk(NaN, x)",
                  "sum(quantile_over_time(0.5, x[5m]))", "sum(rate(x[5m:1m]))", "timestamp(sum(x))"] {
            let outer = try pushed(q)
            // `sum(sum(x))` pushes its inner sum; nothing else may be pushed.
            #expect(q == "sum(sum(x))" ? outer == ["sum(x)"] : outer.isEmpty, "\(q): \(outer)")
        }
    }

    @Test func aGroupMissingAtAStepStaysMissing() {
        let s = StorageSeries(labels: Labels(["job": "a"]),
                              samples: SampleColumns(timestamps: [0, 60_000, 240_000], values: [1, 2, 3]))
        let out = Pushdown.asSelected([s], start: 0, end: 300_000, interval: 60_000)[0].samples
        #expect(out.timestamps == [0, 60_000, 120_000, 240_000, 300_000])
        #expect(out.values[0] == 1 && out.values[1] == 2 && isStaleNaN(out.values[2]) && out.values[3] == 3 && isStaleNaN(out.values[4]))
    }

    static func firstDifference(_ a: QueryResult, _ b: QueryResult) -> String {
        guard case .matrix(let x) = a, case .matrix(let y) = b else { return "want \(a)\ngot  \(b)" }
        if x.count != y.count { return "series: want \(x.map(\.labels)) got \(y.map(\.labels))" }
        for (s, t) in zip(x, y) where s.labels != t.labels || s.points.map(\.t) != t.points.map(\.t) || !zip(s.points, t.points).allSatisfy({ $0.v == $1.v }) {
            return "\(s.labels): want \(s.points.prefix(8)) got \(t.labels) \(t.points.prefix(8))"
        }
        return ""
    }

    /// Equal results, values within 1e-9 relative (partial sums add in another order).
    static func close(_ a: QueryResult, _ b: QueryResult) -> Bool {
        func eq(_ x: Double, _ y: Double) -> Bool {
            x == y || (x.isNaN && y.isNaN) || abs(x - y) <= 1e-9 * max(abs(x), abs(y))
        }
        switch (a, b) {
        case (.matrix(let x), .matrix(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { s, t in
                s.labels == t.labels && s.points.count == t.points.count
                    && zip(s.points, t.points).allSatisfy { $0.t == $1.t && eq($0.v, $1.v) }
            }
        case (.vector(let x), .vector(let y)):
            let xs = x.sorted { $0.labels < $1.labels }, ys = y.sorted { $0.labels < $1.labels }
            return xs.count == ys.count && zip(xs, ys).allSatisfy { $0.labels == $1.labels && $0.t == $1.t && eq($0.v, $1.v) }
        default:
            return false
        }
    }
}

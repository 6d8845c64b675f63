import Foundation
import StrataCore
import StrataPromQL
import StrataStore
import StrataStoreAPI
import StrataTestSupport
import Testing
@testable import StrataQuery

/// Series read only by a range function's window loop are decoded by its workers one at a
/// time (`SelectHints.decodeLazily`): the same samples and the same answers as decoding the
/// whole selection at once, over the blocks a real Prometheus wrote.
@Suite struct LazyDecodingTests {
    static let start: Int64 = 1_699_999_200_000
    static let end: Int64 = 1_700_017_000_000

    /// Passes every selection on with `decodeLazily` off: the engine's answer without the
    /// lazy path, and whether the lazy path was offered at all.
    final class Eager: Queryable, @unchecked Sendable {
        let inner: any Queryable
        nonisolated(unsafe) var lazyAsked = 0
        init(_ inner: any Queryable) { self.inner = inner }
        func select(matchers: [Matcher], hints: SelectHints) async throws -> [StorageSeries] {
            var h = hints
            if h.decodeLazily { lazyAsked += 1 }
            h.decodeLazily = false
            return try await inner.select(matchers: matchers, hints: h)
        }
    }

    static func queryable(dedup: Bool = false) throws -> StoreQueryable {
        var o = StoreQueryable.Options()
        o.dedup = dedup
        if dedup { o.replicaLabels = ["instance"] }
        return StoreQueryable.local(try LocalBlockStore(directory: TestEnv.testdata + "/prom-blocks"), options: o)
    }

    @Test func pendingSeriesDecodeToTheSameSamples() async throws {
        let q = try Self.queryable()
        let m = [try Matcher(.equal, "__name__", "http_requests_total")]
        var hints = SelectHints(start: Self.start, end: Self.end, step: 60_000, range: 300_000, function: "rate")
        let eager = try await q.select(matchers: m, hints: hints)
        hints.decodeLazily = true
        let lazy = try await q.select(matchers: m, hints: hints)
        #expect(eager.count > 1 && lazy.count == eager.count)
        for (a, b) in zip(eager, lazy) {
            #expect(a.pending == nil && b.pending != nil && b.samples.count == 0)
            #expect(a.labels == b.labels)
            let decoded = try b.floatSamples()
            #expect(decoded.timestamps == a.samples.timestamps && decoded.values.map(\.bitPattern) == a.samples.values.map(\.bitPattern))
        }
        // Replicas are merged from decoded samples: deduplicating selections stay eager.
        let dedup = try await Self.queryable(dedup: true).select(matchers: m, hints: hints)
        #expect(!dedup.isEmpty && dedup.allSatisfy { $0.pending == nil })
    }

    @Test func answersEqualDecodingEverythingFirst() async throws {
        let queries = [
            "rate(http_requests_total[5m])",
            "sum by (job) (increase(http_requests_total[10m]))",
            "max_over_time(up[15m] offset 5m)",
            "quantile_over_time(0.9, http_requests_total[30m])",
            "max_over_time(rate(http_requests_total[5m])[30m:1m])",
            "count_over_time(http_requests_total[1h] @ 1700010000)",
            "absent_over_time(nonexistent[5m])",
            "deriv(http_requests_total[20m]) > 0",
        ]
        let q = try Self.queryable()
        let eager = Eager(q)
        for text in queries {
            let lazy = try await Engine().rangeQuery(q, text, start: Self.start + 600_000, end: Self.end, step: 60_000)
            let plain = try await Engine().rangeQuery(eager, text, start: Self.start + 600_000, end: Self.end, step: 60_000)
            #expect(ResultJSON.success(lazy) == ResultJSON.success(plain), "\(text)")
        }
        #expect(eager.lazyAsked >= queries.count - 1, "range selectors under window functions ask for lazy decoding")
    }

    /// A corrupt chunk fails the query when its series is decoded, with the storage error
    /// the eager path gives.
    @Test func corruptChunkFailsTheQuery() throws {
        var c = Thanos_AggrChunk()
        c.minTime = 0
        c.maxTime = 1000
        c.raw.type = .xor
        c.raw.data = Data([0, 5, 1, 2])
        let pending = try #require(StoreQueryable.pending([c], aggregates: [.raw], labels: Labels(["a": "b"]), minTime: 0, maxTime: 1000))
        #expect(throws: QueryError.self) { try pending.decode() }
        var h = c
        h.raw.type = .histogram
        #expect(StoreQueryable.pending([c, h], aggregates: [.raw], labels: Labels(["a": "b"]), minTime: 0, maxTime: 1000) == nil)
    }
}

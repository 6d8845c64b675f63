import Foundation
import Logging
import StrataObjStore
import StrataCore
import StrataStore
import StrataTSDB
import StrataTestSupport
import Testing

/// Query pushdown through the querier and real gRPC: aggregations go to the stores only when
/// each store holds whole series, and the answer is the one without pushdown every time —
/// pushed, declined, or failed on the store.
@Suite(.serialized) struct PushdownQueryTests {
    static let queries = [
        "sum by (job) (rate(requests_total[5m]))",
        "max(max_over_time(temperature[10m]))",
        "count(temperature)",
        "topk(1, rate(requests_total[5m]))",
        "sum(rate(requests_total[5m])) / count(temperature)",
    ]

    /// Every query as a range query and at one instant, as JSON.
    static func answers(_ q: QuerierHarness, _ extra: String = "") async throws -> [String] {
        var out: [String] = []
        for query in queries {
            out.append(try await q.get(HADedupTests.range(query, extra)))
            let t = (HADedupTests.t0 + 3_000_000) / 1000
            out.append(try await q.get("/api/v1/query?query=\(PromQLDifferential.encode(query))&time=\(t)\(extra)"))
        }
        return out
    }

    static func plain(_ stores: [LocalBlockStore], _ extra: String = "", replicas: Bool = true) async throws -> [String] {
        try await QuerierHarness.with(stores: stores, configure: { $0.api.replicaLabels = replicas ? ["replica"] : [] }) {
            try await answers($0, extra)
        }
    }

    /// An HA pair: with deduplication the two stores share {cluster="c1"} once the replica
    /// label is dropped, so nothing is pushed (a store cannot merge its replica with the other
    /// store's); without deduplication each store's series are its own, so everything is.
    @Test func haPairIsPushedOnlyWithoutDedup() async throws {
        let stores = try HADedupTests.stores()
        let probe = PushdownProbe()
        try await QuerierHarness.with(stores: stores, pushdown: probe.factory, configure: { $0.api.replicaLabels = ["replica"] }) { q in
            let dedup = try await Self.answers(q)
            #expect(probe.queries.isEmpty, "pushed although replicas span stores: \(probe.queries)")
            #expect(dedup == (try await Self.plain(stores)))

            let raw = try await Self.answers(q, "&dedup=false")
            #expect(probe.queries.count == 2 * 6 * 2, "\(probe.queries)")  // 6 aggregations × 2 forms × 2 stores
            #expect(raw == (try await Self.plain(stores, "&dedup=false")))
            for a in dedup + raw { #expect(a.contains(#""status":"success""#), "\(a)") }
        }
    }

    /// Both replicas behind one store: the whole query goes to it, the store deduplicates
    /// them itself, and the answer is the querier's deduplicated answer.
    @Test func oneStoreDeduplicatesItsOwnReplicas() async throws {
        let one = LocalBlockStore(name: "both", blocks: try HADedupTests.blocks())
        let probe = PushdownProbe()
        try await QuerierHarness.with(stores: [one], pushdown: probe.factory, configure: { $0.api.replicaLabels = ["replica"] }) { q in
            let pushed = try await Self.answers(q)
            #expect(probe.queries.count == 5 * 2, "each query whole: \(probe.queries)")
            #expect(pushed == (try await Self.plain([one])))
        }
    }

    /// Both replicas in a bucket behind a store gateway, which reads its series for a pushed
    /// query in process (`LocalSeriesSource`: no Store API messages) and deduplicates them
    /// itself: the answers are the querier's own over the same blocks, with and without dedup.
    @Test func storeGatewayEvaluatesOverItsSeriesInProcess() async throws {
        let blocks = try HADedupTests.blocks()
        let dir = TestEnv.tempDir("pushdown-gateway")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/bucket", withIntermediateDirectories: true)
        for b in blocks {
            try FileManager.default.copyItem(atPath: b.dir, toPath: dir + "/bucket/" + b.meta.ulid.description)
        }
        let gateway = BucketStore(name: "gateway", bucket: try FilesystemBucket(directory: dir + "/bucket"),
                                  config: BucketStore.Config(dataDir: dir + "/data"), logger: Logger(label: "test"))
        #expect(try await gateway.sync().loaded.count == 2)
        let one = LocalBlockStore(name: "both", blocks: blocks)
        let probe = PushdownProbe()
        try await QuerierHarness.with(stores: [gateway], pushdown: probe.factory, configure: { $0.api.replicaLabels = ["replica"] }) { q in
            let dedup = try await Self.answers(q), raw = try await Self.answers(q, "&dedup=false")
            #expect(dedup == (try await Self.plain([one])))
            #expect(raw == (try await Self.plain([one], "&dedup=false")))
            #expect(probe.queries.count == 2 * 5 * 2, "each query whole: \(probe.queries)")
        }
    }

    /// The query's memory limit travels with a pushed-down fragment: the store holds the
    /// fragment's decoded series under it and fails the fragment beyond it (the querier then
    /// evaluates it itself and fails with its own limit's error), though the fragment's small
    /// answer alone would have fitted.
    @Test func theQuerysMemoryLimitHoldsInTheStore() async throws {
        let one = LocalBlockStore(name: "both", blocks: try HADedupTests.blocks())
        let query = "/api/v1/query_range?query=count(temperature)&start=\((HADedupTests.t0 + 600_000) / 1000)&end=\((HADedupTests.t0 + 7_000_000) / 1000)&step=60"
        let probe = PushdownProbe()
        try await QuerierHarness.with(stores: [one], pushdown: probe.factory, configure: {
            $0.api.replicaLabels = ["replica"]
            $0.api.maxMemoryPerQuery = 8 << 10
        }) { q in
            let (status, obj) = try await q.json(query)
            #expect(status == 422 && "\(obj["error"] ?? "")".contains("--query.max-memory-per-query"), "\(status) \(obj)")
            #expect(!probe.queries.isEmpty)
            #expect(probe.failures.withLock { $0 }.contains { $0.contains("--query.max-memory-per-query") },
                    "the store held more than the limit: \(probe.failures.withLock { $0 })")
        }
        // Without the limit the same fragment is answered by the store.
        let free = PushdownProbe()
        try await QuerierHarness.with(stores: [one], pushdown: free.factory, configure: { $0.api.replicaLabels = ["replica"] }) { q in
            let (status, _) = try await q.json(query)
            #expect(status == 200 && free.queries.count == 1 && free.failures.withLock { $0 }.isEmpty)
        }
    }

    /// A store whose Query API fails: the querier evaluates the fragment itself, same answer.
    @Test func failedPushdownFallsBack() async throws {
        let stores = try HADedupTests.stores()
        let probe = PushdownProbe(failing: true)
        try await QuerierHarness.with(stores: stores, pushdown: probe.factory, configure: { $0.api.replicaLabels = [] }) { q in
            let got = try await Self.answers(q)
            #expect(!probe.queries.isEmpty)
            #expect(got == (try await Self.plain(stores, replicas: false)))
        }
    }

    /// Native histograms Prometheus wrote: a whole query's answer carries them (float
    /// histograms in the Query API's answer) and equals the querier's own, JSON for JSON; a
    /// histogram partial that would have to be combined is evaluated in the querier.
    @Test func nativeHistogramAnswers() async throws {
        let block = try BlockReader(dir: NativeHistogramData.blockDir)
        let store = LocalBlockStore(name: "nh", blocks: [block])
        let start = Double(block.meta.minTime) / 1000, end = Double(block.meta.maxTime - 1) / 1000
        let queries = [
            "sum by (job) (rate(nh_request_duration_seconds[1m]))",
            "histogram_quantile(0.9, sum by (job) (rate(nh_request_duration_seconds[1m])))",
            "histogram_count(sum(nh_request_duration_seconds))",
            "sum(nh_schema_switch)",
            "max by (job) (nh_inflight)",
        ]
        func answers(_ q: QuerierHarness) async throws -> [String] {
            var out: [String] = []
            for query in queries {
                let e = PromQLDifferential.encode(query)
                out.append(try await q.get("/api/v1/query_range?query=\(e)&start=\(start)&end=\(end)&step=5"))
                out.append(try await q.get("/api/v1/query?query=\(e)&time=\(end)"))
            }
            return out
        }
        let plain = try await QuerierHarness.with(stores: [store]) { try await answers($0) }
        let probe = PushdownProbe()
        let pushed = try await QuerierHarness.with(stores: [store], pushdown: probe.factory) { try await answers($0) }
        #expect(probe.queries.count == queries.count * 2, "\(probe.queries)")
        #expect(probe.histogramSeries.withLock { $0 } > 0, "no store answered with native histograms")
        for (a, b) in zip(pushed, plain) { #expect(a == b) }
        #expect(plain.contains { $0.contains("\"histograms\"") }, "no histogram in the answers: the test would prove nothing")
    }

    /// `--query.pushdown=false` never calls the Query API.
    @Test func switchedOff() async throws {
        let stores = try HADedupTests.stores()
        let probe = PushdownProbe()
        try await QuerierHarness.with(stores: stores, pushdown: probe.factory, configure: { $0.api.pushdown = false }) { q in
            _ = try await Self.answers(q, "&dedup=false")
            #expect(probe.queries.isEmpty)
        }
    }
}

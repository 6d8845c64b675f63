import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import Prometheus
import StrataCore
import StrataFrontend
import StrataQuery
import StrataServer
import StrataStore
import StrataStoreAPI
import StrataTSDB
import StrataTestSupport
import Testing

/// Three days of data in 2h blocks (a counter, a gauge, a histogram over 6 pods), behind a
/// real querier over gRPC, with the frontend in front of it over HTTP.
final class FrontendStack: Sendable {
    static let t0: Int64 = 1_700_006_400_000 / 86_400_000 * 86_400_000  // midnight
    static let days: Int64 = 3

    static let blocks: String = {
        let dir = TestEnv.tempDir("frontend-blocks")
        var rng = SplitMix(state: 11)
        for b in 0..<(days * 12) {
            let lo = t0 + b * 7_200_000
            let w = try! BlockWriter(parentDir: dir, minTime: lo, maxTime: lo + 7_200_000)
            let ts = Array(stride(from: lo, to: lo + 7_200_000, by: 60_000))
            for pod in 0..<6 {
                let base = Double(pod * 1000) + Double(b) * 120
                try! w.add(Labels(["__name__": "req_total", "job": pod < 3 ? "api" : "db", "pod": "p\(pod)"]), timestamps: ts,
                           values: ts.enumerated().map { base + Double($0.offset) + Double(rng.next() % 3) })
                try! w.add(Labels(["__name__": "temp", "job": pod < 3 ? "api" : "db", "pod": "p\(pod)"]), timestamps: ts,
                           values: ts.map { 20 + sin(Double($0) / 3e6 + Double(pod)) })
            }
            try! w.commit { $0.thanos = ThanosMeta(labels: ["cluster": "c1"], source: "test") }
        }
        return dir
    }()

    let servers: [GRPCStoreServer]
    let querierTask: Task<Void, any Error>
    let frontendTask: Task<Void, any Error>
    let querierPort: Int
    let frontendPort: Int
    let service: FrontendService

    static func start(cache: (any ResultsCache)?, configure: (inout FrontendConfig) -> Void = { _ in },
                      querier: (inout QuerierService.Config) -> Void = { _ in }) async throws -> FrontendStack {
        let store = try LocalBlockStore(directory: blocks)
        let server = GRPCStoreServer(store: store, host: "127.0.0.1", port: 0)
        Task { try await server.serve() }
        let storePort = try await server.boundPort()
        var qc = QuerierService.Config()
        let qport = try freePort()
        qc.httpAddress = "127.0.0.1:\(qport)"
        qc.grpcAddress = "127.0.0.1:0"
        qc.endpoints = ["127.0.0.1:\(storePort)"]
        qc.endpointInterval = .milliseconds(500)
        querier(&qc)
        let querierService = QuerierService(config: qc, registry: PrometheusCollectorRegistry(), logger: Logger(label: "q"))
        let qt = Task { try await querierService.run() }
        var fc = FrontendConfig()
        fc.downstreamURL = "http://127.0.0.1:\(qport)"
        configure(&fc)
        let fport = try freePort()
        let frontend = try FrontendService(config: fc, httpAddress: "127.0.0.1:\(fport)", cache: cache,
                                       registry: PrometheusCollectorRegistry(), logger: Logger(label: "fe"))
        let ft = Task { try await frontend.run() }
        let stack = FrontendStack(servers: [server], querierTask: qt, frontendTask: ft, querierPort: qport, frontendPort: fport, service: frontend)
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if await httpStatusAsync(port: qport, path: "/-/ready") == 200, await httpStatusAsync(port: fport, path: "/-/ready") == 200 { return stack }
            try await Task.sleep(for: .milliseconds(100))
        }
        await stack.stop()
        throw MissingComponent.timeout
    }

    private init(servers: [GRPCStoreServer], querierTask: Task<Void, any Error>, frontendTask: Task<Void, any Error>,
                 querierPort: Int, frontendPort: Int, service: FrontendService) {
        self.servers = servers
        self.querierTask = querierTask
        self.frontendTask = frontendTask
        self.querierPort = querierPort
        self.frontendPort = frontendPort
        self.service = service
    }

    func stop() async {
        frontendTask.cancel()
        querierTask.cancel()
        _ = try? await frontendTask.value
        _ = try? await querierTask.value
        for s in servers { s.shutdown() }
    }

    var downstreamQueries: Int { service.queryRange.downstreamQueries.load(ordering: .relaxed) }

    func viaFrontend(_ pq: String) async throws -> String { try await PromQLDifferential.get("http://127.0.0.1:\(frontendPort)" + pq) }
    func direct(_ pq: String) async throws -> String { try await PromQLDifferential.get("http://127.0.0.1:\(querierPort)" + pq) }
}

extension MissingComponent {
    static var timeout: any Error { FrontendTestError(description: "stack did not become ready") }
}

struct FrontendTestError: Error, CustomStringConvertible {
    let description: String
}

@Suite(.serialized) struct FrontendTests {
    static func range(_ q: String, _ start: Int64, _ end: Int64, step: Int, _ extra: String = "") -> String {
        "/api/v1/query_range?query=\(PromQLDifferential.encode(q))&start=\(Double(start) / 1000)&end=\(Double(end) / 1000)&step=\(step)\(extra)"
    }

    /// `rate(temp[10m])` carries a PromQL info ("might not be a counter"): cached with its data,
    /// and a warm answer still carries it.
    static let queries = ["sum by (job) (rate(req_total[10m]))", "temp", "max_over_time(temp[1h])", "rate(temp[10m])",
                          "histogram_quantile(0.9, sum by (le) (label_replace(rate(req_total[5m]), \"le\", \"$1\", \"pod\", \"p(.*)\")))", "count(temp) by (job)"]

    /// The same JSON through the frontend as from the querier: cold, warm, after a partial
    /// hit, with an unaligned start (the frontend aligns it to the step, as the querier
    /// would see the aligned query).
    @Test(arguments: ["in-memory", "sqlite"])
    func sameAnswersColdWarmAndPartial(_ backend: String) async throws {
        let cache: any ResultsCache = backend == "sqlite"
            ? try SQLiteCache(path: TestEnv.tempDir("fe-sqlite") + "/c.sqlite", maxBytes: 1 << 30, logger: Logger(label: "c"))
            : InMemoryCache(maxBytes: 256 << 20)
        let stack = try await FrontendStack.start(cache: cache)
        do {
            let t0 = FrontendStack.t0
            for q in Self.queries {
                // Day 1 12:00 to day 2 12:00, then day 0 06:00 to day 2 23:00 (covers and extends it).
                let inner = Self.range(q, t0 + 36 * 3_600_000, t0 + 60 * 3_600_000, step: 300)
                let outer = Self.range(q, t0 + 6 * 3_600_000, t0 + 71 * 3_600_000, step: 300)
                let before = stack.downstreamQueries
                let cold = try await stack.viaFrontend(inner)
                #expect(cold == (try await stack.direct(inner)), "cold: \(q)")
                let afterCold = stack.downstreamQueries
                #expect(afterCold - before == 2, "split at the day boundary into two sub-queries")
                if q == "rate(temp[10m])" {
                    #expect(cold.contains("\"infos\":[\"PromQL info: metric might not be a counter"), "\(cold.suffix(300))")
                }
                #expect(try await stack.viaFrontend(inner) == cold, "warm: \(q)")
                #expect(stack.downstreamQueries == afterCold, "a warm query asks the querier nothing")
                let partial = try await stack.viaFrontend(outer)
                #expect(partial == (try await stack.direct(outer)), "partial hit: \(q)")
                // Day 0 from 06:00 (nothing cached), day 1 before the cached part, day 2 after it.
                #expect(stack.downstreamQueries - afterCold == 3, "only the missing parts were fetched")
            }
            let unaligned = Self.range("temp", t0 + 3_600_000 + 17_000, t0 + 30 * 3_600_000 + 5000, step: 600)
            let aligned = Self.range("temp", t0 + 3_600_000, t0 + 30 * 3_600_000, step: 600)
            #expect(try await stack.viaFrontend(unaligned) == (try await stack.direct(aligned)))
        }
        await stack.stop()
    }

    /// With `--query-frontend.vertical-shards 3`, shardable queries go to the querier as
    /// three shards (the stores select by `shard_info`) and the answer is byte for byte the
    /// unsharded one; other queries go as they are.
    @Test func verticalShardsAnswerExactlyAsOneQuery() async throws {
        let stack = try await FrontendStack.start(cache: nil, configure: { $0.verticalShards = 3; $0.splitInterval = 0 })
        do {
            let t0 = FrontendStack.t0
            let shardable = ["sum by (job) (rate(req_total[10m]))", "temp", "rate(temp[10m])", "count(temp) by (job)",
                             "req_total / ignoring (job) temp", "topk by (job) (2, temp)", "max_over_time(temp[1h])"]
            let whole = ["sum(temp)", "sum by (job) (rate(req_total[10m])) or vector(0)", Self.queries[4]]
            for q in shardable + whole {
                let r = Self.range(q, t0 + 6 * 3_600_000, t0 + 40 * 3_600_000, step: 600)
                let before = stack.downstreamQueries
                let got = try await stack.viaFrontend(r)
                #expect(got == (try await stack.direct(r)), "\(q)")
                #expect(got.contains("\"result\":[{"), "\(q): \(got.prefix(200))")
                #expect(stack.downstreamQueries - before == (shardable.contains(q) ? 3 : 1), "\(q)")
            }
        }
        await stack.stop()
    }

    @Test func notCachedAndProxied() async throws {
        let stack = try await FrontendStack.start(cache: InMemoryCache(maxBytes: 64 << 20))
        let t0 = FrontendStack.t0
        let q = Self.range("temp", t0, t0 + 20 * 3_600_000, step: 600, "&dedup=false")
        _ = try await stack.viaFrontend(q)
        let n = stack.downstreamQueries
        _ = try await stack.viaFrontend(q)
        #expect(stack.downstreamQueries > n, "dedup=false is never served from the cache")
        // Recent data: the last minute is fetched again every time.
        let now = Int64(Date().timeIntervalSince1970) * 1000
        let recent = Self.range("vector(1)", now - 600_000, now, step: 15)
        _ = try await stack.viaFrontend(recent)
        let m = stack.downstreamQueries
        _ = try await stack.viaFrontend(recent)
        #expect(stack.downstreamQueries == m + 1)
        // Instant queries, labels, errors: proxied unchanged.
        for p in ["/api/v1/query?query=sum(temp)&time=\((t0 + 3_600_000) / 1000)",
                  "/api/v1/query?query=sum(", Self.range("sum(", t0, t0 + 3_600_000, step: 60),
                  "/api/v1/status/buildinfo"] {
            let fe = try await stack.viaFrontend(p)
            #expect(fe == (try await stack.direct(p)), "\(p): \(fe.prefix(300))")
        }
        await stack.stop()
    }

    /// Labels, label values and series over several days: split by day, united, cached.
    @Test func labelsAndSeriesSplitAndCached() async throws {
        let stack = try await FrontendStack.start(cache: InMemoryCache(maxBytes: 64 << 20))
        let t0 = FrontendStack.t0
        let window = "start=\(Double(t0 + 3_600_000) / 1000)&end=\(Double(t0 + 62 * 3_600_000) / 1000)"
        for p in ["/api/v1/labels?" + window, "/api/v1/label/pod/values?" + window,
                  "/api/v1/series?match%5B%5D=" + PromQLDifferential.encode("req_total{job=\"api\"}") + "&" + window,
                  "/api/v1/series?match%5B%5D=temp&match%5B%5D=req_total&" + window,
                  "/api/v1/label/job/values?match%5B%5D=temp&" + window] {
            let direct = try await stack.direct(p)
            let n = stack.service.metadata.downstreamQueries.load(ordering: .relaxed)
            #expect(try await stack.viaFrontend(p) == direct, "\(p)")
            #expect(stack.service.metadata.downstreamQueries.load(ordering: .relaxed) - n == 3, "three days, three parts: \(p)")
            #expect(try await stack.viaFrontend(p) == direct, "warm: \(p)")
            #expect(stack.service.metadata.downstreamQueries.load(ordering: .relaxed) - n == 3, "warm answers from the cache: \(p)")
        }
        // Errors come from the querier as they are.
        let bad = "/api/v1/series?" + window
        #expect(try await stack.viaFrontend(bad) == (try await stack.direct(bad)))
        await stack.stop()
    }

    @Test func sqliteCacheSurvivesRestart() async throws {
        let path = TestEnv.tempDir("fe-restart") + "/c.sqlite"
        let t0 = FrontendStack.t0
        let q = Self.range("sum by (job) (rate(req_total[10m]))", t0, t0 + 47 * 3_600_000, step: 900)
        let first = try await FrontendStack.start(cache: try SQLiteCache(path: path, maxBytes: 1 << 30, logger: Logger(label: "c")))
        let answer = try await first.viaFrontend(q)
        await first.stop()
        let second = try await FrontendStack.start(cache: try SQLiteCache(path: path, maxBytes: 1 << 30, logger: Logger(label: "c")))
        #expect(try await second.viaFrontend(q) == answer)
        #expect(second.downstreamQueries == 0, "answered from the SQLite file")
        await second.stop()
    }

    /// Answers cached under one PromQL semantics are not served when the querier behind
    /// runs the other (`--query.promql-compat`): the semantics are part of the cache key.
    @Test func cacheKeyFollowsTheQuerierSemantics() async throws {
        let path = TestEnv.tempDir("fe-compat") + "/c.sqlite"
        let t0 = FrontendStack.t0
        let q = Self.range("sum by (job) (rate(req_total[10m]))", t0, t0 + 47 * 3_600_000, step: 900)
        let lq = "/api/v1/labels?start=\(Double(t0) / 1000)&end=\(Double(t0 + 47 * 3_600_000) / 1000)"
        let v3 = try await FrontendStack.start(cache: try SQLiteCache(path: path, maxBytes: 1 << 30, logger: Logger(label: "c")))
        _ = try await v3.viaFrontend(q)
        _ = try await v3.viaFrontend(lq)
        await v3.stop()
        let v2 = try await FrontendStack.start(cache: try SQLiteCache(path: path, maxBytes: 1 << 30, logger: Logger(label: "c")),
                                               querier: { $0.api.promqlCompat = .v2_42 })
        #expect(try await v2.viaFrontend(q) == (try await v2.direct(q)))
        #expect(v2.downstreamQueries > 0, "a 2.42 querier's answers are not the 3.14 ones in the cache")
        _ = try await v2.viaFrontend(lq)
        #expect(v2.service.metadata.downstreamQueries.load(ordering: .relaxed) > 0)
        let n = v2.downstreamQueries
        _ = try await v2.viaFrontend(q)
        #expect(v2.downstreamQueries == n, "warm under its own semantics")
        await v2.stop()
        // Back to 3.14: the first answers are still there.
        let again = try await FrontendStack.start(cache: try SQLiteCache(path: path, maxBytes: 1 << 30, logger: Logger(label: "c")))
        _ = try await again.viaFrontend(q)
        #expect(again.downstreamQueries == 0)
        await again.stop()
    }

    @Test func inMemoryCacheIsBounded() async {
        let c = InMemoryCache(maxBytes: 10_000, maxItems: 5)
        for i in 0..<20 { await c.store(["k\(i)": [UInt8](repeating: 1, count: 1000)], ttl: .seconds(60)) }
        #expect(c.count <= 5)
        #expect(c.bytes <= 10_000)
        #expect(await c.fetch(["k19"]).count == 1)
        #expect(await c.fetch(["k0"]).isEmpty)
    }
}

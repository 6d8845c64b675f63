import Foundation
import Logging
import StrataCore
import StrataStore
import StrataStoreAPI
import StrataTestSupport
import Testing
@testable import StrataQuery

/// A store that answers like another but only after a delay (a slow store gateway).
struct SlowStore: StoreClient {
    let inner: any StoreClient
    let delay: Duration
    var name: String { inner.name }
    func info() async throws -> Thanos_Info_InfoResponse { try await inner.info() }
    func series(_ request: Thanos_SeriesRequest, onResponse: @escaping @Sendable (Thanos_SeriesResponse) async throws -> Void) async throws {
        try await Task.sleep(for: delay)
        try await inner.series(request, onResponse: onResponse)
    }
    func labelNames(_ request: Thanos_LabelNamesRequest) async throws -> Thanos_LabelNamesResponse { try await inner.labelNames(request) }
    func labelValues(_ request: Thanos_LabelValuesRequest) async throws -> Thanos_LabelValuesResponse { try await inner.labelValues(request) }
}

/// Query limits are errors with Prometheus's errorType, and the querier keeps serving.
@Suite(.serialized) struct LimitsTests {
    static func range(_ q: String, _ extra: String = "") -> String {
        "/api/v1/query_range?query=\(PromQLDifferential.encode(q))&start=1699999200&end=1700017000&step=60\(extra)"
    }

    static func store() throws -> LocalBlockStore { try LocalBlockStore(directory: TestEnv.testdata + "/prom-blocks") }

    @Test func maxSamplesAndByteBudget() async throws {
        try await QuerierHarness.with(stores: [try Self.store()], configure: {
            $0.api.maxSamples = 1000
        }) { q in
            let (status, body) = try await q.json(Self.range("http_requests_total"))
            #expect(status == 422)
            #expect(body["errorType"] as? String == "execution")
            #expect((body["error"] as? String ?? "").contains("too many samples"), "\(body)")
            let (ok, small) = try await q.json("/api/v1/query?query=up&time=1700010000")
            #expect(ok == 200 && small["status"] as? String == "success")
        }
        try await QuerierHarness.with(stores: [try Self.store()], configure: { $0.api.maxBytesPerQuery = 2000 }) { q in
            let (status, body) = try await q.json(Self.range("http_requests_total"))
            #expect(status == 422)
            #expect((body["error"] as? String ?? "").contains("--query.max-bytes-per-query"), "\(body)")
            let one = PromQLDifferential.encode("http_requests_total{job=\"api\",code=\"200\",instance=\"host-0:9100\"}")
            let (ok, small) = try await q.json("/api/v1/query?query=\(one)&time=1700010000")
            #expect(ok == 200, "\(small)")
        }
    }

    /// Fetched chunks count against the memory limit, and decoded samples (16 bytes each) too:
    /// a limit above the fetched bytes but below what decoding needs still fails the query.
    @Test func memoryLimit() async throws {
        var fetched = 0, decodedBytes = 0
        try await QuerierHarness.with(stores: [try Self.store()]) { q in
            let (ok, body) = try await q.json(Self.range("http_requests_total"))
            #expect(ok == 200, "\(body)")
            // What the unlimited query held, measured through the same accounting.
            let store = try Self.store()
            var endpoint = EndpointStatus(name: store.name, client: store)
            endpoint.healthy = true
            endpoint.lastHealthy = 1
            let fan = FanOut(endpoints: [endpoint], options: .init())
            let sq = StoreQueryable(fanOut: fan, options: .init())
            let series = try await sq.select(matchers: [try Matcher(.equal, "__name__", "http_requests_total")],
                                             hints: .init(start: 1_699_999_200_000 - 300_000, end: 1_700_017_000_000, step: 60_000))
            fetched = fan.bytesReceived
            decodedBytes = series.reduce(0) { $0 + $1.memoryBytes }
        }
        #expect(fetched > 0 && decodedBytes > fetched, "fetched \(fetched), decoded \(decodedBytes)")
        try await QuerierHarness.with(stores: [try Self.store()], configure: { $0.api.maxMemoryPerQuery = fetched + decodedBytes / 2 }) { q in
            let (status, body) = try await q.json(Self.range("http_requests_total"))
            #expect(status == 422)
            #expect(body["errorType"] as? String == "execution")
            #expect((body["error"] as? String ?? "").contains("--query.max-memory-per-query"), "\(body)")
            let (ok, small) = try await q.json("/api/v1/query?query=up&time=1700010000")
            #expect(ok == 200 && small["status"] as? String == "success", "the querier keeps serving")
        }
        try await QuerierHarness.with(stores: [try Self.store()], configure: { $0.api.maxMemoryPerQuery = 2 * (fetched + decodedBytes) }) { q in
            let (status, body) = try await q.json(Self.range("http_requests_total"))
            #expect(status == 200, "\(body)")
        }
    }

    @Test func timeoutAndConcurrency() async throws {
        let slow = SlowStore(inner: try Self.store(), delay: .milliseconds(800))
        try await QuerierHarness.with(stores: [slow], configure: { $0.api.maxConcurrent = 1 }) { q in
            let start = Date()
            let (status, body) = try await q.json(Self.range("http_requests_total", "&timeout=200ms"))
            #expect(status == 503)
            #expect(body["errorType"] as? String == "timeout", "\(body)")
            #expect(Date().timeIntervalSince(start) < 0.75, "the query gave up at its timeout, not the store's pace")
            // --query.max-concurrent=1: two queries of 0.8 s each take at least 1.6 s together.
            let t0 = Date()
            async let a = q.json(Self.range("up"))
            async let b = q.json(Self.range("up"))
            let (ra, rb) = try await (a, b)
            #expect(ra.0 == 200 && rb.0 == 200)
            #expect(Date().timeIntervalSince(t0) >= 1.6)
        }
    }

    @Test func malformedRequestsAreBadData() async throws {
        try await QuerierHarness.with(stores: [try Self.store()]) { q in
            for p in ["/api/v1/query?query=" + PromQLDifferential.encode("sum(rate(x[5m]"), "/api/v1/query?query=up&dedup=maybe",
                      "/api/v1/query?query=up&partial_response=2", "/api/v1/query?query=up&timeout=abc",
                      Self.range("up", "&max_source_resolution=fast")] {
                let (status, body) = try await q.json(p)
                #expect(status == 400, "\(p): \(body)")
                #expect(body["errorType"] as? String == "bad_data")
            }
        }
    }
}

/// `--store.sd-files`: endpoints come and go with the file; a broken file keeps the last list.
@Suite struct FileSDTests {
    @Test func endpointsFollowTheFile() async throws {
        let dir = TestEnv.tempDir("sd")
        let file = dir + "/stores.yml"
        try "- targets: ['store-a:10901']\n".write(toFile: file, atomically: true, encoding: .utf8)
        let store = try LocalBlockStore(directory: TestEnv.testdata + "/prom-blocks")
        let set = EndpointSet(addresses: ["static:1"], sdFiles: [dir + "/*.yml"], logger: Logger(label: "sd")) { _, _ in store }
        await set.refresh()
        #expect(await set.all().map(\.name) == ["static:1", "store-a:10901"])
        #expect(await set.healthy().count == 2)
        try #"[{"targets": ["store-b:10901", "store-c:10901"], "labels": {"az": "1"}}]"#.write(toFile: file, atomically: true, encoding: .utf8)
        await set.refresh()
        #expect(await set.all().map(\.name) == ["static:1", "store-b:10901", "store-c:10901"])
        try "- targets: [unterminated\n".write(toFile: file, atomically: true, encoding: .utf8)
        await set.refresh()
        #expect(await set.all().map(\.name) == ["static:1", "store-b:10901", "store-c:10901"])
        #expect(throws: (any Error).self) { try FileSD.targets(in: "- hosts: [a]\n", file: "x.yml") }
    }

    @Test func endpointSelectionByTimeAndLabels() {
        var e = EndpointStatus(name: "e", client: SlowStore(inner: (try? LocalBlockStore(directory: "/nonexistent")) ?? LocalBlockStore(blocks: []), delay: .zero))
        e.minTime = 1000
        e.maxTime = 2000
        e.labelSets = [Labels(["cluster": "eu", "replica": "a"])]
        let eu = try! Matcher(.equal, "cluster", "eu"), us = try! Matcher(.equal, "cluster", "us")
        #expect(e.canMatch(minTime: 0, maxTime: 1500, matchers: [eu]))
        #expect(!e.canMatch(minTime: 0, maxTime: 999, matchers: [eu]))
        #expect(!e.canMatch(minTime: 0, maxTime: 1500, matchers: [us]))
        #expect(e.canMatch(minTime: 0, maxTime: 1500, matchers: [try! Matcher(.regexMatch, "cluster", "e.*|us")]))
    }
}

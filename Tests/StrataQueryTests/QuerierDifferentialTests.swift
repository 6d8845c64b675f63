import Foundation
import StrataCore
import StrataStore
import StrataTSDB
import StrataTestSupport
import Testing

/// The querier end to end against the oracle: promtool turns the differential data set into
/// blocks, a real Prometheus 2.42 serves them, and strata-query answers the same HTTP
/// requests over a store serving the same blocks through the gRPC Store API. Every query of
/// the shared differential list (instant at two times, and as a range query) must give the
/// same JSON, values compared as strings (bit for bit) — with the store evaluating every
/// aggregation the querier pushes down to it.
@Suite(.serialized) struct QuerierDifferentialTests {
    /// promtool's blocks of the differential data set, in a fresh directory.
    static func blocks() throws -> [String]? {
        guard let promtool = try TestEnv.promtool() else { return nil }
        let dir = TestEnv.tempDir("query-diff")
        try PromQLDifferential.openMetrics().write(toFile: dir + "/data.om", atomically: true, encoding: .utf8)
        let r = try TestEnv.run(promtool, ["tsdb", "create-blocks-from", "openmetrics", dir + "/data.om", dir + "/tsdb"])
        guard r.status == 0 else { throw HarnessError(description: "promtool failed: \(r.stderr)") }
        return try FileManager.default.contentsOfDirectory(atPath: dir + "/tsdb").filter { $0.count == 26 }.sorted()
            .map { dir + "/tsdb/" + $0 }
    }

    @Test func sameAnswersAsPrometheus() async throws {
        guard let blocks = try Self.blocks() else { return }
        #expect(blocks.count >= 1)
        guard let prometheus = try PrometheusServer.start(blocks: blocks, externalLabels: [:]) else { return }
        defer { prometheus.stop() }
        let store = LocalBlockStore(name: "blocks", blocks: try blocks.map { try BlockReader(dir: $0) })
        let base = PromQLDifferential.base
        let probe = PushdownProbe()
        try await QuerierHarness.with(stores: [store], pushdown: probe.factory) { q in
            var compared = 0, mismatches = 0
            for query in PromQLDifferential.queries {
                let ordered = query.contains("sort")
                var paths = ["/api/v1/query?time=\(base + 1800)", "/api/v1/query?time=\(base + 3590).5"]
                if !ordered { paths.append("/api/v1/query_range?start=\(base + 7)&end=\(base + 1900)&step=37") }
                for path in paths {
                    let full = path + "&query=" + PromQLDifferential.encode(query)
                    let theirs = PromQLDifferential.canonical(try await PromQLDifferential.get(prometheus.url + full), ordered: ordered)
                    let ours = PromQLDifferential.canonical(try await q.get(full), ordered: ordered)
                    compared += 1
                    // Which duplicate a many-to-many error names depends on Go map order.
                    if theirs != ours && !(theirs.contains("many-to-many") && ours.contains("many-to-many")) {
                        mismatches += 1
                        Issue.record("\(query) [\(path)]\n prometheus: \(theirs.prefix(400))\n strata:     \(ours.prefix(400))")
                        break
                    }
                }
                if mismatches > 10 { break }
            }
            #expect(mismatches == 0)
            #expect(compared > 700, "only \(compared) comparisons ran")
            #expect(probe.queries.count > 50, "only \(probe.queries.count) aggregations were pushed down")
        }
    }

    /// Metadata endpoints and the API's parameter errors, against the same Prometheus.
    @Test func metadataAndErrorsMatchPrometheus() async throws {
        guard let blocks = try Self.blocks() else { return }
        guard let prometheus = try PrometheusServer.start(blocks: blocks, externalLabels: [:]) else { return }
        defer { prometheus.stop() }
        let store = LocalBlockStore(name: "blocks", blocks: try blocks.map { try BlockReader(dir: $0) })
        let base = PromQLDifferential.base
        let paths = [
            "/api/v1/labels",
            "/api/v1/labels?match[]=temperature",
            "/api/v1/label/job/values",
            "/api/v1/label/job/values?match[]=" + PromQLDifferential.encode("late"),
            "/api/v1/label/__name__/values?start=\(base)&end=\(base + 600)",
            "/api/v1/series?match[]=" + PromQLDifferential.encode("http_requests_total{job=~\"a.*|db\"}"),
            "/api/v1/series?match[]=temperature&match[]=short_lived",
            "/api/v1/series",
            "/api/v1/series?match[]=" + PromQLDifferential.encode("{job=\"\"}"),
            "/api/v1/label/0bad/values",
            "/api/v1/query?query=up&time=yesterday",
            "/api/v1/query?query=sum(",
            "/api/v1/query_range?query=up&start=\(base)&end=\(base - 10)&step=15",
            "/api/v1/query_range?query=up&start=\(base)&end=\(base + 10)&step=0",
            "/api/v1/query_range?query=up&start=\(base)&end=\(base + 1_000_000)&step=1",
            "/api/v1/query_range?query=up&start=x&end=\(base)&step=1",
            "/api/v1/query_range?query=up&start=\(base)&end=\(base + 60)&step=1x",
            "/api/v1/query_range?query=" + PromQLDifferential.encode("up[5m]") + "&start=\(base)&end=\(base + 60)&step=15",
            "/api/v1/query?query=" + PromQLDifferential.encode("temperature") + "&time=2023-11-14T22:43:20.000Z",
            "/api/v1/query_range?query=temperature&start=2023-11-14T22:15:00Z&end=2023-11-14T22:45:00Z&step=1m",
            "/api/v1/status/buildinfo",
        ]
        try await QuerierHarness.with(stores: [store]) { q in
            // `[]` must be escaped for URL(string:) not to re-encode the whole query.
            for p in paths.map({ $0.replacingOccurrences(of: "[]", with: "%5B%5D") }) {
                let theirs = try await Self.normalized(PromQLDifferential.get(prometheus.url + p), path: p)
                let ours = try await Self.normalized(q.get(p), path: p)
                #expect(theirs == ours, "\(p)\n prometheus: \(theirs.prefix(300))\n strata:     \(ours.prefix(300))")
            }
        }
    }

    /// Status, error type and data of a response; buildinfo reduced to its keys.
    static func normalized(_ body: String, path: String) -> String {
        guard let obj = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any] else { return body }
        if path.contains("buildinfo") { return "\(((obj["data"] as? [String: Any]) ?? [:]).keys.sorted())" }
        if obj["status"] as? String == "error" { return "error \(obj["errorType"] ?? "") \(obj["error"] ?? "")" }
        let d = try? JSONSerialization.data(withJSONObject: obj["data"] ?? NSNull(), options: [.sortedKeys])
        return d.map { String(decoding: $0, as: UTF8.self) } ?? ""
    }
}

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import StrataCore
import StrataTestSupport
import Testing

/// Recording rules over native histograms, live: a real Prometheus 2.42 scraping native
/// histograms (schemas 3, 0 with a wide zero bucket and negative buckets, 4 → 1) is the
/// query API; strata-rule records `sum by (...)` of them; each recorded histogram, read back
/// through strata-query, equals what Prometheus answers for the expression at that instant.
@Suite(.serialized) struct RulerHistogramTests {
    static func data(_ url: String) async throws -> JSONValue {
        let (d, _) = try await URLSession.shared.data(from: URL(string: url)!)
        let v = try JSONValue(parsing: Array(d))
        guard v["status"]?.stringValue == "success", let data = v["data"] else {
            throw MissingComponent(description: "\(url): \(String(decoding: d.prefix(300), as: UTF8.self))")
        }
        return data
    }

    @Test(.timeLimit(.minutes(4))) func recordedHistogramsEqualPrometheusAnswers() async throws {
        guard let target = try NativeHistogramTarget.start() else { return }
        defer { target.stop() }
        guard let prom = try PrometheusServer.start(blocks: [], externalLabels: ["cluster": "c1"],
                                                    scrapeTargets: ["nh": target.address], features: ["native-histograms"]) else { return }
        defer { prom.stop() }
        let exprs = ["sum by (job) (nh_request_duration_seconds)", "sum by (job) (nh_temperature_change)", "sum by (job) (nh_schema_switch)"]
        let rules = TestEnv.tempDir("ruler-rules") + "/rules.yml"
        try ("groups:\n  - name: nh\n    interval: 1s\n    query_offset: 2s\n    rules:\n"
             + exprs.enumerated().map { "      - record: nh:r\($0.offset)\n        expr: '\($0.element)'\n" }.joined())
            .write(toFile: rules, atomically: true, encoding: .utf8)
        let stack = FullStackTests.Stack()
        defer { stack.stop() }
        let ruleGRPC = "127.0.0.1:\(try freePort())", queryPort = try freePort()
        _ = try stack.start("strata-rule", ["--rule-file", rules, "--data-dir", TestEnv.tempDir("ruler-data"), "--query", prom.url,
                                            "--label", "ruler=\"r1\"", "--grpc-address", ruleGRPC, "--http-address", "127.0.0.1:\(try freePort())"])
        _ = try stack.start("strata-query", ["--endpoint", ruleGRPC, "--store.sd-interval", "1s",
                                             "--http-address", "127.0.0.1:\(queryPort)", "--grpc-address", "127.0.0.1:\(try freePort())"])
        let q = "http://127.0.0.1:\(queryPort)"
        for (i, expr) in exprs.enumerated() {
            var points: [JSONValue] = []
            let recorded = await waitForAsync(60) {
                let d = try? await Self.data(q + "/api/v1/query?query=" + urlEncode("nh:r\(i)[1m]"))
                points = d?["result"]?.arrayValue?.first?["histograms"]?.arrayValue ?? []
                return points.count >= 3
            }
            #expect(recorded, "nh:r\(i): \(points.count) histograms recorded\n\(stack.logs())")
            for p in points.prefix(5) {
                guard let pair = p.arrayValue, pair.count == 2 else { continue }
                let t: String
                switch pair[0] {
                case .int(let x): t = "\(x)"
                case .double(let x): t = "\(x)"
                default: continue
                }
                let theirs = try await Self.data(prom.url + "/api/v1/query?query=" + urlEncode(expr) + "&time=" + t)
                let want = theirs["result"]?.arrayValue?.first?["histogram"]?.arrayValue?.last
                #expect(want == pair[1], "\(expr) at \(t): recorded \(pair[1]), Prometheus \(want.map { "\($0)" } ?? "nothing")")
            }
        }
    }
}

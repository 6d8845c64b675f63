import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import StrataStore
import StrataTestSupport
import Testing

/// `/api/v1/format_query` of strata-query (in 2.42 mode, the harness's default) against a real
/// Prometheus 2.42, byte for byte, over a corpus of 2.42-syntax queries: the `eval` lines of
/// Prometheus 2.42's own PromQL test scripts (/work/shared/promql-tests), the shared
/// differential query list, the fuzz seeds, and long queries the prettifier splits.
@Suite(.serialized) struct FormatQueryDifferentialTests {
    static let extra = PromQLDifferential.seeds242 + [
        // Numbers, durations, modifiers, matching.
        "1048576", "1e6 + 123456", "0.0001 * 0.00001", "-5", "+5", "- (5)", "0x1F", "Inf", "-inf", "NaN",
        "foo offset 90m", "foo offset -1h30m", "foo[1y]", "foo[52w]", "foo[8d]", "foo[90061001ms]", "foo[1m:]", "foo[5m:30s] @ end() offset 1d",
        "foo @ 1609746000.5", "foo @ -10", "foo[5m] @ start()", "{__name__=\"foo\"}", "{__name__=~\"fo.*\", job!=\"x\", a=\"b\"}",
        "foo{z=\"1\",a=~\"x|y\",m!~\"q\"}", "foo{a=\"\\\"quoted\\\" \\\\ \\n\"}", "foo{a=\"ünïcode\"}", "foo{a=\"zero\u{200B}width\u{00A0}nbsp\u{1F600}\u{E000}\"}", "label_replace(a, \"x\u{2028}\", \"\", \"\", \"\")",
        "a and on() b", "a or ignoring(x, y) b", "a * ignoring() group_left b", "a / on(x) group_right(y, z) b",
        "a - ignoring(b) group_left(c) d", "a == bool on(x) b", "sum without() (a)", "sum by() (a)",
        "count without(instance, job) (a)", "(((a)))", "-(-a)", "a ^ b ^ c", "(a + b) * c", "a + b * c",
        "\"string literal\"", "absent_over_time(nonexistent{job=\"x\"}[1h])", "label_join(a, \"d\", \",\", \"s1\", \"s2\")",
        // Long enough for the prettifier to split.
        "sum by (job, instance) (rate(http_requests_total{job=\"api-server\", handler=\"/api/v1/query\"}[5m])) / ignoring(code) group_left sum by (job, instance) (rate(http_requests_total{job=\"api-server\"}[5m]))",
        "histogram_quantile(0.99, sum by (le, job, instance) (rate(request_duration_seconds_bucket{job=~\"api|db|web\", instance!=\"localhost:9090\"}[10m])))",
        "topk(5, max_over_time((sum by (pod) (container_memory_working_set_bytes{namespace=\"production\", container!=\"\"}))[1h:5m]))",
        "-(sum(rate(some_really_long_metric_name_that_goes_on_and_on_total{label_one=\"value_one\", label_two=\"value_two\"}[5m])))",
        "label_replace(sum by (instance) (rate(node_cpu_seconds_total{mode!=\"idle\", instance=~\"prod-.*\"}[5m])), \"host\", \"$1\", \"instance\", \"(.*):.*\")",
        "(a_very_long_metric_name_number_one{with=\"labels\"} + a_very_long_metric_name_number_two{with=\"labels\"}) > bool on(with) group_left(extra) a_third_metric",
        "max_over_time(rate(some_counter_metric_with_a_rather_long_name_total{job=\"somewhere\", instance=\"host:1234\"}[5m])[30m:1m] offset 1h)",
        "sum(rate(x_total{job=\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}[5m]))[10m:]",
        // Parse errors.
        "sum(", "foo{", "a +", "rate(foo)", "foo offset", "1 > 2", "a and 1",
    ]

    /// `eval instant at 50m <query>` lines of the 2.42 test scripts.
    static func scriptQueries() throws -> [String] {
        let dir = "/work/shared/promql-tests"
        guard let files = try? FileManager.default.contentsOfDirectory(atPath: dir) else {
            if TestEnv.isCI { throw HarnessError(description: "\(dir) is missing") }
            return []
        }
        var out: [String] = []
        for f in files.sorted() where f.hasSuffix(".test") {
            let text = try String(contentsOfFile: dir + "/" + f, encoding: .utf8)
            for line in text.split(separator: "\n") where line.hasPrefix("eval") {
                let words = line.split(separator: " ", maxSplits: 4, omittingEmptySubsequences: true)
                if words.count == 5 { out.append(String(words[4])) }
            }
        }
        return out
    }

    @Test func formatQueryMatchesPrometheus242() async throws {
        guard let prometheus = try PrometheusServer.start(blocks: [], externalLabels: [:]) else { return }
        defer { prometheus.stop() }
        var corpus: [String] = []
        var seen = Set<String>()
        for q in try Self.scriptQueries() + PromQLDifferential.queries + Self.extra where seen.insert(q).inserted { corpus.append(q) }
        #expect(corpus.count > 500)
        try await QuerierHarness.with(stores: [LocalBlockStore(name: "empty", blocks: [])]) { q in
            var mismatches = 0, successes = 0
            for query in corpus {
                let path = "/api/v1/format_query?query=" + PromQLDifferential.encode(query)
                let theirs = try await PromQLDifferential.get(prometheus.url + path)
                let ours = try await q.get(path)
                if theirs.hasPrefix("{\"status\":\"success\"") { successes += 1 }
                if theirs != ours {
                    mismatches += 1
                    Issue.record("\(query)\n prometheus: \(theirs.prefix(600))\n strata:     \(ours.prefix(600))")
                    if mismatches > 25 { break }
                }
            }
            #expect(mismatches == 0)
            #expect(successes > 450, "only \(successes) queries formatted")
        }
    }

    /// POST with a form body answers like GET; parse_query is routed too.
    @Test func postAndParseQueryRoutes() async throws {
        try await QuerierHarness.with(stores: [LocalBlockStore(name: "empty", blocks: [])]) { q in
            var req = URLRequest(url: URL(string: q.url + "/api/v1/format_query")!)
            req.httpMethod = "POST"
            req.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
            req.httpBody = Data(("query=" + PromQLDifferential.encode("sum by(job)(rate(foo[5m]))")).utf8)
            let (data, _) = try await URLSession.shared.data(for: req)
            #expect(String(decoding: data, as: UTF8.self) == #"{"status":"success","data":"sum by (job) (rate(foo[5m]))"}"#)
            let parsed = try await q.get("/api/v1/parse_query?query=" + PromQLDifferential.encode("-1"))
            #expect(parsed == #"{"status":"success","data":{"type":"numberLiteral","val":"-1"}}"#)
            let (status, err) = try await q.json("/api/v1/parse_query?query=" + PromQLDifferential.encode("sum("))
            #expect(status == 400)
            #expect(err["errorType"] as? String == "bad_data")
        }
    }
}

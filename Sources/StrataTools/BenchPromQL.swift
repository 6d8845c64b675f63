import ArgumentParser
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import StrataCore
import StrataPromQL
import StrataQuery
import StrataStore

/// `strata bench promql`: the standard query set as range queries, timed on Strata's engine
/// over local blocks and on a Prometheus serving the same blocks, in the same run (and, with
/// `--strata-url`, on a strata-query in front of a store with those blocks). Answers are
/// compared too, so a fast wrong answer does not count.
public struct BenchPromQL: ParsableCommand, Sendable {
    public static let configuration = CommandConfiguration(
        commandName: "promql",
        abstract: "Standard PromQL query set: Strata's engine (and strata-query) vs Prometheus on the same blocks.")

    @Option(help: "Directory of blocks (e.g. from `strata block gen`), the ones Prometheus serves; times Strata's engine alone over them (optional with --end).")
    var blocks: String?
    @Option(help: "Base URL of a Prometheus serving the same blocks: the reference answers.") var prometheus: String
    @Option(name: .customLong("strata-url"), help: "Base URL of a strata-query over the same blocks (optional).") var strataURL: String?
    @Option(name: .customLong("victoria-metrics"), help: "Base URL of a VictoriaMetrics holding the same samples (optional; timed only: MetricsQL answers differ by design).")
    var victoriaMetrics: String?
    @Option(help: "Range end (RFC3339 or Unix seconds); default: the blocks' end.") var end: String?
    @Option(help: "Range length.") var range = "6h"
    @Option(help: "Step.") var step = "60s"
    @Flag(help: "Instant queries at --end instead of range queries.") var instant = false
    @Option(help: "Timed rounds per query (median is reported).") var rounds = 5
    /// 2.42 by default: the answers are compared with the Prometheus 2.42 the scripts start.
    @Option(name: .customLong("promql-compat"), help: "PromQL semantics of Strata's engine: 2.42 (default, as the Prometheus compared with) or 3.14.")
    var promqlCompat = "2.42"
    @Option(name: .customLong("set"), help: "Query set: standard (8 queries) or dashboard (17 dashboard queries).")
    var querySet = "standard"
    @Option(name: .customLong("query"), help: "A query to time instead of the set (repeatable).")
    var queries: [String] = []
    /// gzip by default: what Grafana and browsers ask for, and all three servers compress
    /// their answers when asked; `identity` times the work without the compression.
    @Option(name: .customLong("accept-encoding"), help: "Accept-Encoding sent to every server: gzip (default, as Grafana) or identity.")
    var acceptEncoding = "gzip"
    @Option(name: .customLong("ignore-label"), help: "A label left out when answers are compared, e.g. an external label Prometheus does not have (repeatable).")
    var ignoredLabels: [String] = []
    public init() {}

    public static let standardSet = [
        "http_requests_total",
        "rate(http_requests_total[5m])",
        "sum by (job) (rate(http_requests_total[5m]))",
        "histogram_quantile(0.99, sum by (le, job) (rate(http_request_duration_seconds_bucket[5m])))",
        "topk(5, container_memory_working_set_bytes)",
        "sum by (pod, namespace) (rate(http_requests_total[5m])) * on (pod, namespace) group_left (node) up",
        "avg_over_time(go_goroutines[10m])",
        "max_over_time(rate(http_requests_total[5m])[30m:1m])",
    ]

    /// What dashboards over `strata block gen` data ask: selectors, rates, grouped sums, error
    /// ratios, latency quantiles, top-k, *_over_time, a subquery, a join.
    public static let dashboardSet = [
        "up",
        "http_requests_total{job=\"api\"}",
        "rate(http_requests_total[5m])",
        "sum by (job) (rate(http_requests_total[5m]))",
        "sum by (job, code) (rate(http_requests_total[5m]))",
        "sum by (job) (rate(http_requests_total{code=~\"5..\"}[5m])) / sum by (job) (rate(http_requests_total[5m]))",
        "histogram_quantile(0.99, sum by (le, job) (rate(http_request_duration_seconds_bucket[5m])))",
        "histogram_quantile(0.5, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))",
        "sum by (job) (rate(http_request_duration_seconds_sum[5m])) / sum by (job) (rate(http_request_duration_seconds_count[5m]))",
        "topk(5, container_memory_working_set_bytes)",
        "sum by (namespace) (container_memory_working_set_bytes)",
        "rate(process_cpu_seconds_total[5m])",
        "avg_over_time(go_goroutines[10m])",
        "max_over_time(container_memory_working_set_bytes[1h])",
        "max_over_time(rate(http_requests_total[5m])[30m:1m])",
        "sum by (pod, namespace) (rate(http_requests_total[5m])) * on (pod, namespace) group_left (node) up",
        "count by (node) (up)",
    ]

    public func run() throws {
        let me = self
        try runBlocking { try await me.measure() }
    }

    /// One column of the table: a name and how to run a query there (returning the API JSON).
    struct Peer {
        let name: String
        let comparesAnswer: Bool
        let run: (String) async throws -> String
    }

    func measure() async throws {
        var peers: [Peer] = []
        var endMs = try end.map(parseTimestamp)
        if let blocks {
            let store = try LocalBlockStore(directory: blocks)
            if endMs == nil { endMs = try await store.info().store.maxTime / 60_000 * 60_000 }
            let queryable = StoreQueryable.local(store)
            let engine = Engine(options: EngineOptions(compat: try PromQLCompat.fromFlag(promqlCompat)))
            let (t, rangeMs, stepMs, instant) = (endMs!, try parseDuration(range), try parseDuration(step), instant)
            peers.append(Peer(name: "Strata engine", comparesAnswer: true) { q in
                let r = instant ? try await engine.instantQuery(queryable, q, time: t)
                    : try await engine.rangeQuery(queryable, q, start: t - rangeMs, end: t, step: stepMs)
                return "{\"status\":\"success\",\"data\":" + ResultJSON.data(r) + "}"
            })
        }
        guard let endMs else { throw ValidationError("--end is needed without --blocks") }
        guard ["gzip", "identity"].contains(acceptEncoding) else { throw ValidationError("--accept-encoding must be gzip or identity") }
        let encoding = acceptEncoding
        let stepMs = try parseDuration(step), startMs = endMs - (try parseDuration(range))
        func params(_ q: String) -> String {
            instant ? "query=\(Self.encode(q))&time=\(Double(endMs) / 1000)"
                : "query=\(Self.encode(q))&start=\(Double(startMs) / 1000)&end=\(Double(endMs) / 1000)&step=\(Double(stepMs) / 1000)"
        }
        let path = instant ? "/api/v1/query?" : "/api/v1/query_range?"
        if let strataURL { peers.append(Peer(name: "strata-query", comparesAnswer: true) { try await Self.get(strataURL + path + params($0), encoding: encoding) }) }
        if let vm = victoriaMetrics { peers.append(Peer(name: "VictoriaMetrics", comparesAnswer: false) { try await Self.get(vm + path + params($0), encoding: encoding) }) }

        let set = querySet == "dashboard" ? Self.dashboardSet : Self.standardSet
        print((instant ? "instant at \(formatRFC3339(endMs)), median of \(rounds)"
              : "range \(range) step \(step), \((endMs - startMs) / stepMs + 1) steps, median of \(rounds)")
              + ", Accept-Encoding: \(encoding)")
        print("| query | Prometheus ms |" + peers.map { " \($0.name) ms | ÷ Prometheus |" }.joined() + " same answer |")
        print("|---|---|" + peers.map { _ in "---|---|" }.joined() + "---|")
        var ratios = [[Double]](repeating: [], count: peers.count)
        var timesByPeer = [[Double]](repeating: [], count: peers.count)
        var promTimes: [Double] = []
        for q in queries.isEmpty ? set : queries {
            var theirs = ""
            let tProm = try await Self.median(rounds) { theirs = try await Self.get(prometheus + path + params(q), encoding: encoding) }
            promTimes.append(tProm)
            var row = "| `\(q)` | \(Self.ms(tProm)) |"
            var same = true
            for (i, p) in peers.enumerated() {
                var answer = ""
                let t = try await Self.median(rounds) { answer = try await p.run(q) }
                row += " \(Self.ms(t)) | \(String(format: "%.2f", t / tProm)) |"
                ratios[i].append(t / tProm)
                timesByPeer[i].append(t)
                if p.comparesAnswer { same = same && Self.canonical(answer, ignoring: ignoredLabels) == Self.canonical(theirs, ignoring: ignoredLabels) }
            }
            print(row + (same ? " yes |" : " **no** |"))
        }
        print("")
        for (i, p) in peers.enumerated() {
            print("median ratio \(p.name) / Prometheus: \(String(format: "%.2f", Self.medianOf(ratios[i])))")
        }
        // Strata against VictoriaMetrics, query by query.
        if let vi = peers.firstIndex(where: { $0.name == "VictoriaMetrics" }) {
            for (i, p) in peers.enumerated() where i != vi {
                let r = zip(timesByPeer[i], timesByPeer[vi]).map { $0 / $1 }
                print("median ratio \(p.name) / VictoriaMetrics: \(String(format: "%.2f", Self.medianOf(r))), worst \(String(format: "%.2f", r.max() ?? .nan))")
            }
        }
    }

    static func ms(_ s: Double) -> String { String(format: "%.1f", s * 1000) }

    static func medianOf(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        return s.isEmpty ? .nan : s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// Median wall time of `rounds` runs after one warm-up run.
    static func median(_ rounds: Int, _ body: () async throws -> Void) async throws -> Double {
        try await body()
        var times: [Double] = []
        for _ in 0..<max(1, rounds) {
            let t0 = BenchCommand.now()
            try await body()
            times.append(BenchCommand.now() - t0)
        }
        return medianOf(times)
    }

    static func encode(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }

    /// The answer to a GET, asking for `encoding` (libcurl under URLSession unpacks gzip; an
    /// explicit header replaces the `deflate, gzip, br, zstd` it would send by itself).
    static func get(_ url: String, encoding: String) async throws -> String {
        guard let u = URL(string: url) else { throw ValidationError("bad URL \(url)") }
        var request = URLRequest(url: u)
        request.setValue(encoding, forHTTPHeaderField: "Accept-Encoding")
        let (data, _) = try await URLSession.shared.data(for: request)
        return String(decoding: data, as: UTF8.self)
    }

    /// Result of an API response with series in a fixed order (values kept as strings).
    static func canonical(_ json: String, ignoring ignored: [String] = []) -> String {
        guard let obj = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
              let data = obj["data"] as? [String: Any], var result = data["result"] as? [[String: Any]] else { return json }
        for i in result.indices {
            if var m = result[i]["metric"] as? [String: Any] {
                for l in ignored { m.removeValue(forKey: l) }
                result[i]["metric"] = m
            }
        }
        func key(_ x: Any) -> String {
            (try? JSONSerialization.data(withJSONObject: x, options: [.sortedKeys])).map { String(decoding: $0, as: UTF8.self) } ?? ""
        }
        return result.map(key).sorted().joined(separator: "\n")
    }
}

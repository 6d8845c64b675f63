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

    @Option(help: "Directory of blocks (e.g. from `strata block gen`), the ones Prometheus serves.") var blocks: String
    @Option(help: "Base URL of a Prometheus serving the same blocks.") var prometheus: String
    @Option(name: .customLong("strata-url"), help: "Base URL of a strata-query over the same blocks (optional).") var strataURL: String?
    @Option(help: "Range end (RFC3339 or Unix seconds); default: the blocks' end.") var end: String?
    @Option(help: "Range length.") var range = "6h"
    @Option(help: "Step.") var step = "60s"
    @Option(help: "Timed rounds per query (median is reported).") var rounds = 5
    /// 2.42 by default: the answers are compared with the Prometheus 2.42 the scripts start.
    @Option(name: .customLong("promql-compat"), help: "PromQL semantics of Strata's engine: 2.42 (default, as the Prometheus compared with) or 3.14.")
    var promqlCompat = "2.42"
    @Option(name: .customLong("query"), help: "A query to time instead of the standard set (repeatable).")
    var queries: [String] = []
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

    public func run() throws {
        let me = self
        try runBlocking { try await me.measure() }
    }

    func measure() async throws {
        let store = try LocalBlockStore(directory: blocks)
        let info = try await store.info()
        let endMs = try end.map(parseTimestamp) ?? (info.store.maxTime / 60_000 * 60_000)
        let stepMs = try parseDuration(step), startMs = endMs - (try parseDuration(range))
        let queryable = StoreQueryable.local(store)
        let engine = Engine(options: EngineOptions(compat: try PromQLCompat.fromFlag(promqlCompat)))
        print("range \(range) step \(step), \((endMs - startMs) / stepMs + 1) steps, median of \(rounds)")
        print("| query | Prometheus ms | Strata engine ms | ratio |" + (strataURL == nil ? "" : " strata-query ms | ratio |") + " same answer |")
        print("|---|---|---|---|" + (strataURL == nil ? "" : "---|---|") + "---|")
        var ratios: [Double] = [], queryRatios: [Double] = []
        for q in queries.isEmpty ? Self.standardSet : queries {
            let params = "query=\(Self.encode(q))&start=\(Double(startMs) / 1000)&end=\(Double(endMs) / 1000)&step=\(Double(stepMs) / 1000)"
            var theirs = "", ours = "", viaQuery = ""
            let tProm = try await Self.median(rounds) { theirs = try await Self.get(prometheus + "/api/v1/query_range?" + params) }
            let tOurs = try await Self.median(rounds) {
                let r = try await engine.rangeQuery(queryable, q, start: startMs, end: endMs, step: stepMs)
                ours = "{\"status\":\"success\",\"data\":" + ResultJSON.data(r) + "}"
            }
            var row = "| `\(q)` | \(Self.ms(tProm)) | \(Self.ms(tOurs)) | \(String(format: "%.2f", tOurs / tProm)) |"
            ratios.append(tOurs / tProm)
            var same = Self.canonical(theirs) == Self.canonical(ours)
            if let strataURL {
                let tq = try await Self.median(rounds) { viaQuery = try await Self.get(strataURL + "/api/v1/query_range?" + params) }
                row += " \(Self.ms(tq)) | \(String(format: "%.2f", tq / tProm)) |"
                queryRatios.append(tq / tProm)
                same = same && Self.canonical(viaQuery) == Self.canonical(theirs)
            }
            print(row + (same ? " yes |" : " **no** |"))
        }
        print("")
        print("median ratio Strata engine / Prometheus: \(String(format: "%.2f", Self.medianOf(ratios)))")
        if !queryRatios.isEmpty { print("median ratio strata-query / Prometheus: \(String(format: "%.2f", Self.medianOf(queryRatios)))") }
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

    static func get(_ url: String) async throws -> String {
        guard let u = URL(string: url) else { throw ValidationError("bad URL \(url)") }
        let (data, _) = try await URLSession.shared.data(from: u)
        return String(decoding: data, as: UTF8.self)
    }

    /// Result of an API response with series in a fixed order (values kept as strings).
    static func canonical(_ json: String) -> String {
        guard let obj = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
              let data = obj["data"] as? [String: Any], let result = data["result"] as? [[String: Any]] else { return json }
        func key(_ x: Any) -> String {
            (try? JSONSerialization.data(withJSONObject: x, options: [.sortedKeys])).map { String(decoding: $0, as: UTF8.self) } ?? ""
        }
        return result.map(key).sorted().joined(separator: "\n")
    }
}

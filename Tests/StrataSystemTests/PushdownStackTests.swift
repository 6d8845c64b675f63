import Foundation
import StrataCore
import StrataTestSupport
import Testing

/// Query pushdown with the real executables: `strata block gen` data of two clusters in one
/// FILESYSTEM bucket, one strata-store per cluster (`--selector.relabel-config`), a querier
/// pushing down and one with `--query.pushdown=false` over both. The answers agree (within
/// 1e-9 relative: partial sums add in another order), the stores evaluated the fragments
/// (their metrics), and an independent client — Python grpcio over the vendored query.proto,
/// sending only Thanos's whole-second fields as a Thanos querier does — gets from one store the
/// partial the querier computes for that cluster.
@Suite(.serialized) struct PushdownStackTests {
    /// 2024-03-08T00:00:00Z, in seconds.
    static let end: Int64 = 1_709_856_000
    static let queries = [
        "sum by (job) (rate(http_requests_total[5m]))",
        "histogram_quantile(0.99, sum by (le, job) (rate(http_request_duration_seconds_bucket[5m])))",
        "sum by (namespace) (container_memory_working_set_bytes)",
        "topk(3, max_over_time(container_memory_working_set_bytes[1h]))",
        "count by (node) (up)",
        "sum by (job) (rate(http_requests_total{code=~\"5..\"}[5m])) / sum by (job) (rate(http_requests_total[5m]))",
    ]

    @Test(.timeLimit(.minutes(5))) func storesEvaluateAggregationsAndAnswersAgree() async throws {
        let dir = TestEnv.tempDir("pushdown-stack")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let objstore = dir + "/objstore.yml"
        try "type: FILESYSTEM\nconfig:\n  directory: \(dir)/bucket\n".write(toFile: objstore, atomically: true, encoding: .utf8)
        for cluster in ["a", "b"] {
            let gen = try TestEnv.run(TestEnv.strataBinary, ["block", "gen", "--out", dir + "/gen-" + cluster, "--series", "60", "--days", "0.25",
                                                             "--end", "2024-03-08T00:00:00Z", "--label", "cluster=\(cluster)"])
            #expect(gen.status == 0, "\(gen.stderr)")
            let blocks = try FileManager.default.contentsOfDirectory(atPath: dir + "/gen-" + cluster).filter { $0.count == 26 }
            let up = try TestEnv.run(TestEnv.strataBinary, ["bucket", "upload", "--objstore.config-file", objstore]
                                     + blocks.map { dir + "/gen-" + cluster + "/" + $0 })
            #expect(up.status == 0, "\(up.stderr)")
        }
        var procs: [Process] = []
        defer { for p in procs where p.isRunning { p.terminate(); p.waitUntilExit() } }
        var storeGRPC: [Int] = [], storeHTTP: [Int] = []
        for cluster in ["a", "b"] {
            let g = try freePort(), h = try freePort()
            let (p, log) = try startService("strata-store", [
                "--objstore.config-file", objstore, "--data-dir", dir + "/store-" + cluster,
                "--grpc-address", "127.0.0.1:\(g)", "--http-address", "127.0.0.1:\(h)",
                "--selector.relabel-config=- action: keep\n  source_labels: [cluster]\n  regex: \(cluster)\n"])
            procs.append(p)
            let ready = waitFor(60) { httpStatus(port: h, path: "/-/ready") == 200 }
            #expect(ready, "\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
            guard ready else { return }
            storeGRPC.append(g)
            storeHTTP.append(h)
        }
        var queriers: [Int] = []
        for pushdown in ["true", "false"] {
            let h = try freePort()
            let (p, log) = try startService("strata-query", [
                "--http-address", "127.0.0.1:\(h)", "--grpc-address", "127.0.0.1:\(try freePort())",
                "--endpoint", "127.0.0.1:\(storeGRPC[0])", "--endpoint", "127.0.0.1:\(storeGRPC[1])",
                "--query.pushdown", pushdown])
            procs.append(p)
            let answers = waitFor(30) { httpGet(port: h, path: "/api/v1/query?query=count(up)&time=\(Self.end)")?.contains(#""value""#) == true }
            #expect(answers, "\((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
            guard answers else { return }
            queriers.append(h)
        }
        // Both stores answer before comparing (the querier learns of them at its first probe).
        #expect(waitFor(30) { httpGet(port: queriers[0], path: "/api/v1/query?query=count(count%20by%20(cluster)%20(up))&time=\(Self.end)")?.contains(#""2""#) == true })

        let start = Self.end - 4 * 3600
        for q in Self.queries {
            for path in ["/api/v1/query_range?query=\(PromQLDifferential.encode(q))&start=\(start)&end=\(Self.end)&step=60",
                         "/api/v1/query?query=\(PromQLDifferential.encode(q))&time=\(Self.end - 1800)"] {
                let pushed = try JSONValue(parsing: try await PromQLDifferential.get("http://127.0.0.1:\(queriers[0])" + path))
                let plain = try JSONValue(parsing: try await PromQLDifferential.get("http://127.0.0.1:\(queriers[1])" + path))
                #expect(pushed["status"]?.stringValue == "success", "\(q): \(pushed)")
                let a = Self.points(pushed), b = Self.points(plain)
                #expect(!a.isEmpty, "\(q): empty answer")
                #expect(a.keys == b.keys, "\(q): series differ")
                for (k, v) in a {
                    let w = b[k] ?? []
                    #expect(v.count == w.count && zip(v, w).allSatisfy { Self.close($0, $1) }, "\(q) \(k): \(v.prefix(5)) vs \(w.prefix(5))")
                }
            }
        }
        let metrics = httpGet(port: queriers[0], path: "/metrics") ?? ""
        #expect(metrics.contains(#"strata_query_pushdown_total{result="pushed"}"#), "\(metrics.split(separator: "\n").filter { $0.contains("pushdown") })")

        // Instant queries of series as they are, over one cluster (one store holds them all):
        // the whole query goes to that store, and the answer is the one evaluated here.
        func wholePushed() -> Double {
            let line = (httpGet(port: queriers[0], path: "/metrics") ?? "").split(separator: "\n")
                .first { $0.hasPrefix(#"strata_query_pushdown_total{result="pushed_query"}"#) }
            return line.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
        }
        let before = wholePushed()
        let instant = ["http_requests_total{cluster=\"a\",job=\"api\"}", "rate(http_requests_total{cluster=\"b\"}[5m])",
                       "container_memory_working_set_bytes{cluster=\"a\"} > 0"]
        for q in instant {
            let path = "/api/v1/query?query=\(PromQLDifferential.encode(q))&time=\(Self.end - 600)"
            let pushed = try JSONValue(parsing: try await PromQLDifferential.get("http://127.0.0.1:\(queriers[0])" + path))
            let plain = try JSONValue(parsing: try await PromQLDifferential.get("http://127.0.0.1:\(queriers[1])" + path))
            #expect(!Self.points(pushed).isEmpty && Self.points(pushed) == Self.points(plain), "\(q)")
        }
        #expect(wholePushed() - before == Double(instant.count), "instant series queries pushed whole: \(wholePushed() - before)")
        for h in storeHTTP {
            #expect((httpGet(port: h, path: "/metrics") ?? "").contains(#"strata_store_pushdown_queries_total{result="ok"}"#))
        }

        // The independent client: cluster a's store, Thanos's seconds fields only.
        guard let python = try PythonGRPC.interpreter() else { return }
        let q = "sum by (job) (rate(http_requests_total[5m]))"
        let request = #"{"query": "\#(q)", "start_time_seconds": "\#(start)", "end_time_seconds": "\#(Self.end)", "interval_seconds": "60", "lookback_delta_seconds": "300"}"#
        let r = try PythonGRPC.call(python: python, port: storeGRPC[0], service: "thanos.Query", method: "QueryRange", module: "thanos_query_pb2",
                                    requestType: "QueryRangeRequest", responseType: "QueryRangeResponse", requestJSON: request, streaming: true)
        #expect(r.status == 0, "\(r.stderr)")
        var fromStore: [String: [Double]] = [:]
        for line in r.stdout.split(separator: "\n") {
            let frame = try JSONValue(parsing: String(line))
            let series = frame["timeseries"].map { [$0] } ?? frame["timeseries_batch"]?["series"]?.arrayValue ?? []
            for s in series {
                let labels = (s["labels"]?.arrayValue ?? []).map { "\($0["name"]?.stringValue ?? "")=\($0["value"]?.stringValue ?? "")" }.joined(separator: ",")
                fromStore[labels] = (s["samples"]?.arrayValue ?? []).map { Self.number($0["value"]) }
            }
        }
        let path = "/api/v1/query_range?query=\(PromQLDifferential.encode("sum by (job) (rate(http_requests_total{cluster=\"a\"}[5m]))"))&start=\(start)&end=\(Self.end)&step=60"
        let querier = Self.points(try JSONValue(parsing: try await PromQLDifferential.get("http://127.0.0.1:\(queriers[1])" + path)))
        #expect(!fromStore.isEmpty && Set(fromStore.keys) == Set(querier.keys), "\(fromStore.keys) vs \(querier.keys)")
        for (k, v) in fromStore { #expect(v == querier[k], "\(k)") }
    }

    /// Series (labels as `a=b,c=d`, sorted) → values, from a query or query_range answer.
    static func points(_ doc: JSONValue) -> [String: [Double]] {
        var out: [String: [Double]] = [:]
        for s in doc["data"]?["result"]?.arrayValue ?? [] {
            let labels = (s["metric"]?.objectValue ?? []).map { "\($0.key)=\($0.value.stringValue ?? "")" }.sorted().joined(separator: ",")
            let values = s["values"]?.arrayValue ?? [s["value"] ?? .null]
            out[labels] = values.map { number($0.arrayValue?.last) }
        }
        return out
    }

    static func number(_ v: JSONValue?) -> Double {
        switch v {
        case .string(let s)?: return Double(s) ?? .nan
        case .double(let d)?: return d
        case .int(let i)?: return Double(i)
        default: return .nan
        }
    }

    static func close(_ x: Double, _ y: Double) -> Bool {
        x == y || (x.isNaN && y.isNaN) || abs(x - y) <= 1e-9 * max(abs(x), abs(y))
    }
}

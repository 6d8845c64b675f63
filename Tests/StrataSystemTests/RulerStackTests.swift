import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import StrataCore
import StrataTestSupport
import Testing

/// The ruler in a whole fleet, every component a real process: two Prometheus 2.42 HA
/// replicas with strata-sidecars, strata-store over a bucket, strata-query deduplicating
/// `replica`, strata-rule evaluating a cluster-wide recording rule and an alerting rule
/// through the querier, and a real Alertmanager 0.25.
@Suite(.serialized) struct RulerStackTests {
    static let ruleFile = """
    groups:
      - name: cluster
        interval: 1s
        # Scrapes for the evaluated instant have all arrived (scrape interval 1s).
        query_offset: 3s
        rules:
          - record: cluster:samples_appended:sum
            expr: sum(prometheus_tsdb_head_samples_appended_total)
          - alert: FlakyDown
            expr: up{job="flaky"} == 0
            for: 2s
            labels:
              severity: page
            annotations:
              summary: '{{ $labels.instance }} is down'
              description: '{{ $labels.job }} answers {{ $value }} in {{ $externalLabels.ruler }}'
    """

    static func data(_ url: String) async throws -> JSONValue {
        let (d, _) = try await URLSession.shared.data(from: URL(string: url)!)
        let v = try JSONValue(parsing: Array(d))
        guard v["status"]?.stringValue == "success", let data = v["data"] else {
            throw MissingComponent(description: "\(url): \(String(decoding: d.prefix(300), as: UTF8.self))")
        }
        return data
    }

    /// Raw samples of the first series of a range-vector query at `t` (seconds).
    static func samples(_ q: String, _ expr: String) async throws -> [(Double, String)] {
        let d = try await data(q + "/api/v1/query?query=" + urlEncode(expr))
        return (d["result"]?.arrayValue?.first?["values"]?.arrayValue ?? []).compactMap { p in
            guard let a = p.arrayValue, a.count == 2 else { return nil }
            let t: Double
            switch a[0] {
            case .int(let i): t = Double(i)
            case .double(let x): t = x
            default: return nil
            }
            return (t, a[1].stringValue ?? "")
        }
    }

    @Test(.timeLimit(.minutes(6))) func recordsAlertsShipsAndSurvivesKill9() async throws {
        guard let promtool = try TestEnv.promtool() else { return }
        guard let am = try await AlertmanagerServer.start() else { return }
        defer { am.stop() }
        let stack = FullStackTests.Stack()
        defer { stack.stop() }
        let flakyPort = try freePort()
        var proms: [PrometheusServer] = []
        var sidecars: [String] = []
        for replica in ["a", "b"] {
            guard let p = try PrometheusServer.start(blocks: [], externalLabels: ["cluster": "c1", "replica": replica], scrapeSelf: true,
                                                     scrapeTargets: ["flaky": "127.0.0.1:\(flakyPort)"]) else { return }
            proms.append(p)
            let grpc = "127.0.0.1:\(try freePort())"
            sidecars.append(grpc)
            _ = try stack.start("strata-sidecar", ["--tsdb.path", p.dataDir, "--prometheus.url", p.url, "--grpc-address", grpc,
                                                   "--http-address", "127.0.0.1:\(try freePort())"])
        }
        stack.servers = proms
        let bucketDir = TestEnv.tempDir("ruler-bucket")
        let objstore = "--objstore.config=type: FILESYSTEM\nconfig: {directory: \(bucketDir)}"
        let storeGRPC = "127.0.0.1:\(try freePort())"
        _ = try stack.start("strata-store", [objstore, "--data-dir", TestEnv.tempDir("store"), "--sync-block-duration", "1s",
                                             "--grpc-address", storeGRPC, "--http-address", "127.0.0.1:\(try freePort())"])
        let ruleGRPC = "127.0.0.1:\(try freePort())"
        let queryPort = try freePort()
        let q = "http://127.0.0.1:\(queryPort)"
        _ = try stack.start("strata-query", ["--endpoint", sidecars[0], "--endpoint", sidecars[1], "--endpoint", storeGRPC, "--endpoint", ruleGRPC,
                                             "--query.replica-label", "replica", "--store.sd-interval", "1s",
                                             "--http-address", "127.0.0.1:\(queryPort)", "--grpc-address", "127.0.0.1:\(try freePort())"])
        let rulesPath = TestEnv.tempDir("ruler-rules") + "/rules.yml"
        try Self.ruleFile.write(toFile: rulesPath, atomically: true, encoding: .utf8)
        let dataDir = TestEnv.tempDir("ruler-data")
        let ruleHTTP = try freePort()
        let r = "http://127.0.0.1:\(ruleHTTP)"
        let ruleArgs = ["--rule-file", rulesPath, "--data-dir", dataDir, "--query", q, "--alertmanagers.url", am.url,
                        "--label", "ruler=\"r1\"", "--label", "rule_replica=\"x\"", "--alert.label-drop", "rule_replica",
                        "--resend-delay", "1s", "--tsdb.block-duration", "20s", "--alert.query-url", "http://query.example",
                        objstore, "--grpc-address", ruleGRPC, "--http-address", "127.0.0.1:\(ruleHTTP)"]
        var ruler = try startService("strata-rule", ruleArgs)
        stack.processes.append(ruler)

        // The alert reaches Alertmanager with its annotations rendered and the replica label dropped.
        var amAlert: JSONValue?
        let fired = await waitForAsync(90) {
            amAlert = (try? am.alerts())?.first { $0["labels"]?["alertname"]?.stringValue == "FlakyDown" }
            return amAlert != nil
        }
        #expect(fired, "\(stack.logs())")
        let labels = amAlert?["labels"]
        #expect(labels?["severity"]?.stringValue == "page" && labels?["ruler"]?.stringValue == "r1" && labels?["rule_replica"] == nil)
        #expect(labels?["replica"] == nil, "the querier deduplicated the Prometheus replicas")
        #expect(amAlert?["annotations"]?["summary"]?.stringValue == "127.0.0.1:\(flakyPort) is down")
        #expect(amAlert?["annotations"]?["description"]?.stringValue == "flaky answers 0 in r1")
        #expect(amAlert?["generatorURL"]?.stringValue?.hasPrefix("http://query.example/graph?g0.expr=up%7Bjob%3D%22flaky%22%7D+%3D%3D+0") == true)

        // Recorded samples read back through strata-query equal the expression that strata-query
        // evaluates at the same instants.
        let record = "cluster:samples_appended:sum"
        var recorded: [(Double, String)] = []
        let enough = await waitForAsync(60) {
            recorded = (try? await Self.samples(q, record + "[5m]")) ?? []
            return recorded.count >= 5
        }
        #expect(enough, "\(stack.logs())")
        for (t, v) in recorded.prefix(8) {
            let d = try await Self.data(q + "/api/v1/query?query=" + urlEncode("sum(prometheus_tsdb_head_samples_appended_total)") + "&time=\(t)")
            let want = d["result"]?.arrayValue?.first?["value"]?.arrayValue?.last?.stringValue
            #expect(want == v, "at \(t): recorded \(v), evaluated \(want ?? "nothing")")
        }

        // kill -9, then every sample acknowledged so far is in the data dir (head WAL and blocks).
        let before = try await Self.data(r + "/api/v1/alerts")["alerts"]?.arrayValue?.first { $0["labels"]?["alertname"]?.stringValue == "FlakyDown" }
        let activeAt = before?["activeAt"]?.stringValue ?? ""
        #expect(before?["state"]?.stringValue == "firing" && !activeAt.isEmpty)
        let acknowledged = try await Self.samples(q, record + "[10m]")
        kill(ruler.process.processIdentifier, SIGKILL)
        ruler.process.waitUntilExit()
        let dump = try TestEnv.run(promtool, ["tsdb", "dump", dataDir], timeout: 120)
        #expect(dump.status == 0, "\(dump.stderr)")
        // promtool prints `labels value(%g) timestamp`; compare numbers, not spellings.
        let dumped = Set(dump.stdout.split(separator: "\n").filter { $0.hasPrefix("{__name__=\"\(record)\"}") }.compactMap { line -> String? in
            let f = line.split(separator: " ")
            guard f.count >= 3, let v = Double(f[f.count - 2]) else { return nil }
            return "\(f[f.count - 1]) \(v)"
        })
        let missing = acknowledged.filter { !dumped.contains("\(Int64(($0.0 * 1000).rounded())) \(Double($0.1) ?? .nan)") }
        #expect(missing.isEmpty && !acknowledged.isEmpty, "not in the data dir after kill -9: \(missing.prefix(5)) of \(acknowledged.count)")

        // Restarted, the ruler restores the firing alert's activeAt (second precision, as
        // ALERTS_FOR_STATE keeps it).
        ruler = try startService("strata-rule", ruleArgs)
        stack.processes.append(ruler)
        let second = String(activeAt.prefix(19))
        var after = ""
        let restored = await waitForAsync(60) {
            let a = (try? await Self.data(r + "/api/v1/alerts"))?["alerts"]?.arrayValue?.first { $0["labels"]?["alertname"]?.stringValue == "FlakyDown" }
            after = a?["activeAt"]?.stringValue ?? ""
            return a?["state"]?.stringValue == "firing" && after.hasPrefix(second)
        }
        #expect(restored, "activeAt \(activeAt) before, \(after) after the restart")

        // The condition ends: the alert resolves in Alertmanager.
        let site = TestEnv.tempDir("flaky")
        try "flaky_ok 1\n".write(toFile: site + "/metrics", atomically: true, encoding: .utf8)
        // Spawned with clean signal handling, and killed by PID at the end.
        let flaky = try SignalableProcess("/usr/bin/python3", ["-m", "http.server", "\(flakyPort)", "--bind", "127.0.0.1", "--directory", site])
        defer { flaky.kill9() }
        let resolved = await waitForAsync(60) {
            !((try? am.alerts(query: "active=true")) ?? [JSONValue.null]).contains { $0["labels"]?["alertname"]?.stringValue == "FlakyDown" }
        }
        #expect(resolved, "\(stack.logs())")

        // A block cut from the ruler's head reaches the bucket with its external labels, and
        // strata-store serves it.
        var meta: JSONValue?
        let shipped = await waitForAsync(90) {
            for n in (try? FileManager.default.contentsOfDirectory(atPath: bucketDir)) ?? [] where n.count == 26 {
                if let m = try? JSONValue(parsing: String(contentsOfFile: bucketDir + "/" + n + "/meta.json", encoding: .utf8)) { meta = m; return true }
            }
            return false
        }
        #expect(shipped, "\(stack.logs())")
        #expect(meta?["thanos"]?["labels"]?["ruler"]?.stringValue == "r1" && meta?["thanos"]?["source"]?.stringValue == "ruler")
        let rules = try await Self.data(q + "/api/v1/rules")
        let names = (rules["groups"]?.arrayValue ?? []).flatMap { $0["rules"]?.arrayValue ?? [] }.compactMap { $0["name"]?.stringValue }
        #expect(names == [record, "FlakyDown"], "the querier lists the ruler's rules: \(names)")
    }
}

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import StrataTestSupport
import Testing
import Yams

/// deploy/monitoring against promtool and against the binaries: the rules load and their unit
/// tests pass, every alert is tested firing and quiet and has a runbook section, the
/// dashboards are the generator's output, and every metric a rule or a panel uses is one some
/// Strata binary exports (each binary started and its /metrics scraped).
@Suite(.serialized) struct MonitoringMixinTests {
    static let dir = MonitoringMixin.directory
    static let services = ["compact", "sidecar", "store", "query", "frontend", "rule", "receive"]

    @Test func promtoolChecksTheRulesAndRunsTheirUnitTests() throws {
        guard let promtool = try TestEnv.promtool() else { return }
        let check = try TestEnv.run(promtool, ["check", "rules", Self.dir + "/strata-rules.yml"])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        let tests = try MonitoringMixin.files(Self.dir + "/tests", suffix: ".yml")
        #expect(tests.count >= Self.services.count, "\(tests)")
        let run = try TestEnv.run(promtool, ["test", "rules"] + tests, timeout: 300)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
    }

    /// A unit test per alert where it fires and one where it stays quiet, the annotations an
    /// operator needs, and the runbook section the `runbook_url` points at.
    @Test func everyAlertIsTestedBothWaysAndHasARunbook() throws {
        let mixin = try MonitoringMixin.load()
        #expect(mixin.alerts.count >= 20)
        var fires = Set<String>(), quiet = Set<String>()
        for f in try MonitoringMixin.files(Self.dir + "/tests", suffix: ".yml") {
            let doc = try Yams.load(yaml: try String(contentsOfFile: f, encoding: .utf8)) as? [String: Any]
            for t in doc?["tests"] as? [[String: Any]] ?? [] {
                for a in t["alert_rule_test"] as? [[String: Any]] ?? [] {
                    guard let name = a["alertname"] as? String else { continue }
                    if (a["exp_alerts"] as? [Any] ?? []).isEmpty { quiet.insert(name) } else { fires.insert(name) }
                }
            }
        }
        let runbook = try String(contentsOfFile: TestEnv.root + "/docs/operations.md", encoding: .utf8)
        for (name, rule) in mixin.alerts.sorted(by: { $0.key < $1.key }) {
            #expect(fires.contains(name), "\(name): no unit test where it fires")
            #expect(quiet.contains(name), "\(name): no unit test where it stays quiet")
            let annotations = rule["annotations"] as? [String: Any] ?? [:]
            #expect(!(annotations["summary"] as? String ?? "").isEmpty, "\(name): no summary")
            #expect(!(annotations["description"] as? String ?? "").isEmpty, "\(name): no description")
            #expect(annotations["runbook_url"] as? String == "docs/operations.md#" + name.lowercased(), "\(name): runbook_url")
            #expect(runbook.contains("\n#### \(name)\n"), "\(name): no runbook section in docs/operations.md")
            let severity = (rule["labels"] as? [String: Any])?["severity"] as? String
            #expect(severity == "critical" || severity == "warning", "\(name): severity \(severity ?? "none")")
        }
        for name in fires.union(quiet) { #expect(mixin.alerts[name] != nil, "tests name an alert the rules lack: \(name)") }
    }

    @Test func dashboardsAreTheGeneratorsOutput() throws {
        guard let python = try TestEnv.require("python3", hint: "apt-get install python3") else { return }
        let r = try TestEnv.run(python, [Self.dir + "/dashboards.py", "--check"])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        let names = try MonitoringMixin.files(Self.dir + "/dashboards", suffix: ".json").map { URL(fileURLWithPath: $0).lastPathComponent }
        #expect(Set(names) == Set((Self.services + ["overview"]).map { $0 + ".json" }), "\(names)")
    }

    /// Every binary started with minimal flags (a FILESYSTEM bucket; Prometheus, the querier
    /// of the ruler and the frontend's downstream may be absent: only /metrics matters), then
    /// scraped until every name the mixin uses is found or 60 s pass.
    @Test(.timeLimit(.minutes(3))) func everyMetricTheRulesAndDashboardsUseIsExported() async throws {
        let mixin = try MonitoringMixin.load()
        #expect(mixin.used.count > 70, "\(mixin.used.count) metrics found in the rules and dashboards")
        var fleet = Fleet()
        defer { fleet.stop() }
        try fleet.startAll()
        var exported = Set<String>()
        var missing: [String: [String]] = [:]
        _ = await waitForAsync(60) {
            exported = await fleet.scrape()
            missing = mixin.unknown(exported: exported)
            return missing.isEmpty
        }
        #expect(missing.isEmpty, """
            metrics no binary exports: \(missing.keys.sorted().map { "\($0) (used in \(missing[$0]!.joined(separator: "; ")))" }.joined(separator: "\n"))
            \(fleet.report())
            """)
        // The scrape found each service's own metrics, so the fleet was up.
        for name in ["strata_compact_iterations_total", "strata_shipper_dir_syncs_total", "strata_bucket_store_blocks_loaded",
                     "strata_query_endpoints", "strata_frontend_cache_hits_total", "strata_rule_config_last_reload_successful",
                     "strata_receive_inflight_request_bytes"] {
            #expect(exported.contains(name), "\(name) not exported")
        }
    }

    /// Bad input: a rule or a panel on a metric no binary exports is reported, with where it
    /// is used; a recording rule of the file itself counts as known.
    @Test func aMetricNoBinaryExportsIsReported() throws {
        var m = MonitoringMixin()
        try m.addRules("""
            groups:
              - name: bad
                rules:
                  - record: strata:iterations:rate5m
                    expr: rate(strata_compact_iterations_total[5m])
                  - alert: Bad
                    expr: rate(strata_no_such_metric_total[5m]) > 0 and on (job) strata:iterations:rate5m > 0
            """, file: "bad.yml")
        let dashboard = #"""
            {"panels": [{"title": "P", "targets": [{"expr": "histogram_quantile(0.9, sum by (le) (rate(strata_no_such_seconds_bucket{job=~\"$job\"}[$__rate_interval])))"}]}],
             "templating": {"list": [{"name": "job", "query": {"query": "label_values(strata_no_such_gauge, job)"}}]}}
            """#
        try m.addDashboard(Data(dashboard.utf8), file: "bad.json")
        let exported = MonitoringMixin.exportedNames("""
            # HELP strata_compact_iterations_total
            # TYPE strata_compact_iterations_total counter
            strata_compact_iterations_total 3
            # TYPE strata_no_such_seconds histogram
            """)
        #expect(exported.contains("strata_no_such_seconds_bucket"))
        var unknown = m.unknown(exported: exported)
        #expect(unknown == ["strata_no_such_metric_total": ["bad.yml: Bad"], "strata_no_such_gauge": ["bad.json: variable job"]])
        unknown = m.unknown(exported: [])
        #expect(unknown.keys.sorted() == ["strata_compact_iterations_total", "strata_no_such_gauge", "strata_no_such_metric_total",
                                          "strata_no_such_seconds_bucket"])
        var refused = false
        do { try m.addExpr("rate({job=\"x\"}[5m])", at: "no name") } catch is MissingComponent { refused = true }
        #expect(refused, "a selector without a metric name cannot be checked")
    }
}

/// One process of each Strata service on 127.0.0.1 free ports, stopped by PID.
struct Fleet {
    var processes: [(name: String, process: ChaosProcess, http: Int)] = []

    mutating func start(_ binary: String, _ args: [String]) throws {
        let http = try freePort()
        processes.append((binary, try ChaosProcess(binary, args + ["--http-address", "127.0.0.1:\(http)"]), http))
    }

    mutating func startAll() throws {
        let bucket = TestEnv.tempDir("mixin-bucket")
        let objstore = "--objstore.config=type: FILESYSTEM\nconfig:\n  directory: \(bucket)"
        let grpc = { "127.0.0.1:\(try freePort())" }
        let storeGRPC = try grpc()
        let nobody = "127.0.0.1:\(try freePort())"
        try start("strata-compact", [objstore, "--data-dir", TestEnv.tempDir("mixin-compact"), "--wait", "--wait-interval", "1h"])
        try start("strata-store", [objstore, "--data-dir", TestEnv.tempDir("mixin-store"), "--grpc-address", storeGRPC])
        try start("strata-sidecar", [objstore, "--tsdb.path", TestEnv.tempDir("mixin-tsdb"), "--prometheus.url", "http://\(nobody)",
                                     "--grpc-address", try grpc()])
        try start("strata-query", ["--endpoint", storeGRPC, "--grpc-address", try grpc()])
        let queryHTTP = processes.last!.http
        try start("strata-frontend", ["--query-frontend.downstream-url", "http://127.0.0.1:\(queryHTTP)",
                                      "--data-dir", TestEnv.tempDir("mixin-frontend")])
        let rules = TestEnv.tempDir("mixin-rules") + "/rules.yml"
        try "groups:\n  - name: g\n    rules:\n      - record: one\n        expr: vector(1)\n".write(toFile: rules, atomically: true, encoding: .utf8)
        try start("strata-rule", [objstore, "--rule-file", rules, "--data-dir", TestEnv.tempDir("mixin-rule"),
                                  "--query", "127.0.0.1:\(queryHTTP)", "--label", "ruler=\"r1\"", "--grpc-address", try grpc()])
        try start("strata-receive", [objstore, "--tsdb.path", TestEnv.tempDir("mixin-receive"), "--label", "receive_replica=\"0\"",
                                     "--grpc-address", try grpc(), "--remote-write.address", "127.0.0.1:\(try freePort())"])
    }

    /// The union of every running service's /metrics names (URLSession: the services keep
    /// connections open, so a read to EOF would wait for its timeout).
    func scrape() async -> Set<String> {
        var names = Set<String>()
        for p in processes {
            var req = URLRequest(url: URL(string: "http://127.0.0.1:\(p.http)/metrics")!)
            req.timeoutInterval = 5
            guard let (data, resp) = try? await URLSession.shared.data(for: req), (resp as? HTTPURLResponse)?.statusCode == 200 else { continue }
            names.formUnion(MonitoringMixin.exportedNames(String(decoding: data, as: UTF8.self)))
        }
        return names
    }

    /// Which processes run, and the end of each log (for a failure message).
    func report() -> String {
        processes.map { "\($0.name) \($0.process.process.isRunning ? "running" : "exited \($0.process.process.terminationStatus)"): \($0.process.logText.suffix(600))" }
            .joined(separator: "\n")
    }

    func stop() {
        for p in processes { p.process.killIfRunning() }
    }
}

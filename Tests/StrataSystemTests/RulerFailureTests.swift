import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import StrataCore
import StrataTestSupport
import Testing

/// The ruler on a bad day, each a real process: broken rule files at start and on reload
/// (SIGHUP and POST /-/reload), an Alertmanager that is not there, a querier that is not
/// there, and a full disk under the WAL. A real Prometheus 2.42 is the query API here (it
/// answers `/api/v1/query` as strata-query does).
@Suite(.serialized) struct RulerFailureTests {
    static let good = """
    groups:
      - name: g
        interval: 1s
        rules:
          - record: job:up:sum
            expr: sum by (job) (up)
    """

    static func get(_ url: String, method: String = "GET") async throws -> (Int, String) {
        var req = URLRequest(url: URL(string: url)!)
        req.httpMethod = method
        req.timeoutInterval = 10
        let (d, resp) = try await URLSession.shared.data(for: req)
        return ((resp as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: d, as: UTF8.self))
    }

    static func ruleNames(_ base: String) async -> [String] {
        guard let (_, body) = try? await get(base + "/api/v1/rules"), let v = try? JSONValue(parsing: body) else { return [] }
        return (v["data"]?["groups"]?.arrayValue ?? []).flatMap { $0["rules"]?.arrayValue ?? [] }.compactMap { $0["name"]?.stringValue }
    }

    static func metric(_ base: String, _ name: String) async -> Double? {
        guard let (_, body) = try? await get(base + "/metrics") else { return nil }
        for line in body.split(separator: "\n") where line.hasPrefix(name + " ") || line.hasPrefix(name + "{") {
            return Double(line.split(separator: " ").last ?? "")
        }
        return nil
    }

    struct Ruler {
        let process: SignalableProcess
        let base: String
        let grpc: String
        let log: String
        /// What it logged (to stderr) and printed.
        var text: String { [log + ".err", log].map { (try? String(contentsOfFile: $0, encoding: .utf8)) ?? "" }.joined() }
    }

    /// strata-rule with signals it can receive; `shell` runs it under `/bin/sh -c` prefixes
    /// (e.g. a file size limit).
    static func startRuler(rules: String, data: String, query: String, extra: [String] = [], shellPrefix: String? = nil) throws -> Ruler {
        let http = try freePort()
        let grpc = "127.0.0.1:\(try freePort())"
        let log = TestEnv.tempDir("ruler-log") + "/log"
        let args = ["--rule-file", rules, "--data-dir", data, "--query", query, "--label", "ruler=\"r1\"",
                    "--grpc-address", grpc, "--http-address", "127.0.0.1:\(http)"] + extra
        let p: SignalableProcess
        if let prefix = shellPrefix {
            let quoted = ([TestEnv.binary("strata-rule")] + args).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
            p = try SignalableProcess("/bin/sh", ["-c", prefix + "; exec " + quoted.joined(separator: " ")], stdout: log, stderr: log + ".err")
        } else {
            p = try SignalableProcess(TestEnv.binary("strata-rule"), args, stdout: log, stderr: log + ".err")
        }
        return Ruler(process: p, base: "http://127.0.0.1:\(http)", grpc: grpc, log: log)
    }

    @Test(.timeLimit(.minutes(4))) func brokenRuleFilesAreRefusedAndRunningRulesStay() async throws {
        guard let prom = try PrometheusServer.start(blocks: [], externalLabels: ["cluster": "c1"], scrapeSelf: true) else { return }
        defer { prom.stop() }
        let dir = TestEnv.tempDir("ruler-rules")
        let path = dir + "/rules.yml"
        let broken = "groups:\n  - name: g\n    rules:\n      - record: a\n        expr: sum(\n"

        // At start: no start, and the error names file, line and reason.
        try broken.write(toFile: path, atomically: true, encoding: .utf8)
        let refused = try TestEnv.run(TestEnv.binary("strata-rule"), ["--rule-file", path, "--data-dir", TestEnv.tempDir("ruler-data"),
                                                                      "--query", prom.url, "--label", "ruler=\"r1\"",
                                                                      "--grpc-address", "127.0.0.1:0", "--http-address", "127.0.0.1:0"], timeout: 30)
        #expect(refused.status != 0)
        let said = refused.stdout + refused.stderr
        #expect(said.contains("\(path): 5:15: group \"g\", rule 1, \"a\": could not parse expression"), "\(said)")

        // Running: a broken file on reload changes nothing; a good one is taken.
        try Self.good.write(toFile: path, atomically: true, encoding: .utf8)
        // No Alertmanager listens there: sending fails, evaluation goes on.
        let deadAM = "http://127.0.0.1:\(try freePort())"
        let ruler = try Self.startRuler(rules: path, data: TestEnv.tempDir("ruler-data"), query: prom.url,
                                        extra: ["--alertmanagers.url", deadAM, "--alertmanagers.send-timeout", "1s"])
        defer { ruler.process.kill9() }
        #expect(await waitForAsync(30) { await Self.ruleNames(ruler.base) == ["job:up:sum"] }, "\(ruler.text)")
        try broken.write(toFile: path, atomically: true, encoding: .utf8)
        let (status, body) = try await Self.get(ruler.base + "/-/reload", method: "POST")
        #expect(status == 500 && body.contains("could not parse expression"), "\(status) \(body)")
        #expect(await Self.ruleNames(ruler.base) == ["job:up:sum"])
        #expect(await Self.metric(ruler.base, "strata_rule_config_last_reload_successful") == 0)

        try (Self.good + "\n      - alert: AlwaysFiring\n        expr: vector(1)\n        labels: {severity: none}\n")
            .write(toFile: path, atomically: true, encoding: .utf8)
        ruler.process.signal(SIGHUP)
        #expect(await waitForAsync(20) { await Self.ruleNames(ruler.base) == ["job:up:sum", "AlwaysFiring"] }, "\(ruler.text)")
        #expect(await Self.metric(ruler.base, "strata_rule_config_last_reload_successful") == 1)

        // The alert fires although no Alertmanager answers; the failures are counted.
        let firing = await waitForAsync(30) {
            guard let (_, b) = try? await Self.get(ruler.base + "/api/v1/alerts") else { return false }
            return b.contains("\"state\":\"firing\"")
        }
        #expect(firing)
        #expect(await waitForAsync(20) { (await Self.metric(ruler.base, "strata_alert_sender_errors_total") ?? 0) > 0 }, "\(ruler.text)")
        let evaluated = await Self.metric(ruler.base, "prometheus_rule_evaluations_total") ?? 0
        #expect(await waitForAsync(10) { (await Self.metric(ruler.base, "prometheus_rule_evaluations_total") ?? 0) > evaluated + 2 },
                "evaluation goes on while Alertmanager is down")
    }

    @Test(.timeLimit(.minutes(3))) func unreachableQuerierFailsRulesNotTheRuler() async throws {
        let path = TestEnv.tempDir("ruler-rules") + "/rules.yml"
        try (Self.good + "\n    partial_response_strategy: abort\n").write(toFile: path, atomically: true, encoding: .utf8)
        let ruler = try Self.startRuler(rules: path, data: TestEnv.tempDir("ruler-data"), query: "127.0.0.1:\(try freePort())",
                                        extra: ["--query.timeout", "1s"])
        defer { ruler.process.kill9() }
        var body = ""
        let failed = await waitForAsync(30) {
            body = (try? await Self.get(ruler.base + "/api/v1/rules"))?.1 ?? ""
            return body.contains("\"health\":\"err\"") && body.contains("\"lastError\":")
        }
        #expect(failed, "\(body)\n\(ruler.text)")
        #expect(await waitForAsync(10) { (await Self.metric(ruler.base, "prometheus_rule_evaluation_failures_total") ?? 0) >= 2 })
        let (status, _) = try await Self.get(ruler.base + "/-/healthy")
        #expect(status == 200)
    }

    /// The disk fills under the WAL (a file size limit: writes past it fail as on a full
    /// disk): appending stops with an error in the log, the rule's lastError and
    /// `strata_rule_append_failures_total`; every sample acknowledged before is in the data
    /// dir for promtool after a kill -9.
    @Test(.timeLimit(.minutes(4))) func fullDiskUnderTheWALLosesNothingWritten() async throws {
        guard let promtool = try TestEnv.promtool() else { return }
        guard let prom = try PrometheusServer.start(blocks: [], externalLabels: ["cluster": "c1"], scrapeSelf: true) else { return }
        defer { prom.stop() }
        let path = TestEnv.tempDir("ruler-rules") + "/rules.yml"
        // ~150 series a second: the WAL reaches the limit within seconds.
        try """
        groups:
          - name: g
            interval: 1s
            rules:
              - record: small
                expr: sum(up)
              - record: big
                expr: label_replace({__name__=~"prometheus_(http|tsdb|engine|sd|target).*"}, "orig", "$1", "__name__", "(.+)")
        """.write(toFile: path, atomically: true, encoding: .utf8)
        let data = TestEnv.tempDir("ruler-data")
        // dash's `ulimit -f` counts 512-byte blocks: 128 KiB per file.
        let ruler = try Self.startRuler(rules: path, data: data, query: prom.url, extra: ["--tsdb.wal-compression=false"],
                                        shellPrefix: "trap '' XFSZ; ulimit -f 256")
        defer { ruler.process.kill9() }
        let queryPort = try freePort()
        let stack = FullStackTests.Stack()
        defer { stack.stop() }
        _ = try stack.start("strata-query", ["--endpoint", ruler.grpc, "--store.sd-interval", "1s",
                                             "--http-address", "127.0.0.1:\(queryPort)", "--grpc-address", "127.0.0.1:\(try freePort())"])
        let full = await waitForAsync(120) { (await Self.metric(ruler.base, "strata_rule_append_failures_total") ?? 0) > 0 }
        #expect(full, "\(ruler.text)")
        let (_, rules) = try await Self.get(ruler.base + "/api/v1/rules")
        #expect(rules.contains("appending the results"), "\(rules)")
        #expect(ruler.text.contains("cannot append rule results"), "\(ruler.text)")

        // What the head acknowledged (it applies a batch only once the WAL took it).
        let q = "http://127.0.0.1:\(queryPort)/api/v1/query?query=" + urlEncode("small[10m]")
        var acknowledged: [Int64] = []
        _ = await waitForAsync(30) {
            guard let (_, b) = try? await Self.get(q), let v = try? JSONValue(parsing: b) else { return false }
            acknowledged = (v["data"]?["result"]?.arrayValue?.first?["values"]?.arrayValue ?? []).compactMap { p in
                guard case .double(let t)? = p.arrayValue?.first else { return p.arrayValue?.first?.int64Value.map { $0 * 1000 } }
                return Int64((t * 1000).rounded())
            }
            return !acknowledged.isEmpty
        }
        #expect(!acknowledged.isEmpty)
        ruler.process.kill9()
        let dump = try TestEnv.run(promtool, ["tsdb", "dump", data], timeout: 120)
        #expect(dump.status == 0, "\(dump.stderr)")
        let dumped = Set(dump.stdout.split(separator: "\n").filter { $0.hasPrefix("{__name__=\"small\"}") }.compactMap { Int64($0.split(separator: " ").last ?? "") })
        let lost = acknowledged.filter { !dumped.contains($0) }
        #expect(lost.isEmpty, "acknowledged but not in the data dir: \(lost.prefix(5)) of \(acknowledged.count)")
    }
}

import Foundation
import StrataCore
import StrataTestSupport
import Testing

/// `strata-query` as an operator runs it: two real Prometheus 2.42 replicas over the same
/// blocks (external labels replica="a"|"b"), a `strata-sidecar` next to each, one querier
/// over both sidecars and a second querier stacked on the first. `promtool query` is the
/// client; its answers must equal what it gets from one of the Prometheus replicas.
@Suite(.serialized) struct QueryProcessTests {
    final class Processes: @unchecked Sendable {
        var list: [Process] = []
        func start(_ binary: String, _ args: [String]) throws -> String {
            let (p, log) = try startService(binary, args)
            list.append(p)
            return log
        }
        func stopAll() {
            for p in list where p.isRunning { p.terminate() }
            for p in list { p.waitUntilExit() }
        }
    }

    @Test func promtoolAgainstStrataQueryOverSidecars() async throws {
        guard let promtool = try TestEnv.promtool() else { return }
        let blocks = try TestEnv.promBlocks()
        guard let promA = try PrometheusServer.start(blocks: blocks, externalLabels: ["cluster": "c1", "replica": "a"]),
              let promB = try PrometheusServer.start(blocks: blocks, externalLabels: ["cluster": "c1", "replica": "b"]) else { return }
        defer {
            promA.stop()
            promB.stop()
        }
        let procs = Processes()
        defer { procs.stopAll() }
        var sidecars: [String] = []
        for prom in [promA, promB] {
            let grpc = "127.0.0.1:\(try freePort())"
            _ = try procs.start("strata-sidecar", ["--tsdb.path", prom.dataDir, "--prometheus.url", prom.url, "--grpc-address", grpc,
                                                   "--http-address", "127.0.0.1:\(try freePort())"])
            sidecars.append(grpc)
        }
        let (http1, grpc1, http2) = (try freePort(), try freePort(), try freePort())
        let log1 = try procs.start("strata-query", sidecars.flatMap { ["--endpoint", $0] } + [
            "--query.replica-label", "replica", "--http-address", "127.0.0.1:\(http1)", "--grpc-address", "127.0.0.1:\(grpc1)",
            "--store.sd-interval", "1s", "--query.promql-compat", "2.42",
        ])
        let log2 = try procs.start("strata-query", ["--endpoint", "127.0.0.1:\(grpc1)", "--query.replica-label", "replica",
                                                    "--http-address", "127.0.0.1:\(http2)", "--grpc-address", "127.0.0.1:\(try freePort())",
                                                    "--store.sd-interval", "1s", "--query.promql-compat", "2.42"])
        let q1 = "http://127.0.0.1:\(http1)", q2 = "http://127.0.0.1:\(http2)"
        // Ready, and both sidecars (then the first querier, for the stacked one) healthy.
        let up = await waitForAsync(60) {
            let s1 = (try? await PromQLDifferential.get(q1 + "/api/v1/stores")) ?? ""
            let s2 = (try? await PromQLDifferential.get(q2 + "/api/v1/stores")) ?? ""
            // The stacked querier must also have seen the first one's time range after its
            // sidecars became healthy (before that the first querier reports an empty range).
            return s1.components(separatedBy: "\"healthy\":true").count == 3 && s2.contains("\"healthy\":true")
                && !s2.contains("\"minTime\":\(Int64.max)")
        }
        #expect(up, "querier logs:\n\((try? String(contentsOfFile: log1, encoding: .utf8)) ?? "")\n\((try? String(contentsOfFile: log2, encoding: .utf8)) ?? "")")

        func promtoolOut(_ args: [String]) throws -> String {
            let r = try TestEnv.run(promtool, ["query"] + args)
            #expect(r.status == 0, "promtool \(args): \(r.stderr)")
            return r.stdout
        }
        let t = "1700010000"
        for query in ["sum by (job) (rate(http_requests_total[5m]))", "max by (job, instance, code) (http_requests_total)",
                      "histogram_quantile(0.9, sum by (le) (rate(rpc_duration_seconds_bucket[10m])))"] {
            let theirs = try promtoolOut(["instant", "--time", t, promA.url, query])
            #expect(!theirs.isEmpty)
            #expect(try promtoolOut(["instant", "--time", t, q1, query]) == theirs, "\(query)")
            #expect(try promtoolOut(["instant", "--time", t, q2, query]) == theirs, "stacked: \(query)")
        }
        let rangeArgs = ["range", "--start", "1700003000", "--end", "1700012000", "--step", "60s"]
        let rq = "sum by (code) (increase(http_requests_total[10m]))"
        let theirRange = try promtoolOut(rangeArgs + [promA.url, rq])
        #expect(try promtoolOut(rangeArgs + [q1, rq]) == theirRange)
        #expect(try promtoolOut(["labels", promA.url, "job"]) == (try promtoolOut(["labels", q1, "job"])))
        // Series carry the external labels (minus the replica label); otherwise the same.
        let theirSeries = try promtoolOut(["series", "--match", "http_requests_total{job=\"api\"}", promA.url])
        let ourSeries = try promtoolOut(["series", "--match", "http_requests_total{job=\"api\"}", q1])
        #expect(ourSeries.replacingOccurrences(of: "cluster=\"c1\", ", with: "") == theirSeries)
        #expect(!ourSeries.contains("replica="))

        let ui = try await PromQLDifferential.get(q1 + "/")
        #expect(ui.contains("<title>Strata Query</title>"))
        #expect(httpStatus(port: http1, path: "/metrics") == 200)

        // SIGTERM: both queriers exit cleanly.
        for p in procs.list.suffix(2) { p.terminate() }
        #expect(await waitForAsync(20) { procs.list.suffix(2).allSatisfy { !$0.isRunning } })
        #expect(procs.list.suffix(2).allSatisfy { $0.terminationStatus == 0 })
        // A stop is not an error: nothing at level=error on the way down (the HTTP server
        // shuts down gracefully instead of being cancelled mid-accept).
        for log in [log1, log2] {
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            #expect(!text.contains("level=error"), "\(text)")
        }
    }

    @Test func refusesToStartWithoutStores() throws {
        let r = try TestEnv.run(TestEnv.binary("strata-query"), ["--http-address", "127.0.0.1:\(try freePort())"], timeout: 30)
        #expect(r.status != 0)
        #expect(r.stderr.contains("--endpoint"), "\(r.stderr)")
    }
}

import Foundation
import StrataBucket
import StrataCore
import StrataObjStore
import StrataTSDB
import StrataTestSupport
import Testing

/// The whole system on moto S3, every component a real process: history uploaded by two
/// Prometheus replicas' sidecars in the past, a compactor pass (replicas merged, 2d block,
/// 5m copy), two live Prometheus replicas with strata-sidecars holding the recent days,
/// strata-store over the bucket, strata-query deduplicating `replica`, strata-frontend (SQLite
/// cache) in front. Answers must equal those of one Prometheus holding all the data.
@Suite(.serialized) struct FullStackTests {
    static let step: Int64 = 120
    static let hour: Int64 = 3_600_000

    /// Gauges and counters for 6 instances, one sample every 2 minutes at :30 s past a 5m
    /// boundary or between them (never on one, so 5m windows and raw ranges pick the same samples).
    static func openMetrics(fromMs: Int64, toMs: Int64) -> String {
        var out = "# HELP demo_gauge A gauge.\n# TYPE demo_gauge gauge\n"
        let first = fromMs / 1000 + 30
        for s in 0..<6 {
            for t in stride(from: first, to: toMs / 1000, by: Int(step)) {
                out += "demo_gauge{instance=\"i\(s)\"} \(Double((t / step * 7 + Int64(s) * 13) % 101) / 4) \(t)\n"
            }
        }
        out += "# HELP demo_requests A counter.\n# TYPE demo_requests counter\n"
        for s in 0..<6 {
            for t in stride(from: first, to: toMs / 1000, by: Int(step)) {
                out += "demo_requests_total{instance=\"i\(s)\"} \((t - first) / step * Int64(s + 1) % 7000) \(t)\n"
            }
        }
        return out + "# EOF\n"
    }

    final class Stack: @unchecked Sendable {
        var processes: [(Process, String)] = []
        var servers: [PrometheusServer] = []
        var moto: CacheServer?

        func start(_ binary: String, _ args: [String]) throws -> String {
            let (p, log) = try startService(binary, args)
            processes.append((p, log))
            return log
        }

        /// moto with an empty bucket `strata`: the `--objstore.config` flag for the services
        /// and the config for the test's own client (nil when moto is missing outside CI).
        func startMoto() async throws -> (flag: String, config: S3Config)? {
            guard let moto = try await CacheServer.start("moto_server", hint: "pip install 'moto[server]'", args: { ["-H", "127.0.0.1", "-p", "\($0)"] }) else { return nil }
            self.moto = moto
            let created = try TestEnv.run("/usr/bin/env", ["python3", "-c", """
                import boto3; boto3.client("s3", endpoint_url="http://127.0.0.1:\(moto.port)", aws_access_key_id="k",
                aws_secret_access_key="s", region_name="us-east-1").create_bucket(Bucket="strata")
                """])
            guard created.status == 0 else { throw MissingComponent(description: "creating the moto bucket: \(created.stderr)") }
            var config = S3Config(bucket: "strata", endpoint: "127.0.0.1:\(moto.port)")
            config.accessKey = "k"
            config.secretKey = "s"
            config.insecure = true
            config.lookupType = .path
            let flag = "--objstore.config=type: S3\nconfig: {bucket: strata, endpoint: \"127.0.0.1:\(moto.port)\", insecure: true, bucket_lookup_type: path, access_key: k, secret_key: s}"
            return (flag, config)
        }

        func logs() -> String {
            processes.map { p, log in "--- \(p.executableURL?.lastPathComponent ?? "?")\n" + ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "") }
                .joined(separator: "\n")
        }

        func stop() {
            for (p, _) in processes where p.isRunning { p.terminate() }
            for (p, _) in processes { p.waitUntilExit() }
            for s in servers { s.stop() }
            moto?.stop()
        }
    }

    @Test(.timeLimit(.minutes(8))) func historyAndRecentThroughEveryComponent() async throws {
        guard let promtool = try TestEnv.promtool() else { return }
        let stack = Stack()
        defer { stack.stop() }
        guard let (objstore, s3Config) = try await stack.startMoto() else { return }

        // Data: from the 2d boundary at least 3 days ago until 5 minutes ago. History (in the
        // bucket only) ends 4h before the current 2h window; the rest lives in Prometheus.
        let now = currentTimeMillis()
        let t0 = (now - 72 * Self.hour) / (48 * Self.hour) * (48 * Self.hour)
        let t1 = now / (2 * Self.hour) * (2 * Self.hour) - 4 * Self.hour
        let om = TestEnv.tempDir("fullstack-om")
        try Self.openMetrics(fromMs: t0, toMs: now - 5 * 60_000).write(toFile: om + "/in.om", atomically: true, encoding: .utf8)
        let gen = try TestEnv.run(promtool, ["tsdb", "create-blocks-from", "openmetrics", om + "/in.om", om + "/blocks"], timeout: 300)
        #expect(gen.status == 0, "\(gen.stderr)")
        let all = try FileManager.default.contentsOfDirectory(atPath: om + "/blocks").filter { $0.count == 26 }.sorted().map { om + "/blocks/" + $0 }
        let metas = try all.map { try BlockMeta.read(dir: $0) }
        let history = zip(all, metas).filter { $0.1.maxTime <= t1 }.map(\.0)
        let recent = zip(all, metas).filter { $0.1.maxTime > t1 }.map(\.0)
        #expect(history.count >= 30 && !recent.isEmpty)

        // The past: both replicas' sidecars shipped the history; then one compactor pass.
        let s3 = try S3Bucket(config: s3Config)
        do {
            for replica in ["a", "b"] {
                for d in history {
                    // Each replica's copy of a block has its own ULID, as two Prometheus servers would write.
                    let copy = try TestEnv.tempDir("fullstack-copy")
                    let id = ULID()
                    try FileManager.default.copyItem(atPath: d, toPath: copy + "/" + id.description)
                    var m = try BlockMeta.read(dir: copy + "/" + id.description)
                    m.ulid = id
                    m.compaction.sources = [id]
                    try m.write(dir: copy + "/" + id.description)
                    _ = try await BlockUploader(bucket: s3).upload(blockDir: copy + "/" + id.description,
                                                                   externalLabels: ["cluster": "c1", "replica": replica], source: "sidecar")
                    try? FileManager.default.removeItem(atPath: copy)
                }
            }
        } catch {
            try? await s3.close()
            throw error
        }
        let compactData = TestEnv.tempDir("fullstack-compact")
        let pass = try TestEnv.run(TestEnv.binary("strata-compact"), [objstore, "--data-dir", compactData, "--consistency-delay", "0s",
                                                                     "--deduplication.replica-label", "replica", "--delete-delay", "0s",
                                                                     "--http-address", "127.0.0.1:\(try freePort())"], timeout: 300)
        #expect(pass.status == 0, "\(pass.stderr)")
        let afterPass = try await BlockMetaFetcher(bucket: s3).fetch()
        let fiveMinute = afterPass.metas.values.filter { $0.resolution == 300_000 }
        #expect(fiveMinute.contains { $0.minTime / (48 * Self.hour) * (48 * Self.hour) == t0 }, "\(afterPass.metas.values.map { ($0.minTime, $0.resolution) })")
        #expect(afterPass.metas.values.allSatisfy { $0.thanos?.labels["replica"] == nil }, "replicas merged")

        // The present: two replicas with the recent blocks, each with a sidecar; a reference
        // Prometheus with everything.
        guard let promA = try PrometheusServer.start(blocks: recent, externalLabels: ["cluster": "c1", "replica": "a"]),
              let promB = try PrometheusServer.start(blocks: recent, externalLabels: ["cluster": "c1", "replica": "b"]),
              let reference = try PrometheusServer.start(blocks: all, externalLabels: [:]) else { try? await s3.close(); return }
        stack.servers = [promA, promB, reference]
        var endpoints: [String] = []
        for prom in [promA, promB] {
            let grpc = "127.0.0.1:\(try freePort())"
            _ = try stack.start("strata-sidecar", ["--tsdb.path", prom.dataDir, "--prometheus.url", prom.url, "--grpc-address", grpc,
                                                   "--http-address", "127.0.0.1:\(try freePort())", objstore])
            endpoints.append(grpc)
        }
        let storeGRPC = "127.0.0.1:\(try freePort())"
        _ = try stack.start("strata-store", [objstore, "--data-dir", TestEnv.tempDir("fullstack-store"), "--grpc-address", storeGRPC,
                                             "--http-address", "127.0.0.1:\(try freePort())", "--sync-block-duration", "1s"])
        endpoints.append(storeGRPC)
        let queryHTTP = try freePort(), frontHTTP = try freePort()
        _ = try stack.start("strata-query", endpoints.flatMap { ["--endpoint", $0] } + [
            "--query.replica-label", "replica", "--http-address", "127.0.0.1:\(queryHTTP)",
            "--grpc-address", "127.0.0.1:\(try freePort())", "--store.sd-interval", "1s", "--query.promql-compat", "2.42"])
        _ = try stack.start("strata-frontend", ["--query-frontend.downstream-url", "http://127.0.0.1:\(queryHTTP)",
                                                "--http-address", "127.0.0.1:\(frontHTTP)", "--data-dir", TestEnv.tempDir("fullstack-fe")])
        let frontend = "http://127.0.0.1:\(frontHTTP)"
        let up = await waitForAsync(120) {
            let stores = (try? await PromQLDifferential.get("http://127.0.0.1:\(queryHTTP)/api/v1/stores")) ?? ""
            let ready = await httpStatusAsync(port: frontHTTP, path: "/-/ready")
            return stores.components(separatedBy: "\"healthy\":true").count == 4 && ready == 200
        }
        #expect(up, "\(stack.logs())")

        func promQuery(_ args: [String]) throws -> String {
            let r = try TestEnv.run(promtool, ["query"] + args)
            #expect(r.status == 0, "promtool \(args): \(r.stderr)")
            return r.stdout
        }
        // Range queries across history (store) and recent data (sidecars), through the frontend
        // (split per day, cached): equal to the reference, twice (the second from the cache).
        let range = ["range", "--start", "\((t0 + Self.hour) / 1000)", "--end", "\((now - 10 * 60_000) / 1000 / 900 * 900)", "--step", "15m"]
        for q in ["sum by (instance) (rate(demo_requests_total[10m]))", "count(demo_gauge)", "max by (instance) (max_over_time(demo_gauge[30m]))"] {
            let theirs = try promQuery(range + [reference.url, q])
            #expect(theirs.split(separator: "\n").count > 100, "\(q): \(theirs.prefix(200))")
            for attempt in 1...2 {
                let ours = try promQuery(range + [frontend, q])
                #expect(ours == theirs, "\(q) attempt \(attempt): \(firstDifference(ours, theirs) ?? "")")
            }
        }
        // Instant queries in the history and in the recent part; raw series carry `cluster`.
        for t in [t0 + 30 * Self.hour, now - 30 * 60_000] {
            let theirs = try promQuery(["instant", "--time", "\(t / 1000)", reference.url, "demo_gauge"])
            let ours = try promQuery(["instant", "--time", "\(t / 1000)", frontend, "demo_gauge"])
            #expect(ours.replacingOccurrences(of: "cluster=\"c1\", ", with: "") == theirs)
            #expect(!ours.contains("replica="))
        }

        // A long-range query from downsampled data: expire the raw 2d block (raw retention just
        // past it), so only its 5m copy can answer for those two days.
        let cutoffHours = (now - (t0 + 48 * Self.hour)) / Self.hour
        let expire = try TestEnv.run(TestEnv.binary("strata-compact"), [objstore, "--data-dir", compactData, "--consistency-delay", "0s",
                                                                       "--deduplication.replica-label", "replica", "--delete-delay", "0s",
                                                                       "--retention.resolution-raw", "\(cutoffHours)h",
                                                                       "--http-address", "127.0.0.1:\(try freePort())"], timeout: 300)
        #expect(expire.status == 0, "\(expire.stderr)")
        let left = try await BlockMetaFetcher(bucket: s3).fetch().metas.values
        try await s3.close()
        #expect(!left.contains { $0.resolution == 0 && $0.minTime < t0 + 40 * Self.hour }, "raw history of the first 2 days is gone")
        #expect(left.contains { $0.resolution == 300_000 && $0.minTime < t0 + Self.hour })
        let dsQuery = "sum by (instance) (sum_over_time(demo_gauge[1h]))"
        let params = "query=\(PromQLDifferential.encode(dsQuery))&start=\((t0 + 2 * Self.hour) / 1000)&end=\((t0 + 46 * Self.hour) / 1000)&step=3600"
        let theirs = try await PromQLDifferential.get(reference.url + "/api/v1/query_range?" + params)
        // The store drops the deleted block at its next sync (1s).
        var ours = ""
        let same = await waitForAsync(30) {
            ours = (try? await PromQLDifferential.get(frontend + "/api/v1/query_range?" + params + "&max_source_resolution=5m")) ?? ""
            return PromQLDifferential.canonical(ours, ordered: false) == PromQLDifferential.canonical(theirs, ordered: false)
        }
        #expect(same, "downsampled: \(ours.prefix(400))\nreference: \(theirs.prefix(400))")
        #expect(theirs.contains("\"i5\""))
    }
}

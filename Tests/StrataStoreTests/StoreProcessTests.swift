import Foundation
import Logging
import StrataBucket
import StrataCore
import StrataObjStore
import StrataStoreAPI
import StrataTSDB
import StrataTestSupport
import Testing

/// The `strata-store` binary as an operator runs it: a filesystem bucket holding promtool
/// blocks and `strata block gen` blocks, queried over real gRPC with `GRPCStoreClient`,
/// ready only after its first sync, /metrics served, stopped by SIGTERM.
@Suite(.serialized) struct StoreProcessTests {
    func start(_ args: [String]) throws -> (Process, String) { try startService("strata-store", args) }

    @Test func servesBucketOverGRPCAndStopsOnSIGTERM() async throws {
        guard let promtool = try TestEnv.promtool() else { return }
        let dir = TestEnv.tempDir("store-proc")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let bucket = try FilesystemBucket(directory: dir + "/bucket")
        try await Fixtures.uploadPromBlocks(bucket)
        // Blocks from the project's own generator, with their own external labels.
        let gen = try TestEnv.run(TestEnv.strataBinary, ["block", "gen", "--out", dir + "/gen", "--series", "40", "--days", "0.25",
                                                         "--end", "1700100000", "--label", "cluster=gen", "--label", "replica=g"])
        #expect(gen.status == 0, "\(gen.stderr)")
        var genDump: [String] = []
        for n in try FileManager.default.contentsOfDirectory(atPath: dir + "/gen") where n.count == 26 {
            try await BlockUploader(bucket: bucket).upload(blockDir: dir + "/gen/" + n, externalLabels: [:], source: "test")
            genDump += try TestEnv.promtoolDump(promtool, block: dir + "/gen/" + n).split(separator: "\n").map { line in
                let s = String(line)
                let l = try parseDumpLabels(s).merging(Labels(["cluster": "gen", "replica": "g"]))
                return "\(l) " + s[s.range(of: "} ", options: .backwards)!.upperBound...]
            }
        }
        let config = dir + "/objstore.yml"
        try "type: FILESYSTEM\nconfig:\n  directory: \(dir)/bucket\n".write(toFile: config, atomically: true, encoding: .utf8)
        let grpcPort = try freePort(), httpPort = try freePort()
        let (p, log) = try start(["--objstore.config-file", config, "--data-dir", dir + "/data",
                                  "--grpc-address", "127.0.0.1:\(grpcPort)", "--http-address", "127.0.0.1:\(httpPort)",
                                  "--sync-block-duration", "1s", "--log.format", "json"])
        defer { if p.isRunning { p.terminate(); p.waitUntilExit() } }
        let ready = waitFor(60) { httpStatus(port: httpPort, path: "/-/ready") == 200 }
        #expect(ready, "not ready: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        guard ready else { return }
        #expect(httpStatus(port: httpPort, path: "/-/healthy") == 200)

        let client = try GRPCStoreClient(target: "127.0.0.1:\(grpcPort)", timeout: .seconds(30))
        defer { client.close() }
        let info = try await client.info()
        #expect(Set(info.labelSets.map { Labels(proto: $0.labels) }) == [Labels(Fixtures.promExternal), Labels(["cluster": "gen", "replica": "g"])])
        let want = Fixtures.sortDump(try Fixtures.promDump(promtool, extra: Fixtures.promExternal) + genDump)
        let got = try Fixtures.lines(try await StoreAPITests.collect(client, try Fixtures.request(#"{__name__=~".+"}"#)))
        #expect(firstDifference(got, want) == nil)
        #expect(got.count > 10_000)
        // A selector on the generated data only, negative and regex matchers.
        let sel = #"{cluster="gen",__name__=~"container_.*",namespace!="kube-system"}"#
        let ms = try SeriesSelector.parse(sel)
        let gotSel = try Fixtures.lines(try await StoreAPITests.collect(client, try Fixtures.request(sel)))
        #expect(firstDifference(gotSel, want.filter { (try? parseDumpLabels($0).matches(ms)) == true }) == nil)

        let metrics = httpGet(port: httpPort, path: "/metrics") ?? ""
        #expect(metrics.contains("strata_bucket_store_blocks_loaded"))
        #expect(metrics.contains("strata_bucket_store_bytes_fetched_total"))
        #expect(metrics.contains("strata_objstore_bucket_operations_total"))
        #expect(metrics.contains("strata_bucket_store_request_duration_seconds"))

        kill(p.processIdentifier, SIGTERM)
        #expect(waitFor(15) { !p.isRunning }, "still running 15 s after SIGTERM")
        if !p.isRunning { #expect(p.terminationStatus == 0) }
    }

    /// The selection and cache flags as files: only the relabel-kept blocks are served.
    @Test func relabelAndIndexCacheConfigFiles() async throws {
        let dir = TestEnv.tempDir("store-proc-flags")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let bucket = try FilesystemBucket(directory: dir + "/bucket")
        try await Fixtures.uploadPromBlocks(bucket)
        try await Fixtures.uploadPromBlocks(bucket, labels: ["cluster": "c2", "replica": "a"])
        try "type: FILESYSTEM\nconfig:\n  directory: \(dir)/bucket\n".write(toFile: dir + "/objstore.yml", atomically: true, encoding: .utf8)
        try "- action: keep\n  source_labels: [cluster]\n  regex: c2\n".write(toFile: dir + "/relabel.yml", atomically: true, encoding: .utf8)
        try "type: IN-MEMORY\nconfig:\n  max_size: 10MB\n".write(toFile: dir + "/cache.yml", atomically: true, encoding: .utf8)
        let grpcPort = try freePort(), httpPort = try freePort()
        let (p, log) = try start(["--objstore.config-file", dir + "/objstore.yml", "--data-dir", dir + "/data",
                                  "--grpc-address", "127.0.0.1:\(grpcPort)", "--http-address", "127.0.0.1:\(httpPort)",
                                  "--selector.relabel-config-file", dir + "/relabel.yml", "--index-cache.config-file", dir + "/cache.yml",
                                  "--min-time", "1700006400", "--store.limits.request-series", "100"])
        defer { if p.isRunning { p.terminate(); p.waitUntilExit() } }
        let ready = waitFor(60) { httpStatus(port: httpPort, path: "/-/ready") == 200 }
        #expect(ready, "not ready: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        guard ready else { return }
        let client = try GRPCStoreClient(target: "127.0.0.1:\(grpcPort)", timeout: .seconds(30))
        defer { client.close() }
        let info = try await client.info()
        #expect(info.labelSets.map { Labels(proto: $0.labels) } == [Labels(["cluster": "c2", "replica": "a"])])
        #expect(info.store.minTime == 1_700_006_400_000)
        let series = try await StoreAPITests.collect(client, try Fixtures.request(#"{__name__=~".+"}"#))
        #expect(!series.isEmpty && series.allSatisfy { Labels(proto: $0.labels)["cluster"] == "c2" })
        #expect(series.allSatisfy { $0.chunks.allSatisfy { $0.maxTime >= 1_700_006_400_000 } })
        let metrics = httpGet(port: httpPort, path: "/metrics") ?? ""
        #expect(metrics.contains("strata_bucket_store_blocks_loaded 3"))
        #expect(metrics.contains("strata_store_index_cache_requests_total"))
        kill(p.processIdentifier, SIGTERM)
        #expect(waitFor(15) { !p.isRunning })
    }

    @Test func badFlagsFailWithAMessage() throws {
        let r = try TestEnv.run(TestEnv.binary("strata-store"), ["--objstore.config", "type: NOPE\nconfig: {}\n", "--data-dir", TestEnv.tempDir("x")], timeout: 30)
        #expect(r.status != 0)
        #expect(r.stderr.contains("NOPE"), "\(r.stderr)")
    }
}

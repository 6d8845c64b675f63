import Foundation
import StrataCore
import StrataObjStore
import StrataTSDB
import StrataTestSupport
import Testing

/// strata-receive against a real Prometheus 2.42 remote-writing to it (scraping itself and
/// a target with native histograms): what the receiver's data dir holds — first as a WAL
/// after a kill -9, then as blocks after the restart's flush — is, per `promtool tsdb
/// dump`, exactly what Prometheus's own TSDB holds for the same window; its native
/// histograms, read back through strata-query, equal Prometheus's answers.
@Suite(.serialized) struct ReceiveStackTests {
    @Test(.timeLimit(.minutes(5))) func remoteWrittenDataEqualsPrometheusOwnTSDB() async throws {
        guard let promtool = try TestEnv.promtool() else { return }
        guard let target = try NativeHistogramTarget.start() else { return }
        defer { target.stop() }
        // Debian's Prometheus 2.42 sends no remote_write `headers` (measured: none reach the
        // server), so its tenant is the default one, named here.
        let receiver = try ReceiverProcess(name: "r0", extra: ["--label", "receive_replica=\"0\"", "--receive.default-tenant-id", "team-a"])
        defer { receiver.kill9() }
        try await receiver.start()
        let write = "{url: '\(receiver.writeURL)', send_native_histograms: true, "
            + "queue_config: {batch_send_deadline: 1s, min_backoff: 50ms, max_backoff: 1s}}"
        guard let prom = try PrometheusServer.start(blocks: [], externalLabels: [:], scrapeSelf: true, scrapeTargets: ["nh": target.address],
                                                    features: ["native-histograms"], remoteWrite: [write]) else { return }
        defer { prom.stop() }
        let stack = FullStackTests.Stack()
        defer { stack.stop() }
        let queryPort = try freePort()
        _ = try stack.start("strata-query", ["--endpoint", receiver.grpc, "--store.sd-interval", "1s", "--query.replica-label", "receive_replica",
                                             "--http-address", "127.0.0.1:\(queryPort)", "--grpc-address", "127.0.0.1:\(try freePort())"])

        // 15 s of 1 s scrapes, then a cut-off time T that remote write has delivered past.
        try await Task.sleep(for: .seconds(15))
        let cutoff = currentTimeMillis() / 1000 * 1000
        let sent = await waitForAsync(30) {
            let d = try? await apiData(prom.url + "/api/v1/query?query=" + urlEncode("min(prometheus_remote_storage_queue_highest_sent_timestamp_seconds)"))
            let v = d?["result"]?.arrayValue?.first?["value"]?.arrayValue?.last?.stringValue.flatMap(Double.init) ?? 0
            return v * 1000 > Double(cutoff + 2000)
        }
        #expect(sent, "Prometheus did not send past the cut-off\n\(receiver.logText())")

        // Native histograms: each of the target's families over the last minute, as
        // strata-query reads them from the receiver and as Prometheus answers.
        let at = "&time=\(cutoff / 1000)"
        for family in ["nh_request_duration_seconds", "nh_temperature_change", "nh_schema_switch"] {
            let q = urlEncode("\(family)[1m]")
            let theirs = seriesByLabels(try await apiData(prom.url + "/api/v1/query?query=" + q + at))
            var ours: [String: JSONValue] = [:]
            _ = await waitForAsync(20) {
                ours = seriesByLabels((try? await apiData("http://127.0.0.1:\(queryPort)/api/v1/query?query=" + q + at)) ?? .null,
                                      dropping: ["tenant_id"])
                return ours == theirs
            }
            #expect(!theirs.isEmpty && ours == theirs, "\(family): strata \(ours.count) series, Prometheus \(theirs.count)\n\(stack.logs())")
        }
        prom.stop()

        // Float samples up to T: the receiver's WAL after a kill -9 (no flush), then the
        // blocks the restart flushed it into, against Prometheus's own data dir.
        let window = ["--max-time", "\(cutoff)"]
        // promtool dumps a head in series-creation order and blocks in label order: compare
        // the samples as sorted lines.
        func dump(_ dir: String) throws -> [String] {
            try promtoolDump(promtool, dataDir: dir, args: window).split(separator: "\n").map(String.init).sorted()
        }
        let want = try dump(prom.dataDir)
        #expect(want.count > 500 && want.contains { $0.contains("nh_") }, "Prometheus dump: \(want.prefix(3))")
        #expect(receiver.metric("strata_receive_samples_rejected_total") == 0, "\(receiver.logText())")
        receiver.kill9()
        let tenantDir = receiver.dir + "/team-a"
        let fromWAL = try dump(tenantDir)
        #expect(firstDifference(fromWAL, want) == nil, "receiver WAL vs Prometheus")
        try await receiver.start()
        receiver.stop()
        let blocks = try FileManager.default.contentsOfDirectory(atPath: tenantDir).filter { $0.count == 26 }
        #expect(!blocks.isEmpty, "the restart flushed no block\n\(receiver.logText())")
        for b in blocks {
            let meta = try BlockMeta.read(dir: tenantDir + "/" + b)
            #expect(meta.thanos?.labels == ["receive_replica": "0", "tenant_id": "team-a"] && meta.thanos?.source == "receive")
        }
        let fromBlocks = try dump(tenantDir)
        #expect(firstDifference(fromBlocks, want) == nil, "receiver blocks vs Prometheus")
    }

    /// Three receivers in one hashring with replication factor 2, Prometheus writing to one of
    /// them: another is killed with -9 mid-stream and started again 10 s later. Prometheus
    /// never fails a send (each series still reaches a quorum of its owners); strata-query,
    /// deduplicating the receivers by `receive_replica` (chain), answers every series exactly as
    /// Prometheus does; the receivers' stops ship blocks with the tenant and replica labels
    /// to moto, and strata-compact merges the three replicas' blocks into one whose samples
    /// are exactly Prometheus's.
    @Test(.timeLimit(.minutes(6))) func hashringReplicasSurviveKillAndCompactIntoOne() async throws {
        guard let promtool = try TestEnv.promtool() else { return }
        let stack = FullStackTests.Stack()
        defer { stack.stop() }
        guard let (objstore, s3Config) = try await stack.startMoto() else { return }

        let ports = try (0..<3).map { _ in try freePort() }
        let ring = TestEnv.tempDir("hashring") + "/hashrings.json"
        try "[{\"hashring\": \"default\", \"endpoints\": [\(ports.map { "\"127.0.0.1:\($0)\"" }.joined(separator: ", "))]}]"
            .write(toFile: ring, atomically: true, encoding: .utf8)
        let receivers = try (0..<3).map { i in
            try ReceiverProcess(name: "r\(i)", grpcPort: ports[i], extra: [
                "--label", "receive_replica=\"r\(i)\"", "--receive.hashrings-file", ring, "--receive.local-endpoint", "127.0.0.1:\(ports[i])",
                "--receive.replication-factor", "2", objstore])
        }
        defer { for r in receivers { r.kill9() } }
        for r in receivers { try await r.start() }
        func logs() -> String { receivers.map { $0.logText() }.joined(separator: "\n") + stack.logs() }

        let write = "{url: '\(receivers[1].writeURL)', queue_config: {batch_send_deadline: 1s, min_backoff: 50ms, max_backoff: 1s}}"
        guard let prom = try PrometheusServer.start(blocks: [], externalLabels: [:], scrapeSelf: true, remoteWrite: [write]) else { return }
        defer { prom.stop() }
        // Killed mid-stream: once writes have flowed through the hashring for a few seconds.
        #expect(await waitForAsync(30) { receivers[0].metric("strata_receive_samples_appended_total") > 0 }, "no write reached r0")
        try await Task.sleep(for: .seconds(4))
        receivers[0].kill9()
        try await Task.sleep(for: .seconds(10))
        #expect(receivers[1].metric("strata_receive_forward_requests_total", matching: "result=\"unavailable\"") > 0,
                "no forward to the killed receiver failed")
        try await receivers[0].start()
        try await Task.sleep(for: .seconds(6))

        let cutoff = currentTimeMillis() / 1000 * 1000
        let sent = await waitForAsync(30) {
            let d = try? await apiData(prom.url + "/api/v1/query?query=" + urlEncode("min(prometheus_remote_storage_queue_highest_sent_timestamp_seconds)"))
            let v = d?["result"]?.arrayValue?.first?["value"]?.arrayValue?.last?.stringValue.flatMap(Double.init) ?? 0
            return v * 1000 > Double(cutoff + 2000)
        }
        #expect(sent, "Prometheus did not send past the cut-off\n\(logs())")
        let failed = try await apiData(prom.url + "/api/v1/query?query=" + urlEncode("sum(prometheus_remote_storage_samples_failed_total)"))
        #expect(failed["result"]?.arrayValue?.first?["value"]?.arrayValue?.last?.stringValue == "0", "Prometheus dropped samples")

        // Every series of the scrape, each sample once, through the querier's deduplication.
        // Replicas written by receivers carry identical timestamps: `chain` (1:1) dedup, as
        // Thanos advises for receivers; the penalty algorithm, made for Prometheus pairs
        // scraping at different offsets, skips the first samples after a replica's gap.
        let queryPort = try freePort()
        _ = try stack.start("strata-query", receivers.flatMap { ["--endpoint", $0.grpc] } + [
            "--store.sd-interval", "1s", "--query.replica-label", "receive_replica", "--deduplication.func", "chain",
            "--http-address", "127.0.0.1:\(queryPort)", "--grpc-address", "127.0.0.1:\(try freePort())"])
        let q = urlEncode("{job=\"self\"}[2m]") + "&time=\(cutoff / 1000)"
        let theirs = seriesByLabels(try await apiData(prom.url + "/api/v1/query?query=" + q))
        var ours: [String: JSONValue] = [:]
        _ = await waitForAsync(20) {
            ours = seriesByLabels((try? await apiData("http://127.0.0.1:\(queryPort)/api/v1/query?query=" + q)) ?? .null, dropping: ["tenant_id"])
            return ours == theirs
        }
        let firstDiff = theirs.keys.sorted().first { ours[$0] != theirs[$0] }.map {
            "\($0)\n  strata:     \(ours[$0].map { "\($0)" } ?? "-")\n  Prometheus: \(theirs[$0].map { "\($0)" } ?? "-")"
        } ?? "-"
        #expect(theirs.count > 100 && ours == theirs, "strata \(ours.count) series, Prometheus \(theirs.count); first difference: \(firstDiff)\n\(logs())")
        prom.stop()

        // The stops flush and ship every head; one compactor pass merges the replicas.
        for r in receivers { r.stop() }
        let s3 = try S3Bucket(config: s3Config)
        let audit = BucketAudit(bucket: s3, promtool: promtool)
        let shipped = try await audit.state()
        #expect(Set(shipped.live.map { $0.labels }) == Set((0..<3).map { ["receive_replica": "r\($0)", "tenant_id": "default-tenant"] }),
                "shipped: \(shipped.live.map(\.labels))\n\(logs())")
        #expect(shipped.partial.isEmpty)
        let pass = try TestEnv.run(TestEnv.binary("strata-compact"), [objstore, "--data-dir", TestEnv.tempDir("receive-compact"),
                                                                     "--consistency-delay", "0s", "--deduplication.replica-label", "receive_replica",
                                                                     "--delete-delay", "0s", "--http-address", "127.0.0.1:\(try freePort())"], timeout: 300)
        #expect(pass.status == 0, "\(pass.stderr)")
        let compacted = try await audit.state().live
        #expect(compacted.count == 1 && compacted.first?.labels == ["tenant_id": "default-tenant"] && (compacted.first?.level ?? 0) >= 2,
                "after compaction: \(compacted.map { "\($0.ulid) \($0.labels) level \($0.level)" })")
        guard let merged = compacted.first else { try await s3.close(); return }
        let dir = TestEnv.tempDir("receive-merged")
        try FileManager.default.moveItem(atPath: try await audit.download(merged.ulid), toPath: dir + "/" + merged.ulid)
        try await s3.close()
        let window = ["--max-time", "\(cutoff)"]
        let want = try promtoolDump(promtool, dataDir: prom.dataDir, args: window).split(separator: "\n").sorted()
        try FileManager.default.createDirectory(atPath: dir + "/wal", withIntermediateDirectories: true)
        let got = try promtoolDump(promtool, dataDir: dir, args: window).split(separator: "\n").sorted()
        #expect(want.count > 1000 && firstDifference(got.map(String.init), want.map(String.init)) == nil, "merged block vs Prometheus")
    }
}

import Foundation
import StrataBucket
import StrataCompact
import StrataCore
import StrataTSDB
import StrataTestSupport
import Testing
@testable import StrataObjStore

/// Sharded compactors on one S3 bucket (moto): two `strata-compact --wait` processes with
/// disjoint `--selector.relabel-config` selections (hashmod over `cluster`) hold their locks
/// at once and compact four groups between them, each group by exactly one; compactors whose
/// selection overlaps a live one's — the whole bucket, rules over a cluster of each, the same
/// rules — are refused with exit 3, naming both selections.
@Suite("sharded strata-compact on S3")
struct S3ShardedCompactorTests {
    /// hashmod(md5(cluster)) % 2: eu-1 and us-1 are shard 0, eu-3 and us-2 shard 1.
    static let clusters = ["eu-1", "us-1", "eu-3", "us-2"]

    static func shard(_ n: Int) -> String {
        """
        - action: hashmod
          source_labels: [cluster]
          modulus: 2
          target_label: __tmp_shard
        - action: keep
          source_labels: [__tmp_shard]
          regex: "\(n)"
        """
    }

    @Test(.enabled(if: MotoServer.enabled, "moto_server not installed"), .timeLimit(.minutes(3)))
    func twoShardsShareABucket() async throws {
        try await withMoto { moto in
            let bucket = try await moto.makeBucket("shards")
            do {
                try await check(bucket, port: moto.port)
            } catch {
                try? await bucket.close()
                throw error
            }
            try await bucket.close()
        }
    }

    func check(_ bucket: S3Bucket, port: Int) async throws {
        // Four groups of five 2h blocks each: one 8h compaction per group (the newest waits).
        let local = TestEnv.tempDir("s3shards")
        defer { try? FileManager.default.removeItem(atPath: local) }
        let h: Int64 = 3_600_000, t0: Int64 = 172_800 * 10370 * 1000
        for cluster in Self.clusters {
            for i in 0..<5 {
                let w = try BlockWriter(parentDir: local, minTime: t0 + Int64(i) * 2 * h, maxTime: t0 + Int64(i + 1) * 2 * h)
                let ts = Array(stride(from: w.minTime, to: w.maxTime, by: 60_000))
                try w.add(Labels(["__name__": "up", "job": "shards"]), timestamps: ts, values: ts.map { _ in 1 })
                let m = try w.commit()
                _ = try await BlockUploader(bucket: bucket).upload(blockDir: local + "/" + m.ulid.description,
                                                                   externalLabels: ["cluster": cluster], source: "sidecar")
            }
        }
        let objstore = """
        --objstore.config=type: S3
        config: {bucket: shards, endpoint: "127.0.0.1:\(port)", insecure: true, bucket_lookup_type: path,
                 access_key: AKID, secret_key: not-a-real-secret}
        """
        func args(_ name: String, selection: String?, wait: Bool, http: Int) -> [String] {
            [objstore, "--data-dir", local + "/" + name, "--consistency-delay", "0s", "--http-address", "127.0.0.1:\(http)",
             "--lock.ttl", "6s", "--log.level", "info"] + (wait ? ["--wait", "--wait-interval", "1s"] : [])
                + (selection.map { ["--selector.relabel-config=" + $0] } ?? [])
        }

        // Both shards at once, each holding its own lock (ready) while the other does too.
        let ports = [try freePort(), try freePort()]
        var shards: [(process: Process, log: String)] = []
        defer { for s in shards where s.process.isRunning { s.process.terminate(); s.process.waitUntilExit() } }
        for n in 0..<2 { shards.append(try startService("strata-compact", args("shard\(n)", selection: Self.shard(n), wait: true, http: ports[n]))) }
        let bothReady = await waitForAsync(30) {
            let a = await httpStatusAsync(port: ports[0], path: "/-/ready"), b = await httpStatusAsync(port: ports[1], path: "/-/ready")
            return a == 200 && b == 200
        }
        func logs() -> String { shards.map { (try? String(contentsOfFile: $0.log, encoding: .utf8)) ?? "" }.joined(separator: "\n---\n") }
        #expect(bothReady, "\(logs())")
        var made: [BlockMeta] = []
        let compacted = await waitForAsync(60) {
            made = ((try? await BlockMetaFetcher(bucket: bucket).fetch())?.metas.values.filter { $0.thanos?.source == "compactor" }) ?? []
            return made.count == 4
        }
        #expect(compacted, "\(logs())")
        #expect(Set(made.map { $0.externalLabels["cluster"] }) == Set(Self.clusters))
        #expect(made.allSatisfy { $0.compaction.sources.count == 4 })
        let locks = try await bucket.list(prefix: CompactorLock.shardPrefix)
        #expect(locks.count == 2, "one lock object per selection: \(locks)")

        // While both run: overlapping selections are refused with exit 3, naming both.
        let others: [(String, String?, String)] = [
            ("whole", nil, "the whole bucket (no --selector.relabel-config)"),
            ("us", "- action: keep\n  source_labels: [cluster]\n  regex: us-.*", "regex: us-.*"),
        ]
        for (name, selection, ours) in others {
            let r = try TestEnv.run(TestEnv.binary("strata-compact"), args(name, selection: selection, wait: false, http: try freePort()))
            #expect(r.status == 3, "\(name): \(r.stderr)")
            #expect(r.stderr.contains("selection overlaps a live compactor's") && r.stderr.contains("this compactor compacts \(ours.hasPrefix("regex") ? "--selector.relabel-config" : ours)")
                    && r.stderr.contains(ours) && r.stderr.contains("target_label: __tmp_shard"), "\(name): \(r.stderr)")
        }
        let same = try TestEnv.run(TestEnv.binary("strata-compact"), args("same", selection: Self.shard(0), wait: false, http: try freePort()))
        #expect(same.status == 3 && same.stderr.contains("bucket is locked by another compactor"), "\(same.stderr)")

        // Each shard compacted only its own groups, and both are still running.
        for (n, s) in shards.enumerated() {
            #expect(s.process.isRunning)
            let log = (try? String(contentsOfFile: s.log, encoding: .utf8)) ?? ""
            // Group keys appear in its log lines (`group="0@{cluster=\"eu-1\"}"`) and nowhere else.
            let touched = Set(Self.clusters.filter { log.contains($0) })
            let mine = n == 0 ? Set(["eu-1", "us-1"]) : Set(["eu-3", "us-2"])
            #expect(!touched.isEmpty && touched.isSubset(of: mine), "shard \(n) touched \(touched): \(log)")
        }
        for s in shards {
            s.process.terminate()
            s.process.waitUntilExit()
        }
        for key in try await bucket.list(prefix: CompactorLock.shardPrefix) {
            #expect(String(decoding: try await bucket.getVersioned(key).bytes, as: UTF8.self).contains("\"released\""), "\(key) released on SIGTERM")
        }
    }
}

import Foundation
import StrataBucket
import StrataCompact
import StrataCore
import StrataTSDB
import StrataTestSupport
import Testing
@testable import StrataObjStore

/// The compactor on S3 (moto): the lock's conditional create holds between concurrent
/// contenders, and a `strata-compact` job compacts blocks uploaded there.
@Suite("strata-compact on S3")
struct S3CompactorTests {
    @Test(.enabled(if: MotoServer.enabled, "moto_server not installed"), .timeLimit(.minutes(2)))
    func lockAndPassOnS3() async throws {
        try await withMoto { moto in
            let bucket = try await moto.makeBucket("compact")
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
        let locks = (0..<6).map { _ in CompactorLock(bucket: bucket) }
        let won = await withTaskGroup(of: Bool.self) { g in
            for l in locks { g.addTask { (try? await l.acquire()) != nil } }
            var n = 0
            for await ok in g where ok { n += 1 }
            return n
        }
        #expect(won == 1)
        let holder = try #require(try await CompactorLock(bucket: bucket).current())
        let winner = try #require(locks.first { $0.owner == holder.owner })
        try await winner.release()
        #expect(try await CompactorLock(bucket: bucket).current() == nil)

        // Five 2h blocks: the first four become one 8h block, the newest waits.
        let local = TestEnv.tempDir("s3compact")
        defer { try? FileManager.default.removeItem(atPath: local) }
        let h: Int64 = 3_600_000, t0: Int64 = 172_800 * 10370 * 1000
        var inputs: [BlockMeta] = []
        for i in 0..<5 {
            let w = try BlockWriter(parentDir: local, minTime: t0 + Int64(i) * 2 * h, maxTime: t0 + Int64(i + 1) * 2 * h)
            let ts = Array(stride(from: w.minTime, to: w.maxTime, by: 60_000))
            try w.add(Labels(["__name__": "up", "job": "s3"]), timestamps: ts, values: ts.map { _ in 1 })
            let m = try w.commit()
            inputs.append(try await BlockUploader(bucket: bucket).upload(blockDir: local + "/" + m.ulid.description,
                                                                         externalLabels: ["cluster": "s3"], source: "sidecar"))
        }
        let yaml = """
        type: S3
        config: {bucket: compact, endpoint: "127.0.0.1:\(port)", insecure: true, bucket_lookup_type: path,
                 access_key: AKID, secret_key: not-a-real-secret}
        """
        let r = try TestEnv.run(TestEnv.binary("strata-compact"), ["--objstore.config=" + yaml, "--data-dir", local + "/data",
                                                                   "--consistency-delay", "0s", "--http-address", "127.0.0.1:\(try freePort())"])
        #expect(r.status == 0, "\(r.stderr)")
        let snap = try await BlockMetaFetcher(bucket: bucket).fetch()
        #expect(Set(snap.deletionMarks.keys) == Set(inputs.prefix(4).map(\.ulid)))
        let made = snap.metas.values.filter { $0.thanos?.source == "compactor" }
        #expect(made.count == 1 && made.first?.compaction.sources.count == 4 && made.first?.stats.numSamples == 4 * 120)
        #expect(try await CompactorLock(bucket: bucket).current() == nil, "the job released the lock")
    }
}

import Foundation
import StrataBucket
import StrataCore
import StrataObjStore
import StrataTSDB
import StrataTestSupport
import Testing
@testable import StrataCompact

/// Whole compactor passes over a filesystem bucket: real promtool blocks in, promtool
/// reading the blocks out.
@Suite(.serialized) struct CompactorPassTests {
    /// 3 days of promtool 2h blocks → 2d + 8h blocks, every sample exactly once, sources
    /// marked, the 2d block downsampled to 5m with aggregates equal to a reference.
    @Test(.timeLimit(.minutes(5))) func threeDaysOfPrometheusBlocks() async throws {
        guard let promtool = try TestEnv.promtool() else { return }
        let inputs = try Fixture.promtoolBlocks(promtool, om: Fixture.openMetrics(series: 8, startMs: Fixture.dayZero, hours: 72))
        #expect(inputs.count == 36)
        let (bucket, root) = try Fixture.fsBucket("pass-bucket")
        let data = TestEnv.tempDir("pass-data")
        let uploaded = try await Fixture.upload(inputs, to: bucket)

        // Fresh uploads are left alone for the consistency delay.
        var cfg = Fixture.config(data)
        cfg.consistencyDelay = 1800
        var r = try await Compactor(bucket: bucket, config: cfg, lock: nil, showProgress: false).runPass()
        #expect(r.compactions == 0 && r.completed)

        r = try await Compactor(bucket: bucket, config: Fixture.config(data), lock: nil, showProgress: false).runPass()
        #expect(r.completed, "\(r)")
        #expect(r.compactions == 9)  // 8 × (4 → 8h) + 1 × (6 × 8h → 2d)
        #expect(r.downsamplings == 1)
        #expect(r.markedForDeletion == 38)
        let live = try await Fixture.live(bucket)
        let raw = live.filter { $0.resolution == 0 }
        let spans = raw.map { ($0.minTime - Fixture.dayZero) / Fixture.hour }
        #expect(spans == [0, 48, 56, 64, 66, 68, 70], "\(spans)")
        #expect(raw[0].compaction.level == 3 && raw[0].compaction.sources.count == 24)
        #expect(raw[1].compaction.level == 2 && raw[1].maxTime - raw[1].minTime > 7 * Fixture.hour)
        #expect(raw.allSatisfy { $0.thanos?.labels == ["cluster": "c1"] })
        #expect(raw.prefix(3).allSatisfy { $0.thanos?.source == "compactor" })

        // Lossless: promtool's dump of the outputs is the union of the inputs' dumps.
        let want = try Fixture.dump(inputs, promtool: promtool)
        let got = try Fixture.dump(raw.map { root + "/" + $0.ulid.description }, promtool: promtool)
        #expect(got.count == want.count)
        #expect(firstDifference(got, want) == nil)

        // Every input except the four newest and every 8h block that went into the 2d one is marked.
        let snap = try await BlockMetaFetcher(bucket: bucket).fetch()
        let inputIDs = Set(uploaded.map(\.ulid))
        #expect(Set(snap.deletionMarks.keys).intersection(inputIDs).count == 32)
        #expect(snap.deletionMarks.count == 38)

        // The 5m block: per 5m window count, sum, min and max equal the raw samples'.
        let fiveMin = try #require(live.first { $0.resolution == Downsample.resolution5m })
        #expect(fiveMin.compaction.sources == raw[0].compaction.sources && fiveMin.minTime == raw[0].minTime)
        try checkAggregates(root + "/" + fiveMin.ulid.description, raw: root + "/" + raw[0].ulid.description)

        // A second pass finds nothing to do; once the delete delay is over the marked blocks go.
        r = try await Compactor(bucket: bucket, config: Fixture.config(data), lock: nil, showProgress: false).runPass()
        #expect(r.compactions == 0 && r.downsamplings == 0 && r.deleted == 0 && r.completed, "\(r)")
        r = try await Compactor(bucket: bucket, config: Fixture.config(data), lock: nil, showProgress: false)
            .runPass(now: Date().addingTimeInterval(49 * 3600))
        #expect(r.deleted == 38, "\(r)")
        let after = try await BlockMetaFetcher(bucket: bucket).fetch()
        #expect(after.metas.count == 8 && after.deletionMarks.isEmpty && after.partial.isEmpty)
        #expect(firstDifference(try Fixture.dump(raw.map { root + "/" + $0.ulid.description }, promtool: nil), want) == nil)
    }

    /// Count, sum, min and max of each series' 5m windows against the raw block's samples.
    func checkAggregates(_ downsampled: String, raw: String) throws {
        let ds = try BlockReader(dir: downsampled), rb = try BlockReader(dir: raw)
        let rawSeries = try rb.series(matching: [])
        let dsSeries = try ds.series(matching: [])
        #expect(rawSeries.map(\.labels) == dsSeries.map(\.labels))
        for (r, d) in zip(rawSeries, dsSeries) {
            var ts: [Int64] = [], vs: [Double] = []
            try rb.samples(of: r, into: &ts, &vs)
            var windows: [Int64: [Double]] = [:]
            for (t, v) in zip(ts, vs) { windows[t / Downsample.resolution5m, default: []].append(v) }
            let keys = windows.keys.sorted()
            func agg(_ a: AggrType) throws -> [Double] {
                var t: [Int64] = [], v: [Double] = []
                try ds.samples(of: d, aggregate: a, into: &t, &v)
                #expect(t.map { $0 / Downsample.resolution5m } == keys, "\(a) window timestamps of \(r.labels)")
                return v
            }
            #expect(try agg(.count) == keys.map { Double(windows[$0]!.count) })
            #expect(try agg(.sum) == keys.map { windows[$0]!.reduce(0, +) })
            #expect(try agg(.min) == keys.map { windows[$0]!.min()! })
            #expect(try agg(.max) == keys.map { windows[$0]!.max()! })
        }
    }

    /// A block that fails verification is quarantined; the rest of its group and other
    /// groups are compacted, and the pass reports itself incomplete.
    @Test func corruptBlockIsQuarantined() async throws {
        let (bucket, root) = try Fixture.fsBucket("corrupt-bucket")
        let local = TestEnv.tempDir("corrupt-blocks")
        let h = Fixture.hour, t0 = Fixture.dayZero
        var dirs: [String] = []
        for i in 0..<5 { dirs.append(try Fixture.block(local, t0 + Int64(i) * 2 * h, t0 + Int64(i + 1) * 2 * h)) }
        var other: [String] = []
        for i in 0..<5 { other.append(try Fixture.block(local, t0 + Int64(i) * 2 * h, t0 + Int64(i + 1) * 2 * h, labels: ["cluster": "c2"])) }
        // Flip bytes inside a chunk of the second block (after upload without hashes, so it
        // is the verifier, not a checksum in meta.json, that notices).
        let metas = try await Fixture.upload(dirs, to: bucket, hash: false)
        _ = try await Fixture.upload(other, to: bucket, labels: ["cluster": "c2"])
        let victim = metas[1].ulid
        let seg = root + "/\(victim)/chunks/000001"
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: seg)))
        for k in 40..<48 { bytes[k] ^= 0x5A }
        try Data(bytes).write(to: URL(fileURLWithPath: seg))

        var cfg = Fixture.config(TestEnv.tempDir("corrupt-data"))
        cfg.concurrency = 2  // both groups at once
        let r = try await Compactor(bucket: bucket, config: cfg, lock: nil, showProgress: false).runPass()
        #expect(!r.completed)
        #expect(Array(r.quarantined.keys) == [victim], "\(r.quarantined)")
        #expect(r.compactions == 2, "\(r)")
        let mark = try await BlockMarkers(bucket: bucket).read(victim, .noCompact)
        #expect(mark?.reason == "corrupt-block" && mark?.details.contains("chunks") == true, "\(String(describing: mark))")
        let live = try await Fixture.live(bucket)
        // c1: the 8h window without the victim (blocks 0, 2, 3), the victim and the newest; c2: 8h + newest.
        let c1 = live.filter { $0.thanos?.labels["cluster"] == "c1" }
        #expect(c1.count == 3 && c1.contains { $0.ulid == victim })
        #expect(c1.first { $0.compaction.level == 2 }?.compaction.sources.count == 3)
        #expect(live.filter { $0.thanos?.labels["cluster"] == "c2" }.count == 2)

        // The next pass leaves the quarantined block alone and completes.
        let again = try await Compactor(bucket: bucket, config: Fixture.config(TestEnv.tempDir("corrupt-data")), lock: nil, showProgress: false).runPass()
        #expect(again.completed && again.compactions == 0, "\(again)")
    }

    /// Overlapping blocks of one group: quarantined unless vertical compaction or replica
    /// deduplication is on; replicas are merged into one block without the replica label.
    @Test func overlapsAndReplicaDeduplication() async throws {
        let h = Fixture.hour, t0 = Fixture.dayZero
        let local = TestEnv.tempDir("overlap-blocks")
        let (bucket, _) = try Fixture.fsBucket("overlap-bucket")
        let a = try Fixture.block(local, t0, t0 + 2 * h)
        let b = try Fixture.block(local, t0 + h, t0 + 3 * h)
        let newest = try Fixture.block(local, t0 + 4 * h, t0 + 6 * h)
        _ = try await Fixture.upload([a, b, newest], to: bucket)
        let r = try await Compactor(bucket: bucket, config: Fixture.config(TestEnv.tempDir("ov-data")), lock: nil, showProgress: false).runPass()
        #expect(r.quarantined.count == 2 && r.compactions == 0 && !r.completed, "\(r)")
        #expect(r.quarantined.values.allSatisfy { $0.hasPrefix("overlap") })

        // Two replicas of one Prometheus, scraping 30s apart.
        let (rb, root) = try Fixture.fsBucket("replica-bucket")
        var dirs: [String] = []
        for (rep, off) in [("a", Int64(0)), ("b", Int64(30_000))] {
            let d = try Fixture.block(local, t0, t0 + 2 * h, labels: ["cluster": "c1", "replica": rep], offsetMs: off)
            _ = try await Fixture.upload([d], to: rb, labels: ["cluster": "c1", "replica": rep])
            dirs.append(d)
        }
        var cfg = Fixture.config(TestEnv.tempDir("rep-data"))
        cfg.replicaLabels = ["replica"]
        let rr = try await Compactor(bucket: rb, config: cfg, lock: nil, showProgress: false).runPass()
        #expect(rr.completed && rr.compactions == 1, "\(rr)")
        let live = try await Fixture.live(rb)
        #expect(live.count == 1 && live[0].thanos?.labels == ["cluster": "c1"])
        #expect(live[0].stats.numSamples == 2 * 3 * 120)
        #expect(try Fixture.dump([root + "/" + live[0].ulid.description], promtool: nil) == Fixture.dump(dirs, promtool: nil))
    }

    /// A replica's block arriving after its history was compacted and downsampled is merged
    /// into the 2d block, which is downsampled again; the older 5m copy (fewer sources) goes
    /// in the same pass, so no completed pass leaves two overlapping 5m blocks (the chaos
    /// test's finding: a pass killed between the merge and the downsampling left one).
    @Test func lateReplicaSupersedesTheOlderDownsampledCopy() async throws {
        let h = Fixture.hour, t0 = Fixture.dayZero
        let local = TestEnv.tempDir("late-blocks")
        let (bucket, _) = try Fixture.fsBucket("late-bucket")
        let a = try Fixture.block(local, t0, t0 + 48 * h, labels: ["cluster": "c1", "replica": "a"])
        let old5m = try BlockDownsampler.downsample(blockDir: a, outParentDir: local, resolution: Downsample.resolution5m)
        let b = try Fixture.block(local, t0 + 46 * h, t0 + 48 * h, labels: ["cluster": "c1", "replica": "b"], offsetMs: 30_000)
        _ = try await Fixture.upload([a, local + "/" + old5m.ulid.description], to: bucket, labels: ["cluster": "c1", "replica": "a"])
        _ = try await Fixture.upload([b], to: bucket, labels: ["cluster": "c1", "replica": "b"])
        var cfg = Fixture.config(TestEnv.tempDir("late-data"))
        cfg.replicaLabels = ["replica"]
        cfg.deleteDelay = 0
        let r = try await Compactor(bucket: bucket, config: cfg, lock: nil, showProgress: false).runPass()
        #expect(r.completed && r.compactions == 1 && r.downsamplings == 1, "\(r)")
        let live = try await Fixture.live(bucket)
        let fiveMinute = live.filter { $0.resolution == Downsample.resolution5m }
        #expect(fiveMinute.count == 1 && fiveMinute[0].ulid != old5m.ulid, "\(live.map { ($0.ulid, $0.resolution, $0.sourceIDs.count) })")
        #expect(Set(fiveMinute.first?.sourceIDs ?? []).count == 2)
        #expect(live.filter { $0.resolution == 0 }.count == 1)
    }

    /// Retention marks exactly the blocks wholly older than their resolution's retention.
    @Test func retentionPerResolution() async throws {
        let (bucket, _) = try Fixture.fsBucket("ret-bucket")
        let local = TestEnv.tempDir("ret-blocks")
        let day: Int64 = 24 * Fixture.hour
        let now = currentTimeMillis() / (2 * Fixture.hour) * (2 * Fixture.hour)
        func at(_ days: Int64, _ res: Int64 = 0) throws -> String {
            try Fixture.block(local, now - days * day, now - days * day + 2 * Fixture.hour, series: 1, resolution: res)
        }
        let raw30 = try at(30), raw20 = try at(20), raw5 = try at(5)
        let m60 = try at(60, Downsample.resolution5m), m20 = try at(20, Downsample.resolution5m), h400 = try at(400, Downsample.resolution1h)
        let metas = try await Fixture.upload([raw30, raw20, raw5, m60, m20, h400], to: bucket)
        var cfg = Fixture.config(TestEnv.tempDir("ret-data"))
        cfg.retention = [0: 10 * day, Downsample.resolution5m: 30 * day, Downsample.resolution1h: 0]
        cfg.deleteDelay = 0
        cfg.downsampling = false
        let r = try await Compactor(bucket: bucket, config: cfg, lock: nil, showProgress: false).runPass()
        #expect(r.markedForDeletion == 3 && r.deleted == 3, "\(r)")
        let left = Set(try await Fixture.live(bucket).map(\.ulid))
        #expect(left == Set([metas[2], metas[4], metas[5]].map(\.ulid)))
    }

    /// A pass that died after uploading a compacted block but before marking all its inputs
    /// (or in the middle of an upload) is finished by the next one: no overlap, no loss.
    @Test func interruptedPassIsFinished() async throws {
        let h = Fixture.hour, t0 = Fixture.dayZero
        let local = TestEnv.tempDir("int-blocks")
        let (bucket, root) = try Fixture.fsBucket("int-bucket")
        var dirs: [String] = []
        for i in 0..<5 { dirs.append(try Fixture.block(local, t0 + Int64(i) * 2 * h, t0 + Int64(i + 1) * 2 * h)) }
        let metas = try await Fixture.upload(dirs, to: bucket)
        // The dead pass: compacted block uploaded, one input marked, a half-uploaded second block.
        let out = TestEnv.tempDir("int-out")
        let made = try BlockCompactor.compact(blockDirs: Array(dirs.prefix(4)), outParentDir: out)
        _ = try await BlockUploader(bucket: bucket).upload(blockDir: out + "/" + made.ulid.description, externalLabels: ["cluster": "c1"], source: "compactor")
        try await BlockMarkers(bucket: bucket).mark(metas[0].ulid, .deletion)
        let orphan = ULID()
        try await bucket.put("\(orphan)/chunks/000001", bytes: [1, 2, 3])

        var cfg = Fixture.config(TestEnv.tempDir("int-data"))
        cfg.deleteDelay = 0
        let r = try await Compactor(bucket: bucket, config: cfg, lock: nil, showProgress: false).runPass()
        #expect(r.completed && r.compactions == 0 && r.markedForDeletion == 3 && r.deleted == 4, "\(r)")
        #expect(r.partialsRemoved == 0)  // younger than 48h: maybe still uploading
        let live = try await Fixture.live(bucket)
        #expect(live.map(\.ulid) == [made.ulid, metas[4].ulid])
        #expect(try Fixture.dump(live.map { root + "/" + $0.ulid.description }, promtool: nil) == Fixture.dump(dirs, promtool: nil))
        let later = try await Compactor(bucket: bucket, config: cfg, lock: nil, showProgress: false).runPass(now: Date().addingTimeInterval(49 * 3600))
        #expect(later.partialsRemoved == 1)
        #expect(try await bucket.list(prefix: orphan.description, recursive: true).isEmpty)
    }

    /// A bucket that stops accepting writes fails only the job it hit: the group compacted
    /// before it is done, the failed group's inputs are untouched (no marks), nothing is
    /// quarantined, and the next pass with a healthy bucket finishes the work.
    @Test func bucketFailureFailsOnlyItsJob() async throws {
        let (base, _) = try Fixture.fsBucket("dying-bucket")
        let local = TestEnv.tempDir("dying-blocks")
        let h = Fixture.hour, t0 = Fixture.dayZero
        var c2: [BlockMeta] = []
        for cluster in ["c1", "c2"] {
            var dirs: [String] = []
            for i in 0..<5 { dirs.append(try Fixture.block(local, t0 + Int64(i) * 2 * h, t0 + Int64(i + 1) * 2 * h, labels: ["cluster": cluster])) }
            let metas = try await Fixture.upload(dirs, to: base, labels: ["cluster": cluster])
            if cluster == "c2" { c2 = metas }
        }
        // One upload (chunks, index, meta.json) succeeds, then every write fails.
        let dying = DyingBucket(base: base, allowedPuts: 3)
        let r = try await Compactor(bucket: dying, config: Fixture.config(TestEnv.tempDir("dying-data")), lock: nil, showProgress: false).runPass()
        #expect(!r.completed && r.compactions == 1 && r.failures.count == 1 && r.quarantined.isEmpty, "\(r)")
        #expect(r.failures.first?.contains("c2") == true)
        let marks = try await BlockMetaFetcher(bucket: base).fetch().deletionMarks
        #expect(marks.count == 4 && c2.allSatisfy { marks[$0.ulid] == nil })

        let again = try await Compactor(bucket: base, config: Fixture.config(TestEnv.tempDir("dying-data")), lock: nil, showProgress: false).runPass()
        #expect(again.completed && again.compactions == 1, "\(again)")
        #expect(try await Fixture.live(base).filter { $0.compaction.level == 2 }.count == 2)
    }
}

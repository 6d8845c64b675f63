import Foundation
import Logging
import MetricsTestKit
@testable import StrataBucket
import StrataCompact
import StrataCore
import StrataObjStore
@testable import StrataStore
import StrataStoreAPI
import StrataTSDB
import StrataTestSupport
import Synchronization
import Testing

/// The bucket-backed store against real blocks (promtool-written testdata and blocks from
/// the block writer and downsampler) in a filesystem bucket and in moto, answers compared
/// sample for sample with `promtool tsdb dump` of the same blocks.
@Suite struct BucketStoreTests {
    static let selectors = [#"{job="api"}"#, #"{__name__=~"rpc_duration_seconds_.*",le!="+Inf"}"#,
                            #"weird_gauge{kind!~"p.*"}"#, #"{__name__=~".+"}"#,
                            #"{job=~"a.*|db",instance!="host-1:9100"}"#, #"{cluster="c1",job="db"}"#]

    /// Every selector's samples equal the dump; time trimming, skip_chunks, external-label
    /// matchers and the label APIs agree with it too.
    static func checkAgainstDump(_ store: BucketStore, _ promtool: String, selectors: [String] = selectors) async throws {
        let all = try Fixtures.promDump(promtool, extra: Fixtures.promExternal)
        for sel in selectors {
            let ms = try SeriesSelector.parse(sel)
            let (series, warnings) = try await Fixtures.collect(store, try Fixtures.request(sel))
            #expect(warnings.isEmpty)
            let labels = series.map { Labels(proto: $0.labels) }
            #expect(zip(labels, labels.dropFirst()).allSatisfy { Labels.compare($0, $1) < 0 }, "sorted, one frame per series: \(sel)")
            let got = try Fixtures.lines(series)
            let want = Fixtures.sortDump(all.filter { (try? parseDumpLabels($0).matches(ms)) == true })
            #expect(firstDifference(got, want) == nil, "selector \(sel)")
            #expect(!got.isEmpty, "selector \(sel)")
            let selected = try await Fixtures.expectSelectionMatchesSeries(store, try Fixtures.request(sel))
            #expect(selected.allSatisfy { if case .xor = $0.chunks { true } else { false } }, "float blocks in time order: \(sel)")
        }
        // External labels rule whole blocks out.
        #expect(try await Fixtures.collect(store, try Fixtures.request(#"{replica="b"}"#)).series.isEmpty)
        // Time trimming: only chunks overlapping the range.
        let mint: Int64 = 1_700_006_400_000, maxt: Int64 = 1_700_009_000_000
        let trimmed = try await Fixtures.collect(store, try Fixtures.request(#"{job="db"}"#, mint, maxt)).series
        for s in trimmed { for c in s.chunks { #expect(c.maxTime >= mint && c.minTime <= maxt) } }
        try await Fixtures.expectSelectionMatchesSeries(store, try Fixtures.request(#"{job="db"}"#, mint, maxt))
        let gotT = try Fixtures.lines(trimmed, mint: mint, maxt: maxt)
        let wantT = Fixtures.sortDump(all.filter { $0.contains(#"job="db""#) && dumpTime($0) >= mint && dumpTime($0) <= maxt })
        #expect(firstDifference(gotT, wantT) == nil)
        let untrimmedChunks = try await Fixtures.collect(store, try Fixtures.request(#"{job="db"}"#)).series.map(\.chunks.count).reduce(0, +)
        #expect(trimmed.map(\.chunks.count).reduce(0, +) < untrimmedChunks)
        // skip_chunks: labels only.
        var req = try Fixtures.request(#"{job="db"}"#)
        req.skipChunks = true
        let labelsOnly = try await Fixtures.collect(store, req).series
        #expect(labelsOnly.count == 3 && labelsOnly.allSatisfy { $0.chunks.isEmpty })
        // Label names and values, with and without matchers.
        let dumpLabels = all.map { try! parseDumpLabels($0) }
        var ln = Thanos_LabelNamesRequest()
        ln.start = .min
        ln.end = .max
        #expect(try await store.labelNames(ln).names == Set(dumpLabels.flatMap { $0.pairs.map(\.name) }).sorted(by: bytewiseLess))
        var lv = Thanos_LabelValuesRequest()
        lv.label = "job"
        lv.start = .min
        lv.end = .max
        #expect(try await store.labelValues(lv).values == Set(dumpLabels.map { $0["job"] }.filter { !$0.isEmpty }).sorted(by: bytewiseLess))
        lv.label = "__name__"
        lv.matchers = try SeriesSelector.parse(#"{job="db"}"#).map(\.proto)
        #expect(try await store.labelValues(lv).values == Set(dumpLabels.filter { $0["job"] == "db" }.map(\.metricName)).sorted(by: bytewiseLess))
        ln.matchers = try SeriesSelector.parse(#"{job="db"}"#).map(\.proto)
        #expect(try await store.labelNames(ln).names == Set(dumpLabels.filter { $0["job"] == "db" }.flatMap { $0.pairs.map(\.name) }).sorted(by: bytewiseLess))
        // Info: the external label set and the blocks' time range.
        let info = try await store.info()
        #expect(info.labelSets.map { Labels(proto: $0.labels) } == [Labels(Fixtures.promExternal)])
        #expect(info.store.minTime == 1_699_999_200_000 && info.store.maxTime == 1_700_024_370_018)
    }

    @Test func filesystemBucketMatchesPromtoolDump() async throws {
        guard let promtool = try TestEnv.promtool() else { return }
        let dir = TestEnv.tempDir("bstore")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let bucket = try FilesystemBucket(directory: dir + "/bucket")
        try await Fixtures.uploadPromBlocks(bucket)
        // No coalescing: every postings list, series entry and chunk is its own range.
        let store = Fixtures.store(bucket, dataDir: dir + "/data") { $0.fetchMaxGap = -1 }
        #expect(try await store.sync().loaded.count == 4)
        try await Self.checkAgainstDump(store, promtool)
        // Coalesced (the default): the same answers.
        let coalesced = Fixtures.store(bucket, dataDir: dir + "/data2")
        _ = try await coalesced.sync()
        try await Self.checkAgainstDump(coalesced, promtool, selectors: [#"{__name__=~".+"}"#])
    }

    @Test func s3BucketOnMotoMatchesPromtoolDump() async throws {
        guard let promtool = try TestEnv.promtool() else { return }
        guard let moto = try await Moto.start() else { return }
        defer { moto.stop() }
        let dir = TestEnv.tempDir("bstore-s3")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let s3 = try await moto.bucket("blocks")
        let bucket = CountingBucket(s3)
        try await Fixtures.uploadPromBlocks(bucket)
        let store = Fixtures.store(bucket, dataDir: dir + "/data")
        bucket.reset()
        #expect(try await store.sync().loaded.count == 4)
        let c = bucket.snapshot
        #expect(c.iters == 1, "one listing per sync")
        #expect(!c.gets.contains { $0.hasSuffix("/index") || $0.contains("/chunks/") }, "index and chunks only by ranges")
        try await Self.checkAgainstDump(store, promtool)
        // A second sync lists once more and reads no meta.json and no index again.
        bucket.reset()
        _ = try await store.sync()
        #expect(bucket.snapshot.iters == 1 && bucket.snapshot.ranges.isEmpty && !bucket.snapshot.gets.contains { $0.hasSuffix("meta.json") })
        try await s3.close()
    }

    /// A restarted gateway re-reads no meta.json and rebuilds no index-header.
    @Test func restartReusesDataDir() async throws {
        let dir = TestEnv.tempDir("bstore-restart")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let bucket = CountingBucket(try FilesystemBucket(directory: dir + "/bucket"))
        let metas = try await Fixtures.uploadPromBlocks(bucket)
        _ = try await Fixtures.store(bucket, dataDir: dir + "/data").sync()
        for m in metas {
            #expect(FileManager.default.fileExists(atPath: dir + "/data/\(m.ulid)/index-header"))
            #expect(FileManager.default.fileExists(atPath: dir + "/data/meta-syncer/\(m.ulid)/meta.json"))
        }
        bucket.reset()
        let again = Fixtures.store(bucket, dataDir: dir + "/data")
        #expect(try await again.sync().loaded.count == 4)
        let c = bucket.snapshot
        #expect(c.iters == 1)
        #expect(c.ranges.isEmpty && c.attributes == 0)
        #expect(c.gets.allSatisfy { $0.hasSuffix("deletion-mark.json") }, "\(c.gets)")
        let (series, _) = try await Fixtures.collect(again, try Fixtures.request(#"{__name__=~".+"}"#))
        #expect(series.count == 19)
        // A block gone from the bucket is dropped and its local files removed.
        try await BlockDeleter(bucket: bucket).delete(metas[0].ulid)
        let r = try await again.sync()
        #expect(r.dropped == [metas[0].ulid])
        #expect(!FileManager.default.fileExists(atPath: dir + "/data/\(metas[0].ulid)"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/data/meta-syncer/\(metas[0].ulid)"))
    }

    @Test func partialDeletedAndOutOfRangeBlocksAreNotServed() async throws {
        let dir = TestEnv.tempDir("bstore-filter")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let bucket = try FilesystemBucket(directory: dir + "/bucket")
        let metas = try await Fixtures.uploadPromBlocks(bucket)
        // Partial: chunks and index but no meta.json yet.
        let local = dir + "/blocks"
        let partial = try Fixtures.writeBlock(parent: local, minTime: 1_700_000_000_000, hours: 2, series: 3, labels: ["cluster": "c1"])
        try await bucket.put("\(partial.ulid)/index", file: local + "/\(partial.ulid)/index")
        // Deletion marks: one old (past the delay), one fresh (still served).
        let markers = BlockMarkers(bucket: bucket)
        try await markers.mark(metas[0].ulid, .deletion, now: Date().addingTimeInterval(-2 * 86_400))
        try await markers.mark(metas[1].ulid, .deletion, now: Date())
        let store = Fixtures.store(bucket, dataDir: dir + "/data")
        _ = try await store.sync()
        #expect(store.loadedBlocks.map(\.ulid) == [metas[1].ulid, metas[2].ulid, metas[3].ulid])
        // --min-time / --max-time select overlapping blocks and clip what is served.
        let ranged = Fixtures.store(bucket, dataDir: dir + "/data2") { c in
            c.minTime = 1_700_013_600_000
            c.maxTime = 1_700_015_000_000
        }
        _ = try await ranged.sync()
        #expect(ranged.loadedBlocks.map(\.ulid) == [metas[2].ulid])
        let (series, _) = try await Fixtures.collect(ranged, try Fixtures.request(#"{__name__=~".+"}"#))
        for s in series { for c in s.chunks { #expect(c.minTime <= 1_700_015_000_000) } }
        let info = try await ranged.info()
        #expect(info.store.minTime == 1_700_013_600_000 && info.store.maxTime == 1_700_015_000_000)
    }

    /// Two gateways sharded by hashmod over `__block_id` serve every block exactly once.
    @Test func hashmodShardsServeEveryBlockOnce() async throws {
        let dir = TestEnv.tempDir("bstore-shard")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let bucket = try FilesystemBucket(directory: dir + "/bucket")
        let local = dir + "/blocks"
        var ids: [ULID] = []
        for i in 0..<12 {
            let m = try Fixtures.writeBlock(parent: local, minTime: Int64(i) * 7_200_000, hours: 2, series: 2,
                                            labels: ["cluster": "c\(i % 2)"])
            try await BlockUploader(bucket: bucket).upload(blockDir: local + "/\(m.ulid)", externalLabels: [:], source: "test")
            ids.append(m.ulid)
        }
        var shards: [[ULID]] = []
        var seen: [String] = []
        for shard in 0..<2 {
            let yaml = """
            - action: hashmod
              source_labels: [__block_id]
              target_label: shard
              modulus: 2
            - action: keep
              source_labels: [shard]
              regex: "\(shard)"
            """
            let store = Fixtures.store(bucket, dataDir: dir + "/data\(shard)") { $0.relabel = try! BlockRelabel(yaml: yaml) }
            _ = try await store.sync()
            shards.append(store.loadedBlocks.map(\.ulid))
            seen += try Fixtures.lines(try await Fixtures.collect(store, try Fixtures.request(#"{__name__="gen_metric"}"#)).series)
        }
        #expect(!shards[0].isEmpty && !shards[1].isEmpty)
        #expect(Set(shards[0]).isDisjoint(with: shards[1]))
        #expect(Set(shards[0] + shards[1]) == Set(ids))
        #expect(seen.count == 12 * 2 * 120, "every sample exactly once")
        #expect(Set(seen).count == seen.count)
        // keep/drop on external labels.
        let dropC0 = Fixtures.store(bucket, dataDir: dir + "/data-drop") {
            $0.relabel = try! BlockRelabel(yaml: "- action: drop\n  source_labels: [cluster]\n  regex: c0\n")
        }
        _ = try await dropC0.sync()
        #expect(dropC0.loadedBlocks.count == 6 && dropC0.loadedBlocks.allSatisfy { $0.externalLabels["cluster"] == "c1" })
        // Prometheus's hashmod: big-endian last 8 bytes of the MD5, mod the modulus.
        #expect(BlockRelabel.hashmod("01M7Z4RSH0A38DJ9ESQBCVZ4TM", 7) == 6)
        #expect(BlockRelabel.hashmod("01M7Z4RSH0A38DJ9ESQBCVZ4TM", 1000) == 124)
        #expect(BlockRelabel.hashmod("a;b", 1000) == 74)
    }

    /// A block whose index is corrupt is logged, counted and skipped; one whose chunks are
    /// corrupt yields a warning at query time; the others are served.
    @Test func corruptBlocksAreReportedAndSkipped() async throws {
        let dir = TestEnv.tempDir("bstore-corrupt")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let bucket = try FilesystemBucket(directory: dir + "/bucket")
        let metas = try await Fixtures.uploadPromBlocks(bucket)
        // Corrupt the TOC of block 0 (flip a byte near the end of its index).
        var index = try await bucket.getBytes("\(metas[0].ulid)/index")
        index[index.count - 10] ^= 0xFF
        try await bucket.put("\(metas[0].ulid)/index", bytes: index)
        let testMetrics = TestMetrics()
        var config = BucketStore.Config(dataDir: dir + "/data")
        config.fetchMaxGap = -1
        let store = BucketStore(bucket: bucket, config: config, metrics: StoreMetrics(factory: testMetrics))
        let r = try await store.sync()
        #expect(r.failed.keys.sorted() == [metas[0].ulid])
        #expect(r.failed[metas[0].ulid]?.contains("TOC") == true)
        #expect(try testMetrics.expectCounter("strata_bucket_store_block_load_failures_total").totalValue == 1)
        #expect(store.loadedBlocks.count == 3)
        // Corrupt every chunk segment of block 1 (after the header): query-time failure.
        let seg = "\(metas[1].ulid)/chunks/000001"
        var chunks = try await bucket.getBytes(seg)
        for i in stride(from: 16, to: chunks.count, by: 7) { chunks[i] ^= 0x5A }
        try await bucket.put(seg, bytes: chunks)
        let (series, warnings) = try await Fixtures.collect(store, try Fixtures.request(#"{__name__=~".+"}"#))
        #expect(warnings.count == 1 && warnings[0].contains(metas[1].ulid.description))
        #expect(!series.isEmpty)
        #expect(series.allSatisfy { $0.chunks.allSatisfy { $0.minTime >= metas[2].minTime } })
        #expect(try testMetrics.expectCounter("strata_bucket_store_block_load_failures_total").totalValue == 2)
        // A query in process gets the same series and warning (the block is counted again).
        try await Fixtures.expectSelectionMatchesSeries(store, try Fixtures.request(#"{__name__=~".+"}"#))
    }

    /// With a 5m-downsampled block present the store picks it when `max_resolution_window`
    /// allows, fills the time it does not cover with raw blocks, and returns the requested
    /// aggregates; raw requests get raw chunks equal to promtool's dump of the raw block.
    @Test func resolutionChoiceWithDownsampledBlock() async throws {
        let dir = TestEnv.tempDir("bstore-res")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let bucket = try FilesystemBucket(directory: dir + "/bucket")
        let local = dir + "/blocks"
        let ext = ["cluster": "d"]
        let raw = try Fixtures.writeBlock(parent: local, minTime: 0, hours: 8, series: 4, labels: ext)
        let later = try Fixtures.writeBlock(parent: local, minTime: 8 * 3_600_000, hours: 2, series: 4, labels: ext)
        let down = try BlockDownsampler.downsample(blockDir: local + "/\(raw.ulid)", outParentDir: local + "/down", resolution: 300_000)
        for d in [local + "/\(raw.ulid)", local + "/\(later.ulid)", local + "/down/\(down.ulid)"] {
            try await BlockUploader(bucket: bucket).upload(blockDir: d, externalLabels: ext, source: "test")
        }
        let store = Fixtures.store(bucket, dataDir: dir + "/data")
        #expect(try await store.sync().loaded.count == 3)
        var req = try Fixtures.request(#"{__name__="gen_metric",series="s1"}"#, 0, 10 * 3_600_000)
        req.maxResolutionWindow = 300_000
        req.aggregates = [.min, .max, .count]
        let coarse = try await Fixtures.collect(store, req).series
        #expect(coarse.count == 1)
        let cs = coarse[0].chunks
        let downChunks = cs.filter { $0.maxTime < 8 * 3_600_000 }
        let rawChunks = cs.filter { $0.minTime >= 8 * 3_600_000 }
        // Downsampled chunks reach a query in process as messages too.
        let selected = try await Fixtures.expectSelectionMatchesSeries(store, req)
        #expect(selected.allSatisfy { if case .messages = $0.chunks { true } else { false } })
        #expect(!downChunks.isEmpty && downChunks.allSatisfy { !$0.min.data.isEmpty && !$0.max.data.isEmpty && !$0.count.data.isEmpty && $0.raw.data.isEmpty && $0.sum.data.isEmpty })
        #expect(!rawChunks.isEmpty && rawChunks.allSatisfy { !$0.raw.data.isEmpty })
        // The count aggregate covers every raw sample of the first 8h.
        var counts: [Int64] = [], vs: [Double] = []
        for c in downChunks { try c.count.data.withUnsafeBytes { try decodeXOR($0, into: &counts, &vs) } }
        #expect(vs.reduce(0, +) == 8 * 60)
        // Raw only: every sample, equal to promtool's dump of the raw blocks.
        req.maxResolutionWindow = 0
        req.aggregates = []
        let rawOnly = try await Fixtures.collect(store, req).series
        #expect(rawOnly.count == 1 && rawOnly[0].chunks.allSatisfy { !$0.raw.data.isEmpty })
        if let promtool = try TestEnv.promtool() {
            var want: [String] = []
            for d in [local + "/\(raw.ulid)", local + "/\(later.ulid)"] {
                want += try TestEnv.promtoolDump(promtool, block: d).split(separator: "\n").map(String.init)
                    .filter { $0.contains(#"series="s1""#) }
                    .map { line in
                        let l = try parseDumpLabels(line).merging(Labels(ext))
                        return "\(l) " + line[line.range(of: "} ", options: .backwards)!.upperBound...]
                    }
            }
            #expect(firstDifference(try Fixtures.lines(rawOnly), Fixtures.sortDump(want)) == nil)
        }
    }

    @Test func limitsGiveResourceExhaustedNamingTheLimit() async throws {
        let dir = TestEnv.tempDir("bstore-limits")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let bucket = try FilesystemBucket(directory: dir + "/bucket")
        try await Fixtures.uploadPromBlocks(bucket)
        func attempt(_ tweak: (inout StoreLimits) -> Void) async throws -> String? {
            let store = Fixtures.store(bucket, dataDir: dir + "/data") { tweak(&$0.limits) }
            _ = try await store.sync()
            do {
                _ = try await Fixtures.collect(store, try Fixtures.request(#"{__name__=~".+"}"#))
                return nil
            } catch StoreError.resourceExhausted(let m) {
                return m
            }
        }
        #expect(try await attempt { $0.requestSeries = 10 }?.contains("--store.limits.request-series") == true)
        #expect(try await attempt { $0.requestSamples = 1000 }?.contains("--store.limits.request-samples") == true)
        #expect(try await attempt { $0.requestBytes = 20_000 }?.contains("--store.limits.request-bytes") == true)
        #expect(try await attempt { $0.requestSeries = 1000; $0.requestSamples = 1_000_000 } == nil)

        // Concurrency: with one slot, a second request while the first streams is refused.
        let store = Fixtures.store(bucket, dataDir: dir + "/data") { $0.limits.seriesMaxConcurrency = 1 }
        _ = try await store.sync()
        let (entered, enteredCont) = AsyncStream<Void>.makeStream()
        let (release, releaseCont) = AsyncStream<Void>.makeStream()
        let req = try Fixtures.request(#"{job="db"}"#)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                let first = Flag()
                try await store.series(req) { _ in
                    if first.set() {
                        enteredCont.yield()
                        for await _ in release { break }
                    }
                }
            }
            for await _ in entered { break }
            do {
                _ = try await Fixtures.collect(store, req)
                Issue.record("expected the concurrency limit")
            } catch StoreError.resourceExhausted(let m) {
                #expect(m.contains("--store.grpc.series-max-concurrency"))
            }
            releaseCont.yield()
            try await group.waitForAll()
        }
        // The slot is free again.
        #expect(try await Fixtures.collect(store, req).series.count == 3)
    }

    @Test func relabelConfigParsing() throws {
        #expect(throws: ConfigError.self) { try BlockRelabel(yaml: "- action: labelmap\n") }
        #expect(throws: ConfigError.self) { try BlockRelabel(yaml: "- action: hashmod\n  source_labels: [a]\n") }
        let keep = try BlockRelabel(yaml: "- action: keep\n  source_labels: [cluster, replica]\n  regex: c1;a\n")
        #expect(keep.keeps(externalLabels: Labels(["cluster": "c1", "replica": "a"]), blockID: "x"))
        #expect(!keep.keeps(externalLabels: Labels(["cluster": "c1", "replica": "b"]), blockID: "x"))
        #expect(try BlockRelabel(yaml: "").rules.isEmpty)
    }
}

/// Set-once flag: `set()` is true for the first caller only.
final class Flag: Sendable {
    private let value = Mutex(false)
    func set() -> Bool { value.withLock { v in defer { v = true }; return !v } }
}

/// Entries longer than the read-ahead estimates: a series with 1,000 chunks (its index entry
/// is several KB) and chunks of 2,000 random samples (about 18 KB each), read without
/// coalescing so each needs a second, exact read. Answers equal the local-block store's and
/// promtool's dump.
@Suite struct LongEntriesTests {
    @Test func longSeriesEntriesAndChunksAreReadExactly() async throws {
        let dir = TestEnv.tempDir("bstore-long")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let local = dir + "/blocks"
        let w = try BlockWriter(parentDir: local, minTime: 0, maxTime: 7_200_000)
        var rng = SystemRandomNumberGenerator()
        let ts = (0..<4000).map { Int64($0) * 1000 }
        let noisy = ts.map { _ in Double.random(in: -1e9...1e9, using: &rng) }
        var all: [(Labels, [EncodedChunk])] = [
            (Labels(["__name__": "big_chunks"]), EncodedChunk.xorChunks(timestamps: ts, values: noisy, perChunk: 2000)),
            (Labels(["__name__": "many_chunks"]), EncodedChunk.xorChunks(timestamps: Array(ts[0..<2000]), values: Array(noisy[0..<2000]), perChunk: 2)),
        ]
        for k in 0..<5 {
            all.append((Labels(["__name__": "small", "k": "\(k)"]), EncodedChunk.xorChunks(timestamps: Array(ts[0..<240]), values: ts[0..<240].map { Double($0) })))
        }
        all.sort { Labels.compare($0.0, $1.0) < 0 }
        for (l, c) in all { try w.add(l, chunks: c) }
        let meta = try w.commit { $0.thanos = ThanosMeta(labels: ["cluster": "long"], source: "test") }
        #expect(all.first { $0.0.metricName == "big_chunks" }!.1.allSatisfy { $0.data.count > 2 * 2048 })
        let bucket = CountingBucket(try FilesystemBucket(directory: dir + "/bucket"))
        try await BlockUploader(bucket: bucket).upload(blockDir: local + "/\(meta.ulid)", externalLabels: [:], source: "test")
        let store = Fixtures.store(bucket, dataDir: dir + "/data") { $0.fetchMaxGap = -1 }
        _ = try await store.sync()
        let reference = LocalBlockStore(blocks: [try BlockReader(dir: local + "/\(meta.ulid)")])
        for sel in [#"{__name__=~".+"}"#, #"{__name__="many_chunks"}"#, #"{__name__="big_chunks"}"#, #"small{k!="3"}"#] {
            bucket.reset()
            let got = try Fixtures.lines(try await Fixtures.collect(store, try Fixtures.request(sel)).series)
            let want = try Fixtures.lines(try await Fixtures.collect(reference, try Fixtures.request(sel)).series)
            #expect(firstDifference(got, want) == nil, "\(sel)")
            #expect(!got.isEmpty)
        }
        // The exact second reads happened: postings, the estimated and the exact series entry.
        bucket.reset()
        #expect(try Fixtures.lines(try await Fixtures.collect(store, try Fixtures.request(#"{__name__="many_chunks"}"#)).series).count == 2000)
        #expect(bucket.snapshot.ranges.filter { $0.hasSuffix("/index") }.count == 3)
        // Each big chunk: the estimated read, then the exact one.
        bucket.reset()
        _ = try await Fixtures.collect(store, try Fixtures.request(#"{__name__="big_chunks"}"#))
        #expect(bucket.snapshot.ranges.filter { $0.contains("/chunks/") }.count == 4)
        if let promtool = try TestEnv.promtool() {
            let dump = try TestEnv.promtoolDump(promtool, block: local + "/\(meta.ulid)").split(separator: "\n").map { line in
                let s = String(line)
                return "\(try parseDumpLabels(s).merging(Labels(["cluster": "long"]))) " + s[s.range(of: "} ", options: .backwards)!.upperBound...]
            }
            let got = try Fixtures.lines(try await Fixtures.collect(store, try Fixtures.request(#"{__name__=~".+"}"#)).series)
            #expect(firstDifference(got, Fixtures.sortDump(dump)) == nil)
        }
    }
}

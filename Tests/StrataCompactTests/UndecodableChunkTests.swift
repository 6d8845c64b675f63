import Foundation
import StrataBucket
import StrataCore
import StrataTSDB
import StrataTestSupport
import Testing
@testable import StrataCompact

/// Chunks whose encoding Strata cannot decode (encoding 7 here, newer than any Prometheus
/// 3.14 writes): copied through byte for byte where their series needs no merge, the
/// block's other series compacted, the result kept un-downsampled; where a merge would be
/// needed the block stays out of its group.
@Suite struct UndecodableChunkTests {
    static let opaqueBytes: [UInt8] = [0x00, 0x02, 0xDE, 0xAD, 0xBE, 0xEF, 0x01]
    static let x2 = Labels(["__name__": "x2"])

    /// A block with a float series, a histogram series and, when `opaque`, a series whose
    /// one chunk has encoding 7.
    static func block(_ parent: String, _ minT: Int64, _ maxT: Int64, opaque: Bool, labels: [String: String] = ["cluster": "c1"]) throws -> String {
        let w = try BlockWriter(parentDir: parent, minTime: minT, maxTime: maxT)
        let ts = Array(stride(from: minT, to: maxT, by: 600_000))
        try w.add(Labels(["__name__": "f"]), timestamps: ts, values: ts.map { Double($0 % 1000) })
        try w.add(Labels(["__name__": "nh"]), timestamps: ts, histograms: ts.indices.map {
            Histogram(count: UInt64($0), sum: Double($0), positiveSpans: [HistogramSpan(offset: 0, length: 1)], positiveBuckets: [Int64($0)])
        })
        if opaque {
            try w.add(x2, chunks: [.opaque(encoding: 7, data: opaqueBytes, minTime: minT + 1000, maxTime: minT + 61_000)])
        }
        let m = try w.commit { $0.thanos = ThanosMeta(labels: labels, source: "sidecar") }
        return parent + "/" + m.ulid.description
    }

    @Test func verifierAndReaderNameTheChunkWithoutFailing() throws {
        let dir = try Self.block(TestEnv.tempDir("undecodable-verify"), 0, 7_200_000, opaque: true)
        var v = BlockVerifier(dir: dir)
        #expect(v.run().map(\.description) == [])
        #expect(v.unsupportedChunks.map(\.encoding) == [7] && v.unsupportedChunks.first?.series == Self.x2)
        let r = try BlockReader(dir: dir)
        let s = try #require(try r.series(matching: [try Matcher(.equal, "__name__", "x2")]).first)
        let e = #expect(throws: TSDBError.self) { try r.forEachSample(of: s) { _, _ in } }
        guard case .unsupportedEncoding(_, let l, 7)? = e else { Issue.record("\(String(describing: e))"); return }
        #expect(l == Self.x2)
    }

    /// Adjacent blocks: the chunk is copied byte for byte and reported; the rest compacts.
    @Test func adjacentBlocksCopyTheChunkThrough() throws {
        let root = TestEnv.tempDir("undecodable-copy")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let a = try Self.block(root, 0, 7_200_000, opaque: false)
        let b = try Self.block(root, 7_200_000, 14_400_000, opaque: true)
        var seen: [(ULID, Labels, UInt8)] = []
        let meta = try BlockCompactor.compact(blockDirs: [a, b], outParentDir: root + "/out") { seen.append(($0, $1, $2)) }
        #expect(seen.count == 1 && seen.first?.1 == Self.x2 && seen.first?.2 == 7)
        #expect(seen.first?.0 == (try BlockMeta.read(dir: b)).ulid)
        let out = root + "/out/" + meta.ulid.description
        var v = BlockVerifier(dir: out)
        #expect(v.run().map(\.description) == [])
        #expect(v.unsupportedChunks.count == 1)
        let r = try BlockReader(dir: out)
        let s = try #require(try r.series(matching: [try Matcher(.equal, "__name__", "x2")]).first)
        #expect(s.chunks.count == 1 && s.chunks[0].minTime == 7_201_000 && s.chunks[0].maxTime == 7_261_000)
        let (enc, data) = try r.chunks.chunk(s.chunks[0].ref)
        #expect(enc == 7 && Array(data) == Self.opaqueBytes)
        let want = try HistogramSamples.lines(a).merging(try HistogramSamples.lines(b, except: Self.x2)) { $0 + $1 }
        #expect(want.count == 2 && want.values.allSatisfy { $0.count == 24 })
        #expect(try HistogramSamples.lines(out, except: Self.x2) == want)
    }

    /// Overlapping blocks: the series would need a merge, so compaction refuses with an
    /// error naming the block that holds the chunk.
    @Test func overlappingBlocksRefuseWithTheBlockNamed() throws {
        let root = TestEnv.tempDir("undecodable-overlap")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let a = try Self.block(root, 0, 7_200_000, opaque: true)
        let b = try Self.block(root, 3_600_000, 10_800_000, opaque: true)
        let e = #expect(throws: TSDBError.self) { try BlockCompactor.compact(blockDirs: [b, a], outParentDir: root + "/out") }
        guard case .unsupportedEncoding(let block, let l, 7)? = e else { Issue.record("\(String(describing: e))"); return }
        #expect(block == a && l == Self.x2)
    }

    /// A pass: the block with the chunk is compacted with its neighbours (not quarantined),
    /// and the result gets a no-downsample mark with reason `unsupported-encoding`.
    @Test func passCompactsAndMarksResultNoDownsample() async throws {
        let h = Fixture.hour, t0 = Fixture.dayZero
        let local = TestEnv.tempDir("undecodable-pass")
        let (bucket, _) = try Fixture.fsBucket("undecodable-bucket")
        var dirs: [String] = []
        for i in 0..<5 { dirs.append(try Self.block(local, t0 + Int64(i) * 2 * h, t0 + Int64(i + 1) * 2 * h, opaque: i == 1)) }
        _ = try await Fixture.upload(dirs, to: bucket)
        let r = try await Compactor(bucket: bucket, config: Fixture.config(TestEnv.tempDir("undecodable-data")), lock: nil, showProgress: false).runPass()
        #expect(r.completed && r.compactions == 1 && r.quarantined.isEmpty && r.unsupportedChunks == 1, "\(r)")
        let made = try #require(try await Fixture.live(bucket).first { $0.compaction.level == 2 })
        #expect(r.notDownsampled.keys.sorted() == [made.ulid])
        let markers = BlockMarkers(bucket: bucket)
        let mark = try await markers.read(made.ulid, .noDownsample)
        #expect(mark?.reason == "unsupported-encoding" && mark?.details.contains("x2") == true, "\(String(describing: mark))")
        #expect(try await markers.read(made.ulid, .noCompact) == nil)
    }

    /// Vertical compaction: the block whose series cannot be merged is kept out of its group
    /// (no-compact and no-downsample marks, reason `unsupported-encoding`).
    @Test func passKeepsOverlappingBlockOutOfItsGroup() async throws {
        let h = Fixture.hour, t0 = Fixture.dayZero
        let local = TestEnv.tempDir("undecodable-vpass")
        let (bucket, _) = try Fixture.fsBucket("undecodable-vbucket")
        let a = try Self.block(local, t0, t0 + 2 * h, opaque: true)
        let b = try Self.block(local, t0 + h, t0 + 3 * h, opaque: true)
        let metas = try await Fixture.upload([a, b], to: bucket)
        var cfg = Fixture.config(TestEnv.tempDir("undecodable-vdata"))
        cfg.verticalCompaction = true
        let r = try await Compactor(bucket: bucket, config: cfg, lock: nil, showProgress: false).runPass()
        #expect(r.quarantined.keys.sorted() == [metas[0].ulid] && r.unsupportedChunks == 1, "\(r)")
        #expect(r.quarantined.values.allSatisfy { $0.hasPrefix("unsupported-encoding") })
        let mark = try await BlockMarkers(bucket: bucket).read(metas[0].ulid, .noCompact)
        #expect(mark?.reason == "unsupported-encoding")
    }

    /// A 5m block holding a plain histogram chunk has it brought to 5m first (as Thanos does);
    /// an undecodable chunk is refused by the 1h downsampler instead of losing that series.
    @Test func fiveMinuteBlockWithPlainChunks() throws {
        let root = TestEnv.tempDir("undecodable-5m")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let w = try BlockWriter(parentDir: root, minTime: 0, maxTime: 7_200_000)
        try w.add(Labels(["__name__": "f"]), chunks: Downsample.raw(timestamps: [0, 60_000], values: [1, 2], resolution: Downsample.resolution5m))
        try w.add(Labels(["__name__": "nh"]), timestamps: [0, 600_000], histograms: [Histogram(count: 1, sum: 1, positiveSpans: [HistogramSpan(offset: 0, length: 1)], positiveBuckets: [1]),
                                                                                      Histogram(count: 2, sum: 2, positiveSpans: [HistogramSpan(offset: 0, length: 1)], positiveBuckets: [2])])
        let m = try w.commit { $0.thanos = ThanosMeta(labels: ["cluster": "c1"], source: "compactor", resolution: Downsample.resolution5m) }
        let out = try BlockDownsampler.downsample(blockDir: root + "/" + m.ulid.description, outParentDir: root + "/out", resolution: Downsample.resolution1h)
        let b = try BlockReader(dir: root + "/out/" + out.ulid.description)
        let s = try #require(try b.series(matching: [try Matcher(.equal, "__name__", "nh")]).first)
        let ag = try AggrChunk(decoding: try b.chunks.chunk(s.chunks[0].ref).data)
        #expect(ag.isHistogram && ag.encoding(.sum) == ChunkEncoding.floatHistogram.rawValue)

        let w2 = try BlockWriter(parentDir: root, minTime: 0, maxTime: 7_200_000)
        try w2.add(Self.x2, chunks: [.opaque(encoding: 7, data: Self.opaqueBytes, minTime: 1000, maxTime: 61_000)])
        let m2 = try w2.commit { $0.thanos = ThanosMeta(labels: ["cluster": "c1"], source: "compactor", resolution: Downsample.resolution5m) }
        let e = #expect(throws: TSDBError.self) {
            try BlockDownsampler.downsample(blockDir: root + "/" + m2.ulid.description, outParentDir: root + "/out2", resolution: Downsample.resolution1h)
        }
        guard case .unsupportedEncoding(_, let l, 7)? = e else { Issue.record("\(String(describing: e))"); return }
        #expect(l == Self.x2)
    }

    /// Downsampling a ≥ 40h block with an undecodable chunk leaves it raw with a
    /// no-downsample mark instead of quarantining it (its native histograms alone would be
    /// downsampled: see `histogramBlockIsDownsampled`).
    @Test func downsamplingLeavesBlockRawWithMark() async throws {
        let t0 = Fixture.dayZero
        let local = TestEnv.tempDir("undecodable-ds")
        let (bucket, _) = try Fixture.fsBucket("undecodable-dsbucket")
        let d = try Self.block(local, t0, t0 + 48 * Fixture.hour, opaque: true)
        let metas = try await Fixture.upload([d], to: bucket)
        let r = try await Compactor(bucket: bucket, config: Fixture.config(TestEnv.tempDir("undecodable-dsdata")), lock: nil, showProgress: false).runPass()
        #expect(r.completed && r.downsamplings == 0 && r.quarantined.isEmpty, "\(r)")
        #expect(r.notDownsampled.keys.sorted() == [metas[0].ulid])
        let markers = BlockMarkers(bucket: bucket)
        #expect(try await markers.read(metas[0].ulid, .noDownsample)?.reason == "unsupported-encoding")
        #expect(try await markers.read(metas[0].ulid, .noCompact) == nil)
    }

    /// A ≥ 40h block with native histograms (and no undecodable chunk) is downsampled to 5m
    /// like any other: no no-downsample mark; the histogram series gets histogram AggrChunks.
    @Test func histogramBlockIsDownsampled() async throws {
        let t0 = Fixture.dayZero
        let local = TestEnv.tempDir("hist-ds")
        let (bucket, _) = try Fixture.fsBucket("hist-dsbucket")
        let d = try Self.block(local, t0, t0 + 48 * Fixture.hour, opaque: false)
        let metas = try await Fixture.upload([d], to: bucket)
        let r = try await Compactor(bucket: bucket, config: Fixture.config(TestEnv.tempDir("hist-dsdata")), lock: nil, showProgress: false).runPass()
        #expect(r.completed && r.downsamplings == 1 && r.notDownsampled.isEmpty && r.quarantined.isEmpty, "\(r)")
        #expect(try await BlockMarkers(bucket: bucket).read(metas[0].ulid, .noDownsample) == nil)
    }
}

import Foundation
import StrataCore
import StrataTSDB
import StrataTestSupport
import Testing
@testable import StrataCompact

/// Vertical compaction and replica merges of series holding native histograms: the union of
/// the inputs' samples, re-cut by Prometheus's append rules. Checked on the block a real
/// Prometheus 2.42 wrote (testdata/native-histograms) and against Prometheus 2.42 serving
/// inputs and output.
@Suite struct HistogramMergeTests {
    static var real: String { NativeHistogramData.blockDir }

    /// Two overlapping copies of the real block merge into a block with exactly its samples.
    @Test func overlappingCopiesOfRealBlockKeepEverySample() throws {
        let root = TestEnv.tempDir("nh-merge-copies")
        defer { try? FileManager.default.removeItem(atPath: root) }
        var dirs: [String] = []
        for k in 0..<2 {
            let d = root + "/in\(k)/" + NativeHistogramData.blockID
            try FileManager.default.createDirectory(atPath: root + "/in\(k)", withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: Self.real, toPath: d)
            dirs.append(d)
        }
        var undecodable = 0
        let meta = try BlockCompactor.compact(blockDirs: dirs, outParentDir: root + "/out") { _, _, _ in undecodable += 1 }
        let out = root + "/out/" + meta.ulid.description
        var v = BlockVerifier(dir: out)
        #expect(v.run().map(\.description) == [])
        #expect(undecodable == 0)
        let want = try HistogramSamples.lines(Self.real)
        let got = try HistogramSamples.lines(out)
        #expect(want.count == 16 && got.keys.sorted() == want.keys.sorted())
        for (labels, lines) in want { #expect(got[labels] == lines, "\(labels)") }
        #expect(meta.stats.numSamples == (try BlockMeta.read(dir: Self.real)).stats.numSamples)
    }

    /// Two replicas that each miss a third of the samples (at different places, with a third
    /// in common) merge, deduplicated by the replica label, into every sample of the
    /// original; Prometheus 2.42 serving the output answers instant queries exactly as it
    /// does serving the two replicas.
    @Test func replicaPairMergesIntoUnionAndServesLikeInputs() throws {
        let root = TestEnv.tempDir("nh-merge-replicas")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let a = try HistogramSamples.subset(of: Self.real, into: root + "/a", labels: ["cluster": "c1", "replica": "a"]) { $0 % 3 != 2 }
        let b = try HistogramSamples.subset(of: Self.real, into: root + "/b", labels: ["cluster": "c1", "replica": "b"]) { $0 % 3 != 0 }
        let want = try HistogramSamples.lines(Self.real)
        #expect(try HistogramSamples.lines(a) != want && HistogramSamples.lines(b) != want, "each replica misses samples")

        #expect(throws: TSDBError.self) { try BlockCompactor.compact(blockDirs: [a, b], outParentDir: root + "/refused") }
        let meta = try BlockCompactor.compact(blockDirs: [a, b], outParentDir: root + "/out", replicaLabels: ["replica"])
        let out = root + "/out/" + meta.ulid.description
        #expect(meta.thanos?.labels == ["cluster": "c1"])
        var v = BlockVerifier(dir: out)
        #expect(v.run().map(\.description) == [])
        let got = try HistogramSamples.lines(out)
        #expect(got.keys.sorted() == want.keys.sorted())
        for (labels, lines) in want { #expect(got[labels] == lines, "\(labels)") }

        guard let inputs = try PrometheusServer.start(blocks: [a, b], externalLabels: [:], features: ["native-histograms"]),
              let output = try PrometheusServer.start(blocks: [out], externalLabels: [:], features: ["native-histograms"]) else { return }
        defer { inputs.stop(); output.stop() }
        let block = try BlockReader(dir: Self.real)
        var compared = 0, histograms = 0
        try block.forEachSeries(matching: []) { s in
            var ts: [Int64] = []
            try block.forEachSample(of: s) { t, _ in ts.append(t) }
            let picks = Set(stride(from: 0, to: ts.count, by: max(1, ts.count / 6)).map { ts[$0] } + [ts[ts.count - 1]])
            for t in picks.sorted() {
                for at in [t, t + 500] {
                    let q = HistogramSamples.selector(s.labels)
                    let theirs = HistogramSamples.instantQuery(inputs, q, at: at)
                    let ours = HistogramSamples.instantQuery(output, q, at: at)
                    #expect(ours == theirs, "\(q) at \(at)")
                    #expect(theirs.contains("\"status\":\"success\""), "\(theirs)")
                    if theirs.contains("\"histogram\":") { histograms += 1 }
                    compared += 1
                }
            }
        }
        #expect(compared > 100 && histograms > 40, "compared \(compared), histogram answers \(histograms)")
    }

    /// Tombstones over a histogram series of the real block: compaction rewrites it without
    /// the deleted samples (it used to quarantine the block); other series are unchanged.
    @Test func tombstonedHistogramSeriesIsRewritten() throws {
        let root = TestEnv.tempDir("nh-merge-tombstones")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let dir = root + "/in/" + NativeHistogramData.blockID
        try FileManager.default.createDirectory(atPath: root + "/in", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.real, toPath: dir)
        let block = try BlockReader(dir: dir)
        var victim: BlockSeries?
        try block.forEachSeries(matching: []) { s in
            guard victim == nil else { return }
            try block.forEachSample(of: s) { _, v in if case .histogram = v { victim = s } }
        }
        let s = try #require(victim)
        var ts: [Int64] = []
        try block.forEachSample(of: s) { t, _ in ts.append(t) }
        let cut = TimeInterval(ts[ts.count / 3], ts[ts.count / 2])
        var tomb = Tombstones()
        tomb.add(s.ref, cut)
        try Data(tomb.encoded).write(to: URL(fileURLWithPath: dir + "/tombstones"))

        let meta = try BlockCompactor.compact(blockDirs: [dir], outParentDir: root + "/out")
        let out = root + "/out/" + meta.ulid.description
        var v = BlockVerifier(dir: out)
        #expect(v.run().map(\.description) == [])
        var want = try HistogramSamples.lines(Self.real)
        let before = want[s.labels]!.count
        want[s.labels] = want[s.labels]!.filter { !cut.contains(Int64($0.split(separator: " ")[0])!) }
        #expect(want[s.labels]!.count == before - (ts.count / 2 - ts.count / 3 + 1))
        #expect(try HistogramSamples.lines(out) == want)
    }

    /// A series switching between floats, histograms and float histograms, split over two
    /// overlapping blocks: every sample kept, the earlier block winning an equal timestamp,
    /// and a counter reset that only the merged order shows (11 after 20) gets a chunk whose
    /// header says so — although its own block read it as "not a reset".
    @Test func switchingSeriesMergesAndFindsResetsAcrossInputs() throws {
        let root = TestEnv.tempDir("nh-merge-switch")
        defer { try? FileManager.default.removeItem(atPath: root) }
        func h(_ c: UInt64) -> SampleValue {
            .histogram(Histogram(count: c, sum: Double(c), positiveSpans: [HistogramSpan(offset: 0, length: 1)], positiveBuckets: [Int64(c)]))
        }
        let fh = SampleValue.floatHistogram(FloatHistogram(count: 3, sum: 1.5, positiveSpans: [HistogramSpan(offset: 2, length: 1)], positiveBuckets: [3]))
        func block(_ samples: [(Int64, SampleValue)], minT: Int64) throws -> String {
            let w = try BlockWriter(parentDir: root, minTime: minT, maxTime: minT + 7_200_000)
            var c = MixedSampleChunker()
            for (t, v) in samples { try c.append(t, v) }
            try w.add(Labels(["__name__": "sw"]), chunks: c.finish())
            return root + "/" + (try w.commit()).ulid.description
        }
        let a = try block([(1000, .float(1)), (3000, .float(3)), (5000, h(10)), (7000, h(11))], minT: 0)
        let b = try block([(2000, .float(2)), (3000, .float(99)), (6000, h(20)), (8000, h(21)), (9000, fh)], minT: 500)
        let meta = try BlockCompactor.compact(blockDirs: [b, a], outParentDir: root + "/out")
        let out = root + "/out/" + meta.ulid.description
        var v = BlockVerifier(dir: out)
        #expect(v.run().map(\.description) == [])
        let want = [(1000, SampleValue.float(1)), (2000, .float(2)), (3000, .float(3)), (5000, h(10)), (6000, h(20)), (7000, h(11)), (8000, h(21)), (9000, fh)]
        #expect(try HistogramSamples.lines(out)[Labels(["__name__": "sw"])] == want.map { "\($0.0) " + HistogramSamples.line($0.1) })
        let reader = try BlockReader(dir: out)
        let s = try #require(try reader.series(matching: []).first)
        var layout: [String] = []
        for c in s.chunks {
            let (enc, data) = try reader.chunks.chunk(c.ref)
            let header = enc == 1 ? "" : "\(CounterResetHeader(rawValue: data[2] & 0xC0).map { "\($0)" } ?? "?")"
            layout.append("\(enc)@\(c.minTime)\(header.isEmpty ? "" : ":" + header)")
        }
        #expect(layout == ["1@1000", "2@5000:unknown", "2@7000:counterReset", "3@9000:unknown"], "\(layout)")
    }
}

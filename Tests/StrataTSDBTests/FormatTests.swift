import Foundation
import StrataTestSupport
import Testing
import StrataCore
@testable import StrataTSDB

@Suite struct FormatTests {
    @Test func metaJSONRoundTripKeepsUnknownFields() throws {
        let text = """
        {
        \t"ulid": "01DN3SK96XDAEKRB1AN30AAW6E",
        \t"minTime": 1567641600000,
        \t"maxTime": 1568851200000,
        \t"stats": {"numSamples": 539, "numSeries": 8, "numChunks": 67, "numFloatSamples": 539},
        \t"compaction": {"level": 4, "sources": ["01DKZNX70TQQ0R025G66ZF1V5P"],
        \t  "parents": [{"ulid": "01DM4WK3F9ZGW19W16MZJJFF6T", "minTime": 1567641600000, "maxTime": 1567814400000}], "hints": ["from-out-of-order"]},
        \t"version": 1,
        \t"future": {"x": [1, 2.5, null, true]},
        \t"thanos": {"labels": {"replica": "1", "cluster": "eu1"}, "downsample": {"resolution": 300000}, "source": "compactor",
        \t  "files": [{"rel_path": "index", "size_bytes": 1313}, {"rel_path": "chunks/000001", "size_bytes": 1024, "hash": {"hashFunc": "SHA256", "value": "ab"}}, {"rel_path": "meta.json"}],
        \t  "index_stats": {"series_max_size": 10}, "upload_time": "2024-01-01T00:00:00Z"}
        }
        """
        let m = try BlockMeta(json: Array(text.utf8))
        #expect(m.stats.numSamples == 539 && m.compaction.level == 4 && m.compaction.parents.count == 1)
        #expect(m.resolution == 300_000)
        #expect(m.externalLabels == Labels(["cluster": "eu1", "replica": "1"]))
        #expect(m.thanos?.files.first { $0.relPath == "chunks/000001" }?.sha256 == "ab")
        let again = try BlockMeta(json: m.encoded)
        #expect(again == m)
        let out = String(decoding: m.encoded, as: UTF8.self)
        #expect(out.contains("\"numFloatSamples\": 539"))
        #expect(out.contains("\"future\""))
        #expect(out.contains("\"index_stats\""))
        #expect(out.contains("\"upload_time\": \"2024-01-01T00:00:00Z\""))
        #expect(out.hasPrefix("{\n\t\"ulid\": \"01DN3SK96XDAEKRB1AN30AAW6E\",\n\t\"minTime\""))
        // Files sorted by rel_path, as Thanos writes them.
        let c = out.range(of: "chunks/000001")!.lowerBound, i = out.range(of: "\"index\"")!.lowerBound
        #expect(c < i)
    }

    @Test func metaRejectsOtherVersions() {
        let t = #"{"ulid":"01DN3SK96XDAEKRB1AN30AAW6E","minTime":0,"maxTime":1,"version":2}"#
        #expect(throws: TSDBError.self) { try BlockMeta(json: Array(t.utf8)) }
    }

    @Test func tombstonesRoundTripAndEmptyFile() throws {
        #expect(Tombstones().encoded == [0x01, 0x30, 0xBA, 0x30, 0x01, 0, 0, 0, 0])
        var t = Tombstones()
        t.add(3, TimeInterval(10, 20))
        t.add(3, TimeInterval(21, 30))  // adjacent → merged
        t.add(3, TimeInterval(100, 200))
        t.add(7, TimeInterval(-5, 5))
        #expect(t.get(3) == [TimeInterval(10, 30), TimeInterval(100, 200)])
        let back = try t.encoded.withUnsafeBytes { try Tombstones(decoding: $0, path: "tombstones") }
        #expect(back == t)
        var bad = t.encoded
        bad[6] ^= 1
        #expect(throws: TSDBError.self) { try bad.withUnsafeBytes { try Tombstones(decoding: $0, path: "tombstones") } }
    }

    @Test func tombstonesHideSamples() throws {
        let parent = TestEnv.tempDir("tomb")
        let w = try BlockWriter(parentDir: parent, minTime: 0, maxTime: 100_000)
        try w.add(Labels(["__name__": "x"]), timestamps: [1000, 2000, 3000, 4000], values: [1, 2, 3, 4])
        let meta = try w.commit()
        let dir = parent + "/" + meta.ulid.description
        var t = Tombstones()
        t.add(try BlockReader(dir: dir).postings([]).first!, TimeInterval(2000, 3000))
        try writeFileAtomically(dir + "/tombstones", t.encoded)
        #expect(try SampleDump.text(try BlockReader(dir: dir)) == "{__name__=\"x\"} 1 1000\n{__name__=\"x\"} 4 4000\n")
    }

    /// Series added in any order come out with their chunks in index order, as Prometheus
    /// lays blocks out: one metric's chunks are contiguous in the segment.
    @Test func chunksFollowIndexOrder() throws {
        let parent = TestEnv.tempDir("layout")
        let w = try BlockWriter(parentDir: parent, minTime: 0, maxTime: 1_000_000)
        for pod in ["c", "a", "b"] {
            for name in ["up", "cpu", "mem"] {
                try w.add(Labels(["__name__": name, "pod": pod]), timestamps: Array(stride(from: 0, to: 300_000, by: 1000)),
                          values: (0..<300).map(Double.init))
            }
        }
        let meta = try w.commit()
        var refs: [ChunkRef] = []
        var names: [String] = []
        try BlockReader(dir: parent + "/" + meta.ulid.description).forEachSeries(matching: []) { s in
            refs += s.chunks.map(\.ref)
            names.append(s.labels["__name__"] ?? "")
        }
        #expect(names == ["cpu", "cpu", "cpu", "mem", "mem", "mem", "up", "up", "up"])
        #expect(refs.count == 27)
        #expect(refs == refs.sorted())
    }

    @Test func aggrChunkRoundTrip() throws {
        func xor(_ v: [(Int64, Double)]) -> [UInt8] {
            var a = XORAppender()
            for (t, x) in v { a.append(t, x) }
            return a.bytes
        }
        let c = AggrChunk(count: xor([(299_999, 20), (599_999, 20)]), sum: xor([(299_999, 5), (599_999, 6)]),
                          min: xor([(299_999, 0.1)]), max: nil, counter: xor([(0, 1), (299_999, 3), (599_999, 9), (599_999, 9)]))
        let back = try c.encoded.withUnsafeBytes { try AggrChunk(decoding: $0) }
        #expect(back == c)
        #expect(back.numSamples == 2)
        #expect(back[.max] == nil)
        // Layout: uvarint len, encoding byte, data; 0 for absent.
        let enc = c.encoded
        #expect(enc[0] == UInt8(c[.count]!.count) && enc[1] == 1)
    }

    @Test func postingsOperations() {
        #expect(Postings.intersect([1, 3, 5, 7], [3, 4, 5, 8]) == [3, 5])
        let big = Array(UInt32(0)..<100_000).map { $0 * 2 }
        #expect(Postings.intersect([4, 7, 199_998, 300_000], big) == [4, 199_998])
        #expect(Postings.merge([[1, 5], [2, 5, 9], []]) == [1, 2, 5, 9])
        #expect(Postings.without([1, 2, 3, 4], [2, 4, 6]) == [1, 3])
        #expect(Postings.intersect([[1, 2, 3], [2, 3], [3, 9]]) == [3])
    }

    @Test func segmentsRollOverAtMaxSize() throws {
        let parent = TestEnv.tempDir("seg")
        let w = try BlockWriter(parentDir: parent, minTime: 0, maxTime: 10_000_000, maxSegmentSize: 4096)
        for i in 0..<50 {
            let ts = (0..<500).map { Int64($0) * 10_000 }
            try w.add(Labels(["i": String(i)]), timestamps: ts, values: ts.map { Double($0) * 1.1 + Double(i) })
        }
        let meta = try w.commit()
        let dir = parent + "/" + meta.ulid.description
        let segs = try FileManager.default.contentsOfDirectory(atPath: dir + "/chunks").sorted()
        #expect(segs.count > 10)
        #expect(segs.first == "000001")
        var v = BlockVerifier(dir: dir)
        #expect(v.run().isEmpty)
        #expect(v.samples == 50 * 500)
    }
}

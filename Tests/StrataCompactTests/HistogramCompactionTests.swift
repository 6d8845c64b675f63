import Foundation
import StrataCore
import StrataTSDB
import StrataTestSupport
import Testing
@testable import StrataCompact

@Suite struct HistogramCompactionTests {
    /// Two adjacent blocks holding a native histogram series compact into one whose
    /// histogram chunks are the inputs' chunks, byte for byte, and whose dump is theirs.
    @Test func copiesHistogramChunksOfAdjacentBlocks() throws {
        let parent = TestEnv.tempDir("compact-nh")
        defer { try? FileManager.default.removeItem(atPath: parent) }
        var dirs: [String] = []
        var wantDump = ""
        for k in 0..<2 {
            let lo = Int64(k) * 7_200_000
            let w = try BlockWriter(parentDir: parent, minTime: lo, maxTime: lo + 7_200_000)
            var ts: [Int64] = [], hs: [Histogram] = []
            for i in 0..<300 {
                let c = UInt64(k * 300 + i)
                ts.append(lo + Int64(i) * 15_000)
                hs.append(Histogram(count: c, sum: Double(c) * 0.5, positiveSpans: [HistogramSpan(offset: 1, length: 2)],
                                    positiveBuckets: [Int64(c / 2), Int64(c - c / 2) - Int64(c / 2)]))
            }
            try w.add(Labels(["__name__": "nh"]), timestamps: ts, histograms: hs)
            try w.add(Labels(["__name__": "f"]), timestamps: [lo], values: [Double(k)])
            let meta = try w.commit()
            dirs.append(parent + "/" + meta.ulid.description)
        }
        for d in dirs { wantDump += try SampleDump.text(try BlockReader(dir: d), matchers: [try Matcher(.equal, "__name__", "nh")]) }
        let out = parent + "/out"
        let meta = try BlockCompactor.compact(blockDirs: dirs, outParentDir: out)
        let dir = out + "/" + meta.ulid.description
        var v = BlockVerifier(dir: dir)
        #expect(v.run().map(\.description) == [])
        let block = try BlockReader(dir: dir)
        #expect(try SampleDump.text(block, matchers: [try Matcher(.equal, "__name__", "nh")]) == wantDump)
        #expect(meta.stats.numSamples == 602)
    }
}

import Foundation
import StrataCompact
import StrataCore
import StrataStore
import StrataTSDB
import StrataTestSupport
import Testing
@testable import StrataQuery

/// The querier over a block a real Prometheus 2.42 wrote with native histograms: every
/// series of the block, floats and histograms, is answered exactly as Prometheus answered
/// (timestamps, count, sum and every bucket with its boundaries as the API prints them).
@Suite struct NativeHistogramQueryTests {
    @Test func everySeriesAnswersLikePrometheus() async throws {
        try await Self.expectOracle(blockDir: NativeHistogramData.blockDir)
    }

    /// After the compactor merged the block with an overlapping copy of itself (vertical
    /// compaction: every sample twice, histogram chunks re-encoded), the answer is still
    /// Prometheus's.
    @Test func afterVerticalCompactionStillAnswersLikePrometheus() async throws {
        let copyParent = TestEnv.tempDir("nh-copy"), out = TestEnv.tempDir("nh-compacted")
        let copy = copyParent + "/" + NativeHistogramData.blockID
        let r = try TestEnv.run("/bin/cp", ["-r", NativeHistogramData.blockDir, copy])
        #expect(r.status == 0, "\(r.stderr)")
        let meta = try BlockCompactor.compact(blockDirs: [NativeHistogramData.blockDir, copy], outParentDir: out)
        try await Self.expectOracle(blockDir: out + "/" + meta.ulid.description)
    }

    /// The block converted to start-timestamp chunks (XOR2, histogram ST, float histogram ST)
    /// merged with the plain original: every sample kept once, answers as Prometheus's.
    /// And compacted with a later block, its chunks are copied as they are.
    @Test func startTimestampBlocksCompactAndAnswerLikePrometheus() async throws {
        let stParent = TestEnv.tempDir("nh-st"), out = TestEnv.tempDir("nh-st-compacted")
        let converted = try StartTimestampBlocks.convert(blockDir: NativeHistogramData.blockDir, parentDir: stParent)
        try await Self.expectOracle(blockDir: converted)
        let merged = try BlockCompactor.compact(blockDirs: [converted, NativeHistogramData.blockDir], outParentDir: out)
        try await Self.expectOracle(blockDir: out + "/" + merged.ulid.description)
        // Non-overlapping: the start-timestamp chunks go through untouched.
        let src = try BlockReader(dir: converted)
        let w = try BlockWriter(parentDir: stParent, minTime: src.meta.maxTime, maxTime: src.meta.maxTime + 7_200_000)
        try w.add(Labels(["__name__": "later"]), timestamps: [src.meta.maxTime], values: [1])
        let later = try w.commit()
        let joined = try BlockCompactor.compact(blockDirs: [converted, stParent + "/" + later.ulid.description], outParentDir: out)
        let j = try BlockReader(dir: out + "/" + joined.ulid.description)
        for s in try src.series(matching: [try Matcher(.regexMatch, "__name__", ".+")]) {
            let js = try #require(try j.series(matching: s.labels.pairs.map { try Matcher(.equal, $0.name, $0.value) }).first)
            let a = try s.chunks.map { c in let (e, d) = try src.chunks.chunk(c.ref); return [e] + Array(d) }
            let b = try js.chunks.map { c in let (e, d) = try j.chunks.chunk(c.ref); return [e] + Array(d) }
            #expect(a == b, "\(s.labels)")
        }
    }

    static func expectOracle(blockDir: String) async throws {
        let block = try BlockReader(dir: blockDir)
        let store = LocalBlockStore(name: "nh", blocks: [block])
        let t = Double(block.meta.maxTime - 1) / 1000
        let q = PromQLDifferential.encode(#"{__name__=~"nh.*"}[1h]"#)
        try await QuerierHarness.with(stores: [store]) { querier in
            let body = try await PromQLDifferential.get(querier.url + "/api/v1/query?query=\(q)&time=\(t)")
            #expect(try NativeHistogramData.differences(fromAnswer: JSONValue(parsing: body)) == [])
        }
    }
}

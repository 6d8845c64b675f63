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

import Foundation
import StrataCore
import StrataStore
import StrataTSDB
import StrataTestSupport
import Testing
@testable import StrataQuery

/// The querier over a block a real Prometheus 2.42 wrote with native histograms. The engine
/// does not evaluate histogram samples yet: those series are left out with one warning each,
/// and every float series of the same block is answered exactly as Prometheus answered
/// (before, one histogram chunk failed the whole query).
@Suite struct NativeHistogramQueryTests {
    @Test func floatSeriesBesideHistogramsAnswerLikePrometheus() async throws {
        let oracle = try NativeHistogramData.oracle()
        let block = try BlockReader(dir: NativeHistogramData.blockDir)
        let store = LocalBlockStore(name: "nh", blocks: [block])
        let t = Double(block.meta.maxTime - 1) / 1000
        let q = PromQLDifferential.encode(#"{__name__=~"nh.*"}[1h]"#)
        try await QuerierHarness.with(stores: [store]) { querier in
            let (status, obj) = try await querier.json("/api/v1/query?query=\(q)&time=\(t)")
            #expect(status == 200)
            let result = ((obj["data"] as? [String: Any])?["result"] as? [[String: Any]]) ?? []
            let warnings = (obj["warnings"] as? [String]) ?? []
            let floats = oracle.filter { $0.histograms.isEmpty }
            let histograms = oracle.filter { !$0.histograms.isEmpty }
            #expect(floats.count == 4 && histograms.count == 7)
            #expect(result.count == floats.count)
            for want in floats {
                guard let got = result.first(where: { Labels(($0["metric"] as? [String: String]) ?? [:]) == want.labels }) else {
                    Issue.record("missing \(want.labels)")
                    continue
                }
                let values = (got["values"] as? [[Any]]) ?? []
                #expect(values.map { Int64(((($0[0] as? Double) ?? 0) * 1000).rounded()) } == want.floats.map(\.t), "\(want.labels)")
                #expect(values.map { Double(($0[1] as? String) ?? "") } == want.floats.map(\.v), "\(want.labels)")
            }
            #expect(warnings.count == histograms.count, "\(warnings)")
            for h in histograms {
                #expect(warnings.contains { $0.contains(h.labels.description) && $0.contains("left out") }, "\(h.labels)")
            }
        }
    }
}

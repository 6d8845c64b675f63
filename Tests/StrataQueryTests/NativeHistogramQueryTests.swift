import Foundation
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
        let oracle = try NativeHistogramData.oracle()
        let block = try BlockReader(dir: NativeHistogramData.blockDir)
        let store = LocalBlockStore(name: "nh", blocks: [block])
        let t = Double(block.meta.maxTime - 1) / 1000
        let q = PromQLDifferential.encode(#"{__name__=~"nh.*"}[1h]"#)
        try await QuerierHarness.with(stores: [store]) { querier in
            let (status, obj) = try await querier.json("/api/v1/query?query=\(q)&time=\(t)")
            #expect(status == 200)
            let result = ((obj["data"] as? [String: Any])?["result"] as? [[String: Any]]) ?? []
            #expect(obj["warnings"] == nil, "\(obj["warnings"] ?? "")")
            #expect(oracle.filter { $0.histograms.isEmpty }.count == 4 && oracle.filter { !$0.histograms.isEmpty }.count == 7)
            #expect(result.count == oracle.count)
            func ms(_ v: Any) -> Int64 { Int64((((v as? Double) ?? 0) * 1000).rounded()) }
            for want in oracle {
                guard let got = result.first(where: { Labels(($0["metric"] as? [String: String]) ?? [:]) == want.labels }) else {
                    Issue.record("missing \(want.labels)")
                    continue
                }
                let values = (got["values"] as? [[Any]]) ?? []
                #expect(values.map { ms($0[0]) } == want.floats.map(\.t), "\(want.labels)")
                #expect(values.map { Double(($0[1] as? String) ?? "") } == want.floats.map(\.v), "\(want.labels)")
                let hists = (got["histograms"] as? [[Any]]) ?? []
                #expect(hists.map { ms($0[0]) } == want.histograms.map(\.t), "\(want.labels)")
                for (h, w) in zip(hists, want.histograms) {
                    let obj = (h[1] as? [String: Any]) ?? [:]
                    #expect(Double((obj["count"] as? String) ?? "") == w.count, "\(want.labels) @\(w.t)")
                    #expect(Double((obj["sum"] as? String) ?? "") == w.sum, "\(want.labels) @\(w.t)")
                    let buckets = ((obj["buckets"] as? [[Any]]) ?? []).map { b in b.map { "\($0)" } }
                    #expect(buckets == w.buckets, "\(want.labels) @\(w.t)")
                }
            }
        }
    }
}

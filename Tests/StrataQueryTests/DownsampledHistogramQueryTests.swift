import Foundation
import StrataCompact
import StrataCore
import StrataStore
import StrataStoreAPI
import StrataTSDB
import StrataTestSupport
import Testing
@testable import StrataQuery

/// Native histograms end to end through downsampling: a raw 8h block with a counter
/// histogram (one reset) and a gauge histogram, its 5m copy made by the compactor, both
/// served by a store, queried through the querier with raw data and with the 5m copy.
@Suite(.serialized) struct DownsampledHistogramQueryTests {
    static let t0: Int64 = 1_700_006_400_000
    static let span: Int64 = 8 * 3_600_000

    static func counter(_ s: Double) -> FloatHistogram {
        // 0.5 observations a second: 0.2/s in bucket 1, 0.3/s in bucket 2; sum grows 1/s.
        FloatHistogram(schema: 0, count: 0.5 * s, sum: s, positiveSpans: [HistogramSpan(offset: 1, length: 2)],
                       positiveBuckets: [0.2 * s, 0.3 * s])
    }

    static func gauge(_ s: Double) -> FloatHistogram {
        let n = 100 + 10 * sin(s / 3600 * 2 * .pi / 4)
        return FloatHistogram(counterResetHint: .gauge, schema: 0, count: n, sum: 3 * n,
                              positiveSpans: [HistogramSpan(offset: 0, length: 2)], positiveBuckets: [n / 2, n / 2])
    }

    static func store() throws -> LocalBlockStore {
        let dir = TestEnv.tempDir("downsampled-hist")
        let w = try BlockWriter(parentDir: dir + "/raw", minTime: t0, maxTime: t0 + span)
        let ts = Array(stride(from: t0, to: t0 + span, by: 15_000))
        let reset = t0 + span / 2
        try w.add(Labels(["__name__": "req_seconds", "job": "api"]), timestamps: ts,
                  floatHistograms: ts.map { counter(Double($0 < reset ? $0 - t0 : $0 - reset) / 1000) })
        try w.add(Labels(["__name__": "queue_size", "job": "api"]), timestamps: ts,
                  floatHistograms: ts.map { gauge(Double($0 - t0) / 1000) })
        let raw = try w.commit { $0.thanos = ThanosMeta(labels: ["cluster": "c1"], source: "test") }
        let rawDir = dir + "/raw/" + raw.ulid.description
        let ds = try BlockDownsampler.downsample(blockDir: rawDir, outParentDir: dir + "/5m", resolution: Downsample.resolution5m)
        var v = BlockVerifier(dir: dir + "/5m/" + ds.ulid.description)
        #expect(v.run().map(\.description) == [])
        return LocalBlockStore(name: "store", blocks: [try BlockReader(dir: rawDir), try BlockReader(dir: dir + "/5m/" + ds.ulid.description)])
    }

    static func values(_ obj: [String: Any]) -> [Double] {
        let result = ((obj["data"] as? [String: Any])?["result"] as? [[String: Any]]) ?? []
        return result.flatMap { s in (s["values"] as? [[Any]] ?? []).compactMap { ($0.last as? String).flatMap(Double.init) } }
    }

    static func range(_ q: String, _ extra: String) -> String {
        "/api/v1/query_range?query=\(PromQLDifferential.encode(q))&start=\((t0 + 3_600_000) / 1000)&end=\((t0 + span - 300_000) / 1000)&step=1500\(extra)"
    }

    @Test func rateCountAndSumAgainstRawData() async throws {
        try await QuerierHarness.with(stores: [try Self.store()], configure: { $0.api.promqlCompat = .v3_14 }) { q in
            let cases: [(String, Double)] = [
                // The counter aggregate: running reset-corrected counter histograms.
                ("histogram_count(rate(req_seconds[1h]))", 0.03),
                ("histogram_sum(rate(req_seconds[1h]))", 0.03),
                // Where the 2h range starts just after the reset, raw extrapolation stops at the
                // restarted counter's zero while the 5m counter runs on: 75 of 1800 (4.2%).
                ("histogram_count(increase(req_seconds[2h]))", 0.05),
                // Everything else: window averages sum / count.
                ("histogram_count(queue_size)", 0.02),
                ("histogram_sum(queue_size)", 0.02),
                ("histogram_count(sum(queue_size))", 0.02),
            ]
            for (query, tolerance) in cases {
                let (rs, rawObj) = try await q.json(Self.range(query, "&max_source_resolution=0s"))
                let (ds, dsObj) = try await q.json(Self.range(query, "&max_source_resolution=5m"))
                #expect(rs == 200 && ds == 200, "\(query): \(dsObj)")
                let raw = Self.values(rawObj), down = Self.values(dsObj)
                #expect(!raw.isEmpty && raw.count == down.count, "\(query): raw \(raw.count) points, 5m \(down.count)")
                for (a, b) in zip(raw, down) { #expect(abs(a - b) <= tolerance * abs(a), "\(query): raw \(a), 5m \(b)") }
            }
            // The reset in the middle does not disturb the rate: 0.5 observations a second.
            let rate = Self.values(try await q.json(Self.range("histogram_count(rate(req_seconds[1h]))", "&max_source_resolution=5m")).1)
            #expect(!rate.isEmpty && rate.allSatisfy { abs($0 - 0.5) < 0.03 }, "\(rate)")
        }
    }

    @Test func decodesHistogramAggregates() throws {
        // SeriesDecoding directly on what the store sends for each aggregate choice.
        var count = XORAppender(), sum = FloatHistogramChunkSequence(), counter = FloatHistogramChunkSequence()
        for (k, t) in [Int64(299_999), 599_999].enumerated() {
            count.append(t, 5)
            var s = Self.counter(Double(k + 1) * 10)
            s.counterResetHint = .gauge
            try sum.append(t, s)
            try counter.append(t, Self.counter(Double(k + 1) * 100))
        }
        var a = Thanos_AggrChunk()
        a.minTime = 299_999
        a.maxTime = 599_999
        a.count = .xor(count.bytes)
        a.sum = sum.finish()[0].data.withUnsafeBytes { Thanos_Chunk(.floatHistogram, $0) }
        a.counter = counter.finish()[0].data.withUnsafeBytes { Thanos_Chunk(.floatHistogram, $0) }
        let l = Labels(["__name__": "h"])
        let avg = try SeriesDecoding.decodeSeries([a], aggregates: [.count, .sum], labels: l)
        #expect(avg.samples.timestamps.isEmpty)
        #expect(avg.histograms.timestamps == [299_999, 599_999])
        #expect(avg.histograms.histograms.map(\.count) == [1, 2])  // 5/5 and 10/5
        #expect(avg.histograms.histograms.allSatisfy { $0.counterResetHint == .gauge })
        let ctr = try SeriesDecoding.decodeSeries([a], aggregates: [.counter], labels: l)
        #expect(ctr.histograms.histograms.map(\.count) == [50, 100])
        let sums = try SeriesDecoding.decodeSeries([a], aggregates: [.sum], labels: l, minTime: 300_000)
        #expect(sums.histograms.timestamps == [599_999] && sums.histograms.histograms.map(\.count) == [10])
        // COUNT alone is a float series, as in Thanos.
        let counts = try SeriesDecoding.decodeSeries([a], aggregates: [.count], labels: l)
        #expect(counts.samples.values == [5, 5] && counts.histograms.timestamps.isEmpty)
    }
}

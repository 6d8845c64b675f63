import Foundation
import StrataCompact
import StrataCore
import StrataStore
import StrataTSDB
import StrataTestSupport
import Testing
@testable import StrataQuery

/// Downsampled data through the querier: a store holding a raw 8h block and its 5m copy
/// (made by the compactor's downsampler). `max_source_resolution` picks the copy, the
/// aggregate requested follows the function around the selector, and the answers stay
/// close to the raw ones.
@Suite(.serialized) struct DownsampledQueryTests {
    static let t0: Int64 = 1_700_006_400_000
    static let span: Int64 = 8 * 3_600_000

    static func store() throws -> LocalBlockStore {
        let dir = TestEnv.tempDir("downsampled")
        let w = try BlockWriter(parentDir: dir + "/raw", minTime: t0, maxTime: t0 + span)
        let ts = Array(stride(from: t0, to: t0 + span, by: 15_000))
        let reset = t0 + span / 2
        try w.add(Labels(["__name__": "req_total", "job": "api"]), timestamps: ts,
                  values: ts.map { Double($0 < reset ? $0 - t0 : $0 - reset) / 1000 * 0.5 })
        try w.add(Labels(["__name__": "temp", "job": "api"]), timestamps: ts,
                  values: ts.map { 20 + sin(Double($0 - t0) / 3_600_000 * 2 * .pi / 4) })
        let raw = try w.commit { $0.thanos = ThanosMeta(labels: ["cluster": "c1"], source: "test") }
        let rawDir = dir + "/raw/" + raw.ulid.description
        let ds = try BlockDownsampler.downsample(blockDir: rawDir, outParentDir: dir + "/5m", resolution: Downsample.resolution5m)
        return LocalBlockStore(name: "store", blocks: [try BlockReader(dir: rawDir), try BlockReader(dir: dir + "/5m/" + ds.ulid.description)])
    }

    static func values(_ obj: [String: Any]) -> [Double] {
        let result = ((obj["data"] as? [String: Any])?["result"] as? [[String: Any]]) ?? []
        return result.flatMap { s in (s["values"] as? [[Any]] ?? []).compactMap { ($0.last as? String).flatMap(Double.init) } }
    }

    static func range(_ q: String, _ extra: String) -> String {
        "/api/v1/query_range?query=\(PromQLDifferential.encode(q))&start=\((t0 + 3_600_000) / 1000)&end=\((t0 + span - 300_000) / 1000)&step=1500\(extra)"
    }

    @Test func resolutionAndAggregatesFollowTheQuery() async throws {
        try await QuerierHarness.with(stores: [try Self.store()]) { q in
            // count_over_time counts the points it is given: 240 raw samples or 12 5m aggregates an hour.
            let rawCount = Self.values(try await q.json(Self.range("count_over_time(temp[1h])", "&max_source_resolution=0s")).1)
            let dsCount = Self.values(try await q.json(Self.range("count_over_time(temp[1h])", "&max_source_resolution=5m")).1)
            #expect(!rawCount.isEmpty && rawCount.allSatisfy { $0 >= 239 && $0 <= 241 }, "\(rawCount)")
            #expect(!dsCount.isEmpty && dsCount.allSatisfy { $0 >= 11 && $0 <= 13 }, "\(dsCount)")
            // auto: step/5 = 5m for a 25m step.
            let auto = Self.values(try await q.json(Self.range("count_over_time(temp[1h])", "&max_source_resolution=auto")).1)
            #expect(auto == dsCount)

            for (fn, tolerance) in [("max_over_time", 0.02), ("min_over_time", 0.02), ("avg_over_time", 0.01)] {
                let query = "\(fn)(temp[1h])"
                let raw = Self.values(try await q.json(Self.range(query, "&max_source_resolution=0s")).1)
                let ds = Self.values(try await q.json(Self.range(query, "&max_source_resolution=5m")).1)
                #expect(raw.count == ds.count && !raw.isEmpty, "\(query)")
                for (a, b) in zip(raw, ds) { #expect(abs(a - b) / abs(a) <= tolerance, "\(query): raw \(a), 5m \(b)") }
            }
            // rate from the counter aggregate: resets are already applied, so the reset in the
            // middle does not disturb it.
            let rate = Self.values(try await q.json(Self.range("rate(req_total[1h])", "&max_source_resolution=5m")).1)
            #expect(!rate.isEmpty && rate.allSatisfy { abs($0 - 0.5) < 0.03 }, "\(rate)")
            let incRaw = Self.values(try await q.json(Self.range("increase(req_total[2h])", "&max_source_resolution=0s")).1)
            let inc = Self.values(try await q.json(Self.range("increase(req_total[2h])", "&max_source_resolution=5m")).1)
            #expect(inc.count == incRaw.count && !inc.isEmpty)
            for (a, b) in zip(incRaw, inc) { #expect(abs(a - b) / a < 0.03, "increase raw \(a), 5m \(b)") }
        }
    }

    @Test func autoDownsamplingFlagAndBadResolution() async throws {
        try await QuerierHarness.with(stores: [try Self.store()], configure: { $0.api.autoDownsampling = true }) { q in
            let c = Self.values(try await q.json(Self.range("count_over_time(temp[1h])", "")).1)
            #expect(!c.isEmpty && c.allSatisfy { $0 <= 13 }, "auto-downsampling uses the 5m block: \(c)")
            let (status, bad) = try await q.json(Self.range("temp", "&max_source_resolution=-5m"))
            #expect(status == 400)
            #expect(bad["errorType"] as? String == "bad_data")
            // An instant query defaults to raw data even with auto-downsampling.
            let t = (Self.t0 + 4 * 3_600_000) / 1000
            let (_, inst) = try await q.json("/api/v1/query?query=\(PromQLDifferential.encode("count_over_time(temp[1h])"))&time=\(t)")
            let v = (((inst["data"] as? [String: Any])?["result"] as? [[String: Any]])?.first?["value"] as? [Any])?.last as? String
            #expect(v == "241")
        }
    }

    @Test func lookbackGrowsWithTheResolution() {
        #expect(QueryAPI.lookback(300_000, maxSourceResolution: 0) == 300_000)
        #expect(QueryAPI.lookback(300_000, maxSourceResolution: 300_000) == 300_000)
        #expect(QueryAPI.lookback(300_000, maxSourceResolution: 3_600_000) == 3_600_000)
        #expect(QueryAPI.lookback(7_200_000, maxSourceResolution: 3_600_000) == 7_200_000)
    }
}

import Foundation
import StrataCore
import StrataTSDB
import StrataTestSupport
import Testing

/// `strata block gen --native-histograms`: each pod's native histogram holds exactly the
/// observations of its classic histogram, the blocks verify, and a real Prometheus 2.42 with
/// native histograms reads them back with the same counts.
@Suite struct GenNativeHistogramTests {
    let strata = TestEnv.strataBinary

    @Test func nativeTwinsMatchTheClassicHistogramsAndPrometheusReadsThem() async throws {
        let out = TestEnv.tempDir("gen-nh")
        defer { try? FileManager.default.removeItem(atPath: out) }
        let r = try TestEnv.run(strata, ["block", "gen", "--out", out, "--series", "40", "--days", "0.25",
                                         "--end", "2024-03-01T06:00:00Z", "--seed", "3", "--native-histograms"])
        #expect(r.status == 0, "\(r.stderr)")
        let blocks = try FileManager.default.contentsOfDirectory(atPath: out).sorted().map { out + "/" + $0 }
        #expect(blocks.count == 3)
        var checked = 0
        for dir in blocks {
            #expect(try TestEnv.run(strata, ["block", "verify", dir]).status == 0)
            let block = try BlockReader(dir: dir)
            for s in try block.series(matching: [try Matcher(.equal, "__name__", "http_request_duration_seconds")]) {
                var hist: [Int64: FloatHistogram] = [:]
                try block.forEachSample(of: s) { t, v in
                    if case .histogram(let h) = v { hist[t] = h.toFloat() }
                }
                let twin = try block.series(matching: s.labels.pairs.map { l in
                    try Matcher(.equal, l.name, l.name == "__name__" ? "http_request_duration_seconds_count" : l.value)
                })
                try #require(twin.count == 1)
                var ts: [Int64] = [], vs: [Double] = []
                try block.samples(of: twin[0], into: &ts, &vs)
                #expect(ts.count == hist.count && ts.count > 100)
                for (t, v) in zip(ts, vs) { #expect(hist[t]?.count == v, "\(s.labels) at \(t)") }
                checked += 1
            }
        }
        #expect(checked == 6)  // two pods, three blocks

        // Prometheus reads the histogram chunks we wrote: its histogram_count equals _count.
        guard let prom = try PrometheusServer.start(blocks: blocks, externalLabels: [:], features: ["native-histograms"]) else { return }
        defer { prom.stop() }
        let t = 1_709_272_800.0 - 3_600  // an hour before --end
        func query(_ q: String) async throws -> [String: String] {
            let body = try await PromQLDifferential.get("\(prom.url)/api/v1/query?query=\(PromQLDifferential.encode(q))&time=\(t)")
            var out: [String: String] = [:]
            for s in try JSONValue(parsing: body)["data"]?["result"]?.arrayValue ?? [] {
                out[s["metric"]?["pod"]?.stringValue ?? ""] = s["value"]?.arrayValue?.last?.stringValue
            }
            return out
        }
        let native = try await query("histogram_count(http_request_duration_seconds)")
        let classic = try await query("http_request_duration_seconds_count")
        #expect(native.count == 2 && native == classic, "\(native) vs \(classic)")
    }
}

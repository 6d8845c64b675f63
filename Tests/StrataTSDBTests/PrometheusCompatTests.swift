import Foundation
import StrataTestSupport
import Testing
import StrataCore
@testable import StrataTSDB

/// Compatibility from both sides: we read what Prometheus wrote, promtool reads what we write.
@Suite struct PrometheusCompatTests {
    @Test func readsPromtoolBlocksExactlyAsPromtoolDumpsThem() throws {
        guard let promtool = try TestEnv.promtool() else { return }
        let blocks = try TestEnv.promBlocks()
        #expect(blocks.count == 4)
        for dir in blocks {
            let b = try BlockReader(dir: dir)
            let ours = try SampleDump.text(b)
            let theirs = try TestEnv.promtoolDump(promtool, block: dir)
            #expect(!ours.isEmpty)
            #expect(firstDifference(ours, theirs) == nil, "dump of \(dir) differs from promtool's")
            var v = BlockVerifier(dir: dir)
            #expect(v.run().isEmpty)
            #expect(UInt64(v.samples) == b.meta.stats.numSamples)
        }
    }

    @Test func selectsByMatchersLikePrometheus() throws {
        guard let promtool = try TestEnv.promtool() else { return }
        let dir = try TestEnv.promBlocks()[0]
        let b = try BlockReader(dir: dir)
        let all = try TestEnv.promtoolDump(promtool, block: dir).split(separator: "\n")
        for sel in [#"{job="api"}"#, #"{__name__=~"rpc.*",le!="+Inf"}"#, #"weird_gauge{kind!~"p.*|q.*"}"#,
                    #"{__name__="weird_gauge",empty=""}"#, #"{__name__=~".+",code=""}"#, #"{job=~"api|db",instance="host-1:9100"}"#] {
            let ms = try SeriesSelector.parse(sel)
            let ours = try SampleDump.text(b, matchers: ms).split(separator: "\n")
            // Filter promtool's full dump by the same matchers, via label parsing of each line.
            let want = try all.filter { line in try parseDumpLabels(String(line)).matches(ms) }
            #expect(firstDifference(ours.map(String.init), want.map(String.init)) == nil, "selector \(sel)")
        }
        #expect(try b.labelValues("job") == ["api", "db"])
        #expect(try b.labelNames().contains("kind"))
        #expect(try b.labelValues("instance", matching: [try Matcher(.equal, "job", "db")]).count == 3)
    }

    @Test func promtoolReadsBlocksWeWrite() throws {
        guard let promtool = try TestEnv.promtool() else { return }
        let out = TestEnv.tempDir()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let w = try BlockWriter(parentDir: out, minTime: 0, maxTime: 7_200_000)
        var expected: [String] = []
        var series: [(Labels, [Int64], [Double])] = []
        let specials: [Double] = [0, -0.0, .nan, .infinity, -.infinity, staleNaN, 1e-300, 1.7976931348623157e308, 1234567, 100000, 0.1]
        for i in 0..<50 {
            let l = Labels(["__name__": i % 2 == 0 ? "metric_a" : "metric_b", "i": String(i), "q": "va\"l\\ue\n\(i % 3)"])
            var ts: [Int64] = [], vs: [Double] = []
            var t = Int64(i * 7)
            for k in 0..<(1 + i * 13) {
                ts.append(t)
                vs.append(k % 5 == 0 ? specials[k % specials.count] : Double(k) * 1.25 - 30)
                t += 15_000 + Int64(k % 7) * (k % 11 == 0 ? 100_000 : 1)
                if t >= 7_200_000 { break }
            }
            series.append((l, ts, vs))
        }
        for (l, ts, vs) in series.shuffled() { try w.add(l, timestamps: ts, values: vs) }
        let meta = try w.commit { $0.thanos = ThanosMeta(labels: ["cluster": "c1"], source: "test") }
        for (l, ts, vs) in series.sorted(by: { $0.0 < $1.0 }) {
            for (t, v) in zip(ts, vs) { expected.append("\(l) \(GoFloat.g(v)) \(t)") }
        }
        let dir = out + "/" + meta.ulid.description
        let theirs = try TestEnv.promtoolDump(promtool, block: dir)
        #expect(firstDifference(theirs, expected.joined(separator: "\n") + "\n") == nil)
        #expect(firstDifference(try SampleDump.text(try BlockReader(dir: dir)), theirs) == nil)
        let analyze = try TestEnv.run(promtool, ["tsdb", "analyze", out, meta.ulid.description])
        #expect(analyze.status == 0, "\(analyze.stderr)")
        #expect(analyze.stdout.contains("Series: 50"))
        var v = BlockVerifier(dir: dir)
        #expect(v.run().map(\.description) == [])
        #expect(meta.stats.numSeries == 50)
        #expect(meta.stats.numSamples == UInt64(series.reduce(0) { $0 + $1.1.count }))
    }

    /// Go-`%g` formatting checked against values promtool printed.
    @Test func goFloatFormatting() {
        #expect(GoFloat.g(1234567) == "1.234567e+06")
        #expect(GoFloat.g(100000) == "100000")
        #expect(GoFloat.g(1e21) == "1e+21")
        #expect(GoFloat.g(0.0001) == "0.0001")
        #expect(GoFloat.g(0.00001) == "1e-05")
        #expect(GoFloat.g(-0.0) == "-0")
        #expect(GoFloat.g(.nan) == "NaN")
        #expect(GoFloat.g(-.infinity) == "-Inf")
        #expect(GoFloat.g(5e-324) == "5e-324")
        #expect(GoFloat.f(1e21) == "1000000000000000000000")
        #expect(GoFloat.f(0.1) == "0.1")
        #expect(GoFloat.f(-1.5e-7) == "-0.00000015")
        #expect(GoFloat.f(.infinity) == "+Inf")
    }
}

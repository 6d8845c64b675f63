import Foundation
import StrataCore
import StrataTestSupport
import Testing
@testable import StrataTSDB

/// The oracle for the head's WAL: `promtool tsdb dump` (Prometheus 2.42) of a Strata data
/// dir holding only a head prints every float sample appended; a real Prometheus 2.42
/// started on a copy replays every histogram too (2.42's dump prints floats only), checked
/// through a snapshot of its head.
@Suite(.serialized) struct HeadPromtoolTests {
    let specials: [Double] = [0, -0.0, .nan, .infinity, -.infinity, staleNaN, 1e-300, 1.7976931348623157e308, 0.1, 42]

    /// 40 scrape-like batches of 200 series, one batch of 5,000 new series (records over
    /// many pages), special values; dumped once without closing the head (the last page
    /// unpadded, as after a crash) and once after closing it.
    @Test(arguments: [false, true]) func promtoolDumpsEveryFloatSample(compress: Bool) throws {
        guard let promtool = try TestEnv.promtool() else { return }
        let dir = TestEnv.tempDir("head-a")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let head = try Head.open(dir: dir, options: HeadOptions(walCompression: compress))
        var e = Expected()
        let t0: Int64 = 1_700_000_000_000
        for b in 0..<40 {
            let app = head.appender()
            let t = t0 + Int64(b) * 15_000 + Int64(b % 3)
            for i in 0..<200 {
                let l = seriesLabels(i % 2 == 0 ? "node_cpu_seconds_total" : "weird_metric", i, extra: ["q": "va\"l\\ue\n\(i % 3)"])
                let v = (i + b) % 11 == 0 ? specials[(i + b) % specials.count] : Double(i) * 1.5 + Double(b) * 0.001
                try app.append(l, t, v)
                e.add(l, t, v)
            }
            #expect(try app.commit().appended == 200)
        }
        let app = head.appender()
        for i in 0..<5000 {
            let l = seriesLabels("wide", i, extra: ["pad": String(repeating: "x", count: i % 50)])
            try app.append(l, t0 + 600_000, Double(i))
            e.add(l, t0 + 600_000, Double(i))
        }
        #expect(try app.commit().appended == 5000)
        #expect(firstDifference(try promtoolDump(promtool, dataDir: dir), e.promtoolText()) == nil)
        try head.close()
        #expect(firstDifference(try promtoolDump(promtool, dataDir: dir), e.promtoolText()) == nil)
        #expect(try WALFormat.segments(in: dir + "/wal") == [0])
    }

    /// Floats, integer and float native histograms (counter resets, schema changes, new
    /// buckets, stale markers) in the WAL; Prometheus 2.42 with native histograms replays
    /// them and its snapshot holds exactly what was appended.
    @Test func prometheusReplaysHistogramsFromTheWAL() throws {
        guard try TestEnv.promtool() != nil else { return }
        let dir = TestEnv.tempDir("head-a")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let head = try Head.open(dir: dir)
        var e = Expected()
        // Counter histograms only: Prometheus 2.42 cannot snapshot an open head chunk of a gauge
        // histogram whose buckets went down ("detected unexpected counter reset" while
        // re-encoding it), whoever wrote the WAL. Gauge histograms are replayed by
        // HeadReplayTests.
        var gens = (0..<12).map { HistogramSeriesGen(seed: UInt64($0) * 7 + 1) }
        let t0: Int64 = 1_700_000_000_000
        for b in 0..<100 {
            let app = head.appender()
            let t = t0 + Int64(b) * 15_000
            for i in 0..<12 {
                var h = gens[i].next().1
                while h.schema == -53 { h = gens[i].next().1 }
                let l = seriesLabels("nh", i)
                if i % 4 == 3 {
                    try app.append(l, t, floatHistogram: h.toFloat())
                    e.add(l, t, .floatHistogram(h.toFloat()))
                } else {
                    try app.append(l, t, histogram: h)
                    e.add(l, t, .histogram(h))
                }
            }
            let f = seriesLabels("up", 0)
            try app.append(f, t, b == 99 ? staleNaN : 1)
            e.add(f, t, b == 99 ? staleNaN : 1)
            #expect(try app.commit().appended == 13)
        }
        try head.close()
        guard let prom = try PrometheusServer.start(blocks: [], externalLabels: [:], features: ["native-histograms"],
                                                    copyingDataDir: dir, adminAPI: true) else { return }
        defer { prom.stop() }
        let snap = try blockSamples(try prom.snapshot())
        #expect(snap.values.reduce(0) { $0 + $1.count } == e.count)
        #expect(firstDifference(snap, e.samples) == nil)
    }
}

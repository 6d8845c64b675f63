import Foundation
import StrataCore
import StrataTSDB
import StrataTestSupport
import Testing
@testable import StrataCompact

@Suite struct DownsampleTests {
    func samples(_ part: [UInt8]?) -> [(Int64, Double)] {
        guard let part else { return [] }
        var ts: [Int64] = [], vs: [Double] = []
        part.withUnsafeBytes { try! decodeXOR($0, into: &ts, &vs) }
        return Array(zip(ts, vs))
    }

    func aggr(_ c: EncodedChunk) -> AggrChunk { try! c.data.withUnsafeBytes { try AggrChunk(decoding: $0) } }

    @Test func rawToFiveMinuteWindows() {
        // 15s scrapes over 12 minutes of a counter that resets once, plus a stale marker.
        var ts: [Int64] = [], vs: [Double] = []
        var v = 0.0
        for i in 0..<48 {
            ts.append(Int64(i) * 15_000)
            v = i == 30 ? 2 : v + 10
            vs.append(i == 40 ? staleNaN : v)
        }
        let out = Downsample.raw(timestamps: ts, values: vs, resolution: Downsample.resolution5m)
        #expect(out.count == 1)
        let c = aggr(out[0])
        // Windows end at 299999, 599999 and the batch's last sample (705000).
        let count = samples(c[.count])
        #expect(count.map(\.0) == [299_999, 599_999, 705_000])
        #expect(count.map(\.1) == [20, 20, 7])  // 47 samples: the stale marker is not counted
        #expect(out[0].minTime == 299_999 && out[0].maxTime == 705_000)
        #expect(out[0].numSamples == 3)
        let mins = samples(c[.min]).map(\.1), maxs = samples(c[.max]).map(\.1)
        #expect(mins == [10, 2, 112] && maxs == [200, 300, 172])
        // Counter: first raw value, one corrected total per window, last raw value again.
        let counter = samples(c[.counter])
        #expect(counter.first! == (0, 10))
        #expect(counter.count == 5)
        #expect(counter[4].0 == counter[3].0)
        #expect(counter[4].1 == vs[47])
        // Corrected total: 10→300, reset to 2 (+2), 12→92 (+90), stale skipped, 112→172 (+80).
        #expect(counter[3].1 == 300 + 2 + 90 + 80)
        let sum = samples(c[.sum]).map(\.1)
        let valid = zip(ts, vs).filter { !isStaleNaN($0.1) }
        #expect(sum.reduce(0, +) == valid.reduce(0) { $0 + $1.1 })
    }

    @Test func targetChunkCountAndBatching() {
        #expect(Downsample.targetChunkCount(0, 2 * 86_400_000, inRes: 60_000, outRes: 300_000, count: 11_520) == 5)
        #expect(Downsample.targetChunkCount(0, 100, inRes: 60_000, outRes: 300_000, count: 1) == 1)
        // Two days of 15s samples: every output chunk ≤ 140 windows + counter extras.
        let ts = (0..<11_520).map { Int64($0) * 15_000 }
        let out = Downsample.raw(timestamps: ts, values: ts.map { Double($0 % 1000) }, resolution: Downsample.resolution5m)
        #expect(out.count == 5)
        #expect(out.reduce(0) { $0 + $1.numSamples } == 576)
        for (a, b) in zip(out, out.dropFirst()) { #expect(a.maxTime < b.minTime) }
    }

    @Test func counterResetsAcrossChunks() {
        var r = CounterResetApplier()
        let input: [(Int64, Double)] = [(0, 5), (10, 8), (20, 10), (20, 10), (30, 3), (40, 4), (40, 1), (50, 2), (45, 100), (60, .nan)]
        let out = input.compactMap { r.add($0.0, $0.1) }
        #expect(out.map(\.0) == [0, 10, 20, 30, 40, 50])
        #expect(out.map(\.1) == [5, 8, 10, 13, 14, 15])
    }

    /// A real block (from `strata block gen`) downsampled to 5m and then 1h: totals of count
    /// and sum survive both passes, min/max bound the raw data, counters stay monotonic.
    @Test func blockRawTo5mTo1h() throws {
        let parent = TestEnv.tempDir("down")
        defer { try? FileManager.default.removeItem(atPath: parent) }
        // One 48h block of a few series: write raw samples directly.
        let w = try BlockWriter(parentDir: parent, minTime: 0, maxTime: 48 * 3_600_000)
        var raw: [Labels: [(Int64, Double)]] = [:]
        for k in 0..<5 {
            var v = 0.0
            var s: [(Int64, Double)] = []
            var t: Int64 = Int64(k) * 1000
            while t < 48 * 3_600_000 {
                v = (k == 0 && s.count % 700 == 699) ? 1 : v + Double((s.count * 7 + k) % 13)
                s.append((t, v))
                t += 15_000
            }
            let l = Labels(["__name__": "c_total", "k": String(k)])
            raw[l] = s
            try w.add(l, timestamps: s.map(\.0), values: s.map(\.1))
        }
        let m0 = try w.commit { $0.thanos = ThanosMeta(labels: ["cluster": "x"], source: "test") }
        let m5 = try BlockDownsampler.downsample(blockDir: parent + "/" + m0.ulid.description, outParentDir: parent, resolution: Downsample.resolution5m)
        #expect(m5.resolution == 300_000 && m5.thanos?.source == "compactor" && m5.thanos?.labels == ["cluster": "x"])
        #expect(m5.minTime == m0.minTime && m5.maxTime == m0.maxTime && m5.compaction.sources == m0.compaction.sources)
        #expect(m5.stats.numSeries == 5)
        var v5 = BlockVerifier(dir: parent + "/" + m5.ulid.description)
        #expect(v5.run().map(\.description) == [])
        let m1 = try BlockDownsampler.downsample(blockDir: parent + "/" + m5.ulid.description, outParentDir: parent, resolution: Downsample.resolution1h)
        #expect(m1.resolution == 3_600_000)
        var v1 = BlockVerifier(dir: parent + "/" + m1.ulid.description)
        #expect(v1.run().map(\.description) == [])
        #expect(m1.stats.numSamples == 5 * 48)

        for dir in [m5.ulid, m1.ulid].map({ parent + "/" + $0.description }) {
            let b = try BlockReader(dir: dir)
            try b.forEachSeries(matching: []) { s in
                let r = raw[s.labels]!
                var ts: [Int64] = [], cs: [Double] = [], ss: [Double] = [], mins: [Double] = [], maxs: [Double] = [], ctr: [Double] = []
                try b.samples(of: s, aggregate: .count, into: &ts, &cs)
                ts.removeAll(); try b.samples(of: s, aggregate: .sum, into: &ts, &ss)
                ts.removeAll(); try b.samples(of: s, aggregate: .min, into: &ts, &mins)
                ts.removeAll(); try b.samples(of: s, aggregate: .max, into: &ts, &maxs)
                #expect(cs.reduce(0, +) == Double(r.count))
                #expect(abs(ss.reduce(0, +) - r.reduce(0) { $0 + $1.1 }) < 1e-6 * r.reduce(0) { $0 + $1.1 })
                #expect(mins.min() == r.map(\.1).min() && maxs.max() == r.map(\.1).max())
                // Counter through ApplyCounterResets ends at the raw reset-corrected total.
                var total = 0.0, last = 0.0
                for (i, x) in r.enumerated() { total += i == 0 ? x.1 : (x.1 >= last ? x.1 - last : x.1); last = x.1 }
                var rs = CounterResetApplier()
                for c in s.chunks {
                    let ag = try AggrChunk(decoding: try b.chunks.chunk(c.ref).data)
                    for (t, v) in samples(ag[.counter]) { if let o = rs.add(t, v) { ctr.append(o.1) } }
                }
                #expect(ctr.last == total)
                #expect(zip(ctr, ctr.dropFirst()).allSatisfy { $0 <= $1 })
            }
        }
    }
}

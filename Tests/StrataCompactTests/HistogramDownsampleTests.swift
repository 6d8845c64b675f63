import Foundation
import StrataCore
import StrataTSDB
import StrataTestSupport
import Testing
@testable import StrataCompact

/// Native histogram downsampling. The cases marked "ported" come from Thanos
/// pkg/compact/downsample/downsample_test.go (github.com/thanos-io/thanos, commit
/// e103a81bd5943697394afcb4fb592b6ffa806c30): `TestDownsampleNativeHistograms` ("regular NH
/// downsampling"), `TestDownSampleNativeHistogram` ("float histogram with 30 samples with
/// counter resets and 30s scrape interval", the case that test runs) and
/// `TestDownsampleMixedChunkTypes`; their expected values are Thanos's.
@Suite struct HistogramDownsampleTests {
    typealias HS = Downsample.HistogramSample

    func aggr(_ c: EncodedChunk) -> AggrChunk { try! c.data.withUnsafeBytes { try AggrChunk(decoding: $0) } }

    func floats(_ part: [UInt8]?) -> [(Int64, Double)] {
        guard let part else { return [] }
        var ts: [Int64] = [], vs: [Double] = []
        part.withUnsafeBytes { try! decodeXOR($0, into: &ts, &vs) }
        return Array(zip(ts, vs))
    }

    /// Decodes a float histogram sub-chunk keeping every sample and its read hint.
    func hists(_ part: [UInt8]?) -> [(Int64, FloatHistogram)] {
        guard let part else { return [] }
        var out: [(Int64, FloatHistogram)] = []
        part.withUnsafeBytes { buf in
            var it = try! FloatHistogramChunkIterator(buf)
            while try! it.next() { out.append((it.t, it.histogram)) }
        }
        return out
    }

    /// Prometheus `tsdbutil.GenerateTestFloatHistogram(i)`.
    static func gen(_ i: Int) -> FloatHistogram {
        let d = Double(i)
        let spans = [HistogramSpan(offset: 0, length: 2), HistogramSpan(offset: 1, length: 2)]
        return FloatHistogram(schema: 1, zeroThreshold: 0.001, zeroCount: 2 + d, count: 12 + d * 9, sum: 18.4 * (d + 1),
                              positiveSpans: spans, negativeSpans: spans,
                              positiveBuckets: [d + 1, d + 2, d + 1, d + 1], negativeBuckets: [d + 1, d + 2, d + 1, d + 1])
    }

    static func gens(_ ns: [Int]) -> [FloatHistogram] { ns.flatMap { n in (0..<n).map(gen) } }

    /// Thanos test helper `counterResetAdjustFloatHistograms`: running reset-corrected counters.
    static func adjusted(_ hs: [FloatHistogram]) -> [FloatHistogram] {
        var out: [FloatHistogram] = []
        var counter = FloatHistogram(), previous = FloatHistogram()
        for (i, h) in hs.enumerated() {
            if i == 0 {
                counter = h
            } else if h.detectReset(previous: previous) {
                try! counter.add(h)
            } else {
                var d = h
                try! d.sub(previous)
                try! counter.add(d)
            }
            previous = h
            out.append(counter)
        }
        return out
    }

    static func plainSum(_ hs: [FloatHistogram]) -> FloatHistogram {
        var s = hs[0]
        for h in hs.dropFirst() { try! s.add(h) }
        return s
    }

    /// Equality within 1e-9 (Thanos compares with `cmpopts.EquateApprox(0, 1e-9)`).
    func close(_ a: FloatHistogram, _ b: FloatHistogram) -> Bool {
        func eq(_ x: Double, _ y: Double) -> Bool { x == y || abs(x - y) <= 1e-9 * max(abs(x), abs(y)) }
        func eqs(_ x: [Double], _ y: [Double]) -> Bool { x.count == y.count && zip(x, y).allSatisfy(eq) }
        return a.schema == b.schema && eq(a.count, b.count) && eq(a.sum, b.sum) && eq(a.zeroCount, b.zeroCount)
            && a.zeroThreshold == b.zeroThreshold && a.positiveSpans == b.positiveSpans
            && a.negativeSpans == b.negativeSpans
            && eqs(a.positiveBuckets, b.positiveBuckets) && eqs(a.negativeBuckets, b.negativeBuckets)
    }

    // MARK: hand-computed

    @Test func windowsCounterResetAndSums() throws {
        // 1m scrapes of a counter histogram over 10 minutes; it resets at minute 7.
        func h(_ n: Double) -> FloatHistogram {
            FloatHistogram(schema: 0, count: n, sum: n * 2, positiveSpans: [HistogramSpan(offset: 0, length: 1)], positiveBuckets: [n])
        }
        var data: [HS] = []
        for i in 0..<10 { data.append(HS(t: Int64(i) * 60_000, h: h(i < 7 ? Double(i + 1) * 10 : Double(i - 6)))) }
        // values: 10 20 30 40 50 | 60 70 1 2 3
        let out = try Downsample.rawHistograms(data, resolution: Downsample.resolution5m)
        #expect(out.count == 1)
        let c = aggr(out[0])
        #expect(c.isHistogram)
        #expect(c[.min] == nil && c[.max] == nil)
        #expect(c.encoding(.count) == 1 && c.encoding(.sum) == 3 && c.encoding(.counter) == 3)
        #expect(floats(c[.count]).map(\.0) == [299_999, 540_000])
        #expect(floats(c[.count]).map(\.1) == [5, 5])
        #expect(out[0].minTime == 299_999 && out[0].maxTime == 540_000 && out[0].numSamples == 2)
        let sums = hists(c[.sum])
        #expect(sums.map(\.1.count) == [150, 136])  // 10+…+50, 60+70+1+2+3
        #expect(sums.allSatisfy { $0.1.counterResetHint == .gauge })
        let counters = hists(c[.counter])
        // 50 at the first window; then +10 +10, reset (+1), +1 +1 → 73.
        #expect(counters.map(\.1.count) == [50, 73])
        #expect(counters.map(\.1.positiveBuckets) == [[50], [73]])
        // Header not-counter-reset (Thanos's appender is its own prev): first read hint unknown.
        #expect(c[.counter]![2] & 0xC0 == CounterResetHeader.notCounterReset.rawValue)
        #expect(counters.map(\.1.counterResetHint) == [.unknown, .notCounterReset])
        #expect(c[.sum]![2] & 0xC0 == CounterResetHeader.gauge.rawValue)

        // 5m → 1h: one window, count summed, sums summed, counter re-aggregated.
        let meta = ChunkMeta(ref: 0, minTime: out[0].minTime, maxTime: out[0].maxTime)
        let h1 = try Downsample.aggregateSeries([(c, meta)], inResolution: Downsample.resolution5m, resolution: Downsample.resolution1h)
        #expect(h1.count == 1)
        let c1 = aggr(h1[0])
        #expect(floats(c1[.count]).map(\.1) == [10])
        #expect(hists(c1[.sum]).map(\.1.count) == [286])
        #expect(hists(c1[.counter]).map(\.1.count) == [73])
        #expect(h1[0].minTime == 540_000 && h1[0].maxTime == 540_000)
    }

    @Test func lowestSchemaOfTheBatchAndGauges() throws {
        // Schema 1 then schema 0 in one window: everything is aggregated at schema 0.
        var a = FloatHistogram(schema: 1, count: 4, sum: 4, positiveSpans: [HistogramSpan(offset: 1, length: 2)], positiveBuckets: [1, 3])
        var b = FloatHistogram(schema: 0, count: 6, sum: 6, positiveSpans: [HistogramSpan(offset: 1, length: 1)], positiveBuckets: [6])
        a.counterResetHint = .gauge
        b.counterResetHint = .gauge
        let out = try Downsample.rawHistograms([HS(t: 1000, h: a), HS(t: 2000, h: b)], resolution: Downsample.resolution5m)
        let c = aggr(out[0])
        let sum = hists(c[.sum])
        #expect(sum.count == 1 && sum[0].1.schema == 0 && sum[0].1.count == 10)
        // Gauge series: the counter aggregate is a gauge chunk too.
        #expect(c[.counter]![2] & 0xC0 == CounterResetHeader.gauge.rawValue)
        #expect(hists(c[.counter]).first?.1.counterResetHint == .gauge)
    }

    // MARK: ported from Thanos

    @Test func portedRegularNativeHistogramDownsampling() throws {
        // TestDownsampleNativeHistograms / "regular NH downsampling".
        let fh = FloatHistogram(schema: 3, zeroThreshold: 2.938735877055719e-39, count: 2, sum: 0.000551209,
                                positiveSpans: [HistogramSpan(offset: -97, length: 1), HistogramSpan(offset: 4, length: 1)],
                                positiveBuckets: [1, 1])
        var data = [HS(t: 1688526018213, h: fh)]
        var t: Int64 = 1688526018213 + 60_000
        while t < 1688562258213 { data.append(HS(t: t, h: fh)); t += 60_000 }
        var sum5m = fh
        sum5m.count = 10; sum5m.sum = 0.002756045; sum5m.positiveBuckets = [5, 5]
        var sum1h = fh
        sum1h.count = 120; sum1h.sum = 0.03307253999999999; sum1h.positiveBuckets = [60, 60]

        let chks = try Downsample.rawHistograms(data, resolution: Downsample.resolution5m)
        #expect(chks.count == 1)
        for c in chks.map(aggr) {
            #expect(c[.count] != nil && c[.sum] != nil && c[.counter] != nil && c[.min] == nil && c[.max] == nil)
            for (i, s) in floats(c[.count]).enumerated() { #expect(s.1 == (i == 120 ? 4 : 5)) }
            let counter = hists(c[.counter])
            #expect(counter.count == 1 + data.count / 5)
            for (i, s) in counter.enumerated() {
                #expect(s.1.equals(fh))
                #expect(s.1.counterResetHint == (i == 0 ? .unknown : .notCounterReset))
            }
            let sums = hists(c[.sum])
            #expect(!sums.isEmpty)
            for (i, s) in sums.enumerated() {
                var want = sum5m
                if i == 120 { want.count = 8; want.positiveBuckets = [4, 4]; want.sum = 0.002204836 }
                #expect(s.1.equals(want), "5m sum \(i)")
                #expect(s.1.counterResetHint == .gauge)
            }
        }
        let metas = chks.map { ($0, ChunkMeta(ref: 0, minTime: $0.minTime, maxTime: $0.maxTime)) }.map { (aggr($0.0), $0.1) }
        let down = try Downsample.aggregateSeries(metas, inResolution: Downsample.resolution5m, resolution: Downsample.resolution1h)
        #expect(!down.isEmpty)
        for c in down.map(aggr) {
            #expect(c[.count] != nil && c[.sum] != nil && c[.counter] != nil && c[.min] == nil && c[.max] == nil)
            let sums = hists(c[.sum])
            #expect(!sums.isEmpty)
            for (i, s) in sums.enumerated() {
                var want = sum1h
                if i == 10 { want.count = 8; want.positiveBuckets = [4, 4]; want.sum = 0.002204836 }
                #expect(s.1.equals(want), "1h sum \(i)")
            }
        }
    }

    @Test func portedCounterResetsThirtySecondScrapes() throws {
        // TestDownSampleNativeHistogram / "float histogram with 30 samples with counter resets
        // and 30s scrape interval": generateFloatHistogramSamples(0, 15, 5, 10), cut into raw
        // chunks at every reset (Thanos's chunksFromHistogramSamples), through whole blocks.
        let hs = Self.gens([15, 5, 10])
        var chunks: [EncodedChunk] = []
        var seq = FloatHistogramChunkSequence()
        for (i, h) in hs.enumerated() {
            if i > 0 && h.detectReset(previous: hs[i - 1]) { chunks += seq.finish() }
            try seq.append(Int64(i) * 30_000, h)
        }
        chunks += seq.finish()
        #expect(chunks.count == 3)
        let parent = TestEnv.tempDir("hds")
        let w = try BlockWriter(parentDir: parent, minTime: 0, maxTime: 870_001)
        try w.add(Labels(["__name__": "a"]), chunks: chunks)
        let raw = try w.commit { _ in }
        let m5 = try BlockDownsampler.downsample(blockDir: parent + "/" + raw.ulid.description, outParentDir: parent,
                                                 resolution: Downsample.resolution5m)
        let c5 = try onlyChunk(parent + "/" + m5.ulid.description)
        #expect(floats(c5[.count]).map(\.0) == [299_999, 599_999, 870_000])
        #expect(floats(c5[.count]).map(\.1) == [10, 10, 10])
        let counter = hists(c5[.counter])
        let wantCounter = [Self.adjusted(Self.gens([10])).last!, Self.adjusted(Self.gens([15, 5])).last!,
                           Self.adjusted(Self.gens([15, 5, 10])).last!]
        #expect(counter.map(\.0) == [299_999, 599_999, 870_000])
        for k in 0..<3 { #expect(close(counter[k].1, wantCounter[k]), "counter \(k)") }
        #expect(counter.map(\.1.counterResetHint) == [.unknown, .notCounterReset, .notCounterReset])
        let sums = hists(c5[.sum])
        let wantSums = [Self.plainSum(Self.gens([10])), Self.plainSum(Array(Self.gens([15])[10...]) + Self.gens([5])),
                        Self.plainSum(Self.gens([10]))]
        for k in 0..<3 { #expect(close(sums[k].1, wantSums[k]), "sum \(k)") }

        let m1 = try BlockDownsampler.downsample(blockDir: parent + "/" + m5.ulid.description, outParentDir: parent,
                                                 resolution: Downsample.resolution1h)
        let c1 = try onlyChunk(parent + "/" + m1.ulid.description)
        #expect(floats(c1[.count]).map(\.0) == [870_000] && floats(c1[.count]).map(\.1) == [30])
        let counter1 = hists(c1[.counter])
        #expect(counter1.count == 1 && close(counter1[0].1, wantCounter[2]) && counter1[0].1.counterResetHint == .unknown)
        let sum1 = hists(c1[.sum])
        #expect(sum1.count == 1 && close(sum1[0].1, Self.plainSum(hs)))
        var v = BlockVerifier(dir: parent + "/" + m1.ulid.description)
        #expect(v.run().map(\.description) == [])
        #expect(m5.stats.numSamples == 3 && m1.stats.numSamples == 1)
    }

    @Test func portedMixedChunkTypes() throws {
        // TestDownsampleMixedChunkTypes: 20 histograms then 20 floats, 15s apart, in one series.
        var ts: Int64 = 0
        var seq = FloatHistogramChunkSequence()
        for h in Self.gens([20]) { ts += 15_000; try seq.append(ts, h) }
        var chunks = seq.finish()
        var x = XORAppender()
        for i in 0..<20 { ts += 15_000; x.append(ts, Double(i)) }
        chunks.append(EncodedChunk(encoding: .xor, data: x.bytes, minTime: 315_000, maxTime: ts, numSamples: 20))
        let parent = TestEnv.tempDir("hdm")
        let w = try BlockWriter(parentDir: parent, minTime: 15_000, maxTime: ts + 1)
        try w.add(Labels(["__name__": "a"]), chunks: chunks)
        let raw = try w.commit { _ in }
        let m5 = try BlockDownsampler.downsample(blockDir: parent + "/" + raw.ulid.description, outParentDir: parent,
                                                 resolution: Downsample.resolution5m)
        let c5 = try allChunks(parent + "/" + m5.ulid.description)
        #expect(c5.count == 2)
        #expect(floats(c5[0][.count]).map { [Double($0.0), $0.1] } == [[299_999, 19], [300_000, 1]])
        let counter = hists(c5[0][.counter])
        #expect(counter.map(\.0) == [299_999, 300_000])
        #expect(counter[0].1.equals(Self.gen(18)) && counter[0].1.counterResetHint == .unknown)
        #expect(counter[1].1.equals(Self.gen(19)) && counter[1].1.counterResetHint == .notCounterReset)
        let sums = hists(c5[0][.sum])
        #expect(close(sums[0].1, Self.plainSum(Self.adjusted(Array(Self.gens([20]).prefix(19))))))
        #expect(sums[1].1.equals(Self.gen(19)) && sums[1].1.counterResetHint == .gauge)
        #expect(floats(c5[1][.count]).map { [Double($0.0), $0.1] } == [[599_999, 19], [600_000, 1]])
        #expect(floats(c5[1][.counter]).map { [Double($0.0), $0.1] } == [[315_000, 0], [599_999, 18], [600_000, 19], [600_000, 19]])
        #expect(floats(c5[1][.sum]).map { [Double($0.0), $0.1] } == [[599_999, 171], [600_000, 19]])

        let m1 = try BlockDownsampler.downsample(blockDir: parent + "/" + m5.ulid.description, outParentDir: parent,
                                                 resolution: Downsample.resolution1h)
        let c1 = try allChunks(parent + "/" + m1.ulid.description)
        #expect(c1.count == 2)
        #expect(floats(c1[0][.count]).map { [Double($0.0), $0.1] } == [[300_000, 20]])
        let counter1 = hists(c1[0][.counter])
        #expect(counter1.count == 1 && counter1[0].0 == 300_000 && counter1[0].1.equals(Self.gen(19)))
        #expect(close(hists(c1[0][.sum])[0].1, Self.plainSum(Self.gens([20]))))
        #expect(floats(c1[1][.count]).map { [Double($0.0), $0.1] } == [[600_000, 20]])
        #expect(floats(c1[1][.counter]).map { [Double($0.0), $0.1] } == [[315_000, 0], [600_000, 19], [600_000, 19]])
        #expect(floats(c1[1][.sum]).map { [Double($0.0), $0.1] } == [[600_000, 190]])
    }

    func allChunks(_ dir: String) throws -> [AggrChunk] {
        let b = try BlockReader(dir: dir)
        var out: [AggrChunk] = []
        try b.forEachSeries(matching: []) { s in
            for c in s.chunks { out.append(try AggrChunk(decoding: try b.chunks.chunk(c.ref).data)) }
        }
        return out
    }

    func onlyChunk(_ dir: String) throws -> AggrChunk {
        let all = try allChunks(dir)
        #expect(all.count == 1)
        return all[0]
    }
}

/// The real Prometheus 2.42 block with native histograms (testdata/native-histograms/prom242)
/// through raw → 5m → 1h: both outputs verify, every histogram is counted once, and the last
/// counter of each series equals the reset-corrected total of its raw histograms.
@Suite struct RealHistogramBlockDownsampleTests {
    /// The block in start-timestamp encodings downsamples to exactly the same chunks as the
    /// block Prometheus 2.42 wrote.
    @Test func startTimestampEncodingsDownsampleLikeThePlainOnes() throws {
        let parent = TestEnv.tempDir("hds-st")
        let converted = try StartTimestampBlocks.convert(blockDir: NativeHistogramData.blockDir, parentDir: parent)
        let a = try BlockDownsampler.downsample(blockDir: NativeHistogramData.blockDir, outParentDir: parent, resolution: Downsample.resolution5m)
        let b = try BlockDownsampler.downsample(blockDir: converted, outParentDir: parent, resolution: Downsample.resolution5m)
        let ra = try BlockReader(dir: parent + "/" + a.ulid.description), rb = try BlockReader(dir: parent + "/" + b.ulid.description)
        let all = [try Matcher(.regexMatch, "__name__", ".+")]
        let sa = try ra.series(matching: all), sb = try rb.series(matching: all)
        #expect(sa.map(\.labels) == sb.map(\.labels) && !sa.isEmpty)
        for (x, y) in zip(sa, sb) {
            let cx = try x.chunks.map { Array(try ra.chunks.chunk($0.ref).data) }
            let cy = try y.chunks.map { Array(try rb.chunks.chunk($0.ref).data) }
            #expect(cx == cy, "\(x.labels)")
        }
        #expect(a.stats.numSamples == b.stats.numSamples)
    }

    @Test func prometheus242BlockTo5mAnd1h() throws {
        let parent = TestEnv.tempDir("hds-real")
        let src = try BlockReader(dir: NativeHistogramData.blockDir)
        let m5 = try BlockDownsampler.downsample(blockDir: NativeHistogramData.blockDir, outParentDir: parent, resolution: Downsample.resolution5m)
        let m1 = try BlockDownsampler.downsample(blockDir: parent + "/" + m5.ulid.description, outParentDir: parent, resolution: Downsample.resolution1h)
        var checked = 0
        for m in [m5, m1] {
            let dir = parent + "/" + m.ulid.description
            var v = BlockVerifier(dir: dir)
            #expect(v.run().map(\.description) == [])
            let b = try BlockReader(dir: dir)
            try b.forEachSeries(matching: []) { s in
                let rs = try #require(try src.series(matching: s.labels.pairs.map { try Matcher(.equal, $0.name, $0.value) }).first)
                var ts: [Int64] = [], hs: [FloatHistogram] = []
                try src.histogramSamples(of: rs, into: &ts, &hs)
                hs = hs.filter { !isStaleNaN($0.sum) }
                guard !hs.isEmpty else { return }
                var total = hs[0]
                for k in 1..<hs.count {
                    if hs[k].detectReset(previous: hs[k - 1]) { try total.add(hs[k]) } else {
                        var d = hs[k]; try d.sub(hs[k - 1]); try total.add(d)
                    }
                }
                var count = 0.0
                var last: FloatHistogram?
                for c in s.chunks {
                    let ag = try AggrChunk(decoding: try b.chunks.chunk(c.ref).data)
                    #expect(ag.isHistogram)
                    var cts: [Int64] = [], cvs: [Double] = []
                    try ag[.count]!.withUnsafeBytes { try decodeXOR($0, into: &cts, &cvs) }
                    count += cvs.reduce(0, +)
                    var out: [Downsample.HistogramSample] = []
                    try Downsample.expandHistogramChunk(ag[.counter]!, encoding: ag.encoding(.counter)!, into: &out)
                    last = out.last?.h
                }
                #expect(count == Double(hs.count), "\(s.labels)")
                // Chunks restart their counter from a raw value; with one chunk per series the
                // last counter is the whole reset-corrected total.
                if s.chunks.count == 1, let last {
                    #expect(abs(last.count - total.count) <= 1e-9 * max(1, total.count), "\(s.labels): \(last.count) vs \(total.count)")
                }
                checked += 1
            }
        }
        #expect(checked > 0)
    }
}

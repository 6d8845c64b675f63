import Testing
import StrataCore
@testable import StrataTSDB

@Suite struct HistogramChunkTests {
    @Test func varbitRoundTripsAtEveryWidth() {
        var ints: [Int64] = [0, .min, .max, -1, 1]
        var uints: [UInt64] = [0, .max, 1]
        for n in [3, 6, 9, 12, 18, 25, 56] {
            let hi = Int64(1) << (n - 1)
            ints += [hi, hi + 1, -(hi - 1), -hi]
            uints += [(UInt64(1) << n) - 1, UInt64(1) << n]
        }
        var w = BitWriter()
        for v in ints { w.putVarbitInt(v) }
        for v in uints { w.putVarbitUint(v) }
        let bytes = w.finished
        bytes.withUnsafeBytes { buf in
            var r = BitReader(buf)
            for v in ints { #expect(r.readVarbitInt() == v) }
            for v in uints { #expect(r.readVarbitUint() == v) }
            #expect(!r.overrun)
        }
        // Widths: 0 → 1 bit, 4 → 2+3, 5 → 3+6, -3 → 5 bits, 1<<55 → 8+56.
        var s = BitWriter()
        s.putVarbitInt(4); s.putVarbitInt(-4)
        #expect(s.bitCount == 5 + 9)
        var u = BitWriter()
        u.putVarbitUint(7); u.putVarbitUint(8)
        #expect(u.bitCount == 5 + 9)
    }

    @Test func zeroThresholdAndCustomBoundEncodings() {
        var w = BitWriter()
        w.putZeroThreshold(0)
        w.putZeroThreshold(0x1p-128)  // Prometheus's default: one byte, 116
        w.putZeroThreshold(0x1p10)
        w.putZeroThreshold(0.001)
        #expect(Array(w.finished.prefix(3)) == [0, 116, 254])
        #expect(w.finished[3] == 255 && w.finished.count == 3 + 9)
        var c = BitWriter()
        c.putCustomBound(0.005)  // (5 + 1) as varbit uint: 10 110
        #expect(c.bitCount == 5)
        c.putCustomBound(-1)
        #expect(c.bitCount == 5 + 65)
        c.putCustomBound(33554.43)
        c.putCustomBound(0.0001)
        let bytes = c.finished
        bytes.withUnsafeBytes { buf in
            var r = BitReader(buf)
            for want in [0.005, -1, 33554.43, 0.0001] {
                let b = r.readVarbitUint()
                let got = b == 0 ? Double(bitPattern: r.readBits(64)) : Double(b - 1) / 1000
                #expect(got == want)
            }
        }
    }

    func decodeInt(_ c: EncodedChunk) throws -> [(Int64, Histogram)] {
        try c.data.withUnsafeBytes { buf in
            var it = try HistogramChunkIterator(buf)
            var out: [(Int64, Histogram)] = []
            while try it.next() { out.append((it.t, it.histogram)) }
            return out
        }
    }

    func decodeFloat(_ c: EncodedChunk) throws -> [(Int64, FloatHistogram)] {
        try c.data.withUnsafeBytes { buf in
            var it = try FloatHistogramChunkIterator(buf)
            var out: [(Int64, FloatHistogram)] = []
            while try it.next() { out.append((it.t, it.histogram)) }
            return out
        }
    }

    /// Appends a generated series, decodes every chunk, and checks every sample means what
    /// was appended, chunks hold ≤ 120 samples, and headers/hints follow Prometheus's rules.
    func checkIntegerSeries(_ gen: inout HistogramSeriesGen, samples: Int) throws -> (chunks: [EncodedChunk], recodes: Int) {
        var input: [(Int64, Histogram)] = []
        for _ in 0..<samples { input.append(gen.next()) }
        var seq = HistogramChunkSequence()
        for (t, h) in input { try seq.append(t, h) }
        let recodes = seq.recodes
        let chunks = seq.finish()
        var k = 0
        for c in chunks {
            #expect(c.numSamples <= 120)
            let got = try decodeInt(c)
            #expect(got.count == c.numSamples)
            #expect(got.first?.0 == c.minTime && got.last?.0 == c.maxTime)
            let header = CounterResetHeader(rawValue: c.data[2])!
            for (i, (t, h)) in got.enumerated() {
                let (wt, wh) = input[k]
                #expect(t == wt)
                #expect(sameMeaning(h.toFloat(), wh.toFloat()), "sample \(k): \(h) vs \(wh)")
                if h.sum.bitPattern != staleNaNBits {
                    #expect(h.counterResetHint == (header == .gauge ? .gauge : i == 0 ? .unknown : .notCounterReset))
                }
                // A chunk that starts because the count went down says so in its header.
                if i == 0, k > 0, input[k - 1].1.sum.bitPattern != staleNaNBits, wh.sum.bitPattern != staleNaNBits,
                   wh.counterResetHint != .gauge, wh.count < input[k - 1].1.count {
                    #expect(header == .counterReset, "chunk at \(t) after a count drop")
                }
                k += 1
            }
        }
        #expect(k == input.count)
        return (chunks, recodes)
    }

    @Test func integerCountersRoundTrip() throws {
        var totalRecodes = 0, resets = 0
        for seed in UInt64(1)...20 {
            var g = HistogramSeriesGen(seed: seed)
            let (chunks, recodes) = try checkIntegerSeries(&g, samples: 400)
            totalRecodes += recodes
            resets += chunks.filter { $0.data[2] == CounterResetHeader.counterReset.rawValue }.count
        }
        #expect(totalRecodes > 20)
        #expect(resets > 10)
    }

    @Test func gaugesAndCustomBucketsRoundTrip() throws {
        for seed in UInt64(100)...110 {
            var g = HistogramSeriesGen(seed: seed, gauge: true)
            let (chunks, _) = try checkIntegerSeries(&g, samples: 300)
            // Stale markers carry no gauge hint (as in Prometheus), so one after a gauge sample
            // starts a counter chunk; every other chunk is a gauge chunk.
            for c in chunks where c.data[2] & 0xC0 != CounterResetHeader.gauge.rawValue {
                #expect(try decodeInt(c).allSatisfy { isStaleNaN($0.1.sum) })
            }
            var c = HistogramSeriesGen(seed: seed, custom: true)
            let (cc, _) = try checkIntegerSeries(&c, samples: 300)
            let first = try decodeInt(cc[0])[0].1
            #expect(first.schema == -53 || first.sum.isNaN)
        }
    }

    @Test func floatHistogramsRoundTrip() throws {
        for seed in UInt64(200)...215 {
            var g = HistogramSeriesGen(seed: seed, gauge: seed % 3 == 0, custom: seed % 4 == 0)
            var input: [(Int64, FloatHistogram)] = []
            for _ in 0..<300 {
                let (t, h) = g.next()
                var f = h.toFloat()
                if f.sum.bitPattern != staleNaNBits { f.sum += 0.1 * Double(seed) }  // non-integral values
                input.append((t, f))
            }
            var seq = FloatHistogramChunkSequence()
            for (t, f) in input { try seq.append(t, f) }
            var k = 0
            for c in seq.finish() {
                for (t, f) in try decodeFloat(c) {
                    #expect(t == input[k].0)
                    #expect(sameMeaning(f, input[k].1), "sample \(k)")
                    k += 1
                }
            }
            #expect(k == input.count)
        }
    }

    @Test func newBucketsRecodeInsteadOfCutting() throws {
        var seq = HistogramChunkSequence()
        try seq.append(1000, Histogram(count: 3, sum: 1, positiveSpans: [HistogramSpan(offset: 0, length: 2)], positiveBuckets: [1, 1]))
        // Bucket 5 and bucket -3 appear: the open chunk is rewritten with the wider spans.
        try seq.append(2000, Histogram(count: 6, sum: 2, positiveSpans: [HistogramSpan(offset: -3, length: 1), HistogramSpan(offset: 2, length: 2),
                                                                          HistogramSpan(offset: 3, length: 1)],
                                       positiveBuckets: [1, 0, 1, -1]))
        // Bucket -3 vanishes while empty... it is not empty, so this is a reset.
        try seq.append(3000, Histogram(count: 7, sum: 3, positiveSpans: [HistogramSpan(offset: 0, length: 2)], positiveBuckets: [3, 1]))
        #expect(seq.recodes == 1)
        let chunks = seq.finish()
        #expect(chunks.count == 2)
        #expect(chunks[0].numSamples == 2 && chunks[1].data[2] == CounterResetHeader.counterReset.rawValue)
        let first = try decodeInt(chunks[0])
        #expect(first[0].1.positiveSpans == first[1].1.positiveSpans)
        #expect(first[0].1.toFloat().positiveBuckets == [0, 1, 2, 0])
    }

    @Test func staleMarkersAreSumOnly() throws {
        var seq = HistogramChunkSequence()
        let h = Histogram(count: 2, sum: 1, positiveSpans: [HistogramSpan(offset: 0, length: 1)], positiveBuckets: [2])
        try seq.append(1, h)
        try seq.append(2, Histogram(sum: staleNaN))
        try seq.append(3, Histogram(sum: staleNaN))
        try seq.append(4, h)  // after a stale marker: new chunk, unknown reset
        let chunks = seq.finish()
        #expect(chunks.count == 2 && chunks[1].data[2] == CounterResetHeader.unknown.rawValue)
        let s = try decodeInt(chunks[0])
        #expect(s.count == 3 && isStaleNaN(s[1].1.sum) && s[1].1.positiveSpans.isEmpty && s[1].1.count == 0)
        var again = HistogramChunkSequence()
        try again.append(5, h)
        #expect(throws: TSDBError.self) { try again.append(5, h) }
    }
}

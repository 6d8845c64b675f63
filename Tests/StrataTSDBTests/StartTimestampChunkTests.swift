import Testing
import StrataCore
@testable import StrataTSDB
import StrataTestSupport

/// Prometheus 3.11+'s start-timestamp chunks: XOR2 (4), histogram ST (5), float histogram
/// ST (6). No Prometheus 3 runs here, so bit-exactness is checked against chunks assembled
/// field by field from Prometheus's format description (tsdb/docs/format/chunks.md, "XOR2
/// chunk data" and "Histogram ST chunk data"), and everything else by round trips.
@Suite struct StartTimestampChunkTests {
    /// A chunk written field by field: (value, width in bits) in stream order.
    static func assemble(_ fields: [(UInt64, Int)]) -> [UInt8] {
        var w = BitWriter()
        for (v, n) in fields { w.write(v, n) }
        return w.finished
    }

    static func uvarint(_ v: UInt64) -> [(UInt64, Int)] {
        var out: [(UInt64, Int)] = [], x = v
        while x >= 0x80 { out.append((x & 0x7F | 0x80, 8)); x >>= 7 }
        return out + [(x, 8)]
    }

    static func varint(_ v: Int64) -> [(UInt64, Int)] { uvarint(UInt64(bitPattern: (v << 1) ^ (v >> 63))) }

    static func samples(_ chunk: [UInt8]) -> [(st: Int64, t: Int64, v: UInt64)]? {
        chunk.withUnsafeBytes { buf in
            var it = XOR2Iterator(buf)
            var out: [(Int64, Int64, UInt64)] = []
            while it.next() { out.append((it.st, it.t, it.vbits)) }
            return it.failed ? nil : out
        }
    }

    /// Every joint control case of XOR2 once: dod 0 with the value unchanged, changed and
    /// stale; 13-, 20- and 64-bit dods; a new and a reused XOR window.
    @Test func xor2MatchesTheFormatFieldByField() {
        let one = (1.0).bitPattern, two = (2.0).bitPattern, three = (3.0).bitPattern
        // Intervals 1000, 1000, 1010, 1010, 1010, 601_010, 501_010, 600_010: dods 0, 10, 0, 0,
        // 600_000 (beyond 20 bits), −100_000, 99_000.
        let input: [(Int64, UInt64)] = [(1000, one), (2000, one), (3000, one), (4010, two), (5020, staleNaNBits),
                                        (6030, three), (607_040, three), (1_108_050, three), (1_708_060, two)]
        var a = XOR2Appender()
        for (t, v) in input { a.append(t, Double(bitPattern: v)) }
        let expected = Self.assemble([(0, 8), (9, 8), (0, 8)]                    // count, ST header
            + Self.varint(1000) + [(one, 64)]                                    // sample 0
            + Self.uvarint(1000) + [(0, 1)]                                      // sample 1: value unchanged
            + [(0, 1)]                                                           // dod 0, value unchanged
            + [(0b110, 3), (10, 13), (0b110, 3), (1, 5), (11, 6), (0x7FF, 11)]   // 13-bit dod, new window 1/52
            + [(0b11111, 5)]                                                     // dod 0, stale marker
            + [(0b10, 2), (1, 1), (12, 5), (1, 6), (1, 1)]                       // dod 0, changed: new window 12/51
            + [(0b11110, 5), (600_000, 64), (0, 1)]                              // 64-bit dod, unchanged
            + [(0b1110, 4), (UInt64(bitPattern: -100_000) & 0xFFFFF, 20), (0, 1)]  // 20-bit dod, unchanged
            + [(0b1110, 4), (99_000, 20), (0b10, 2), (1, 1)])                    // reused window
        #expect(a.bytes == expected, "\(a.bytes) vs \(expected)")
        let back = Self.samples(a.bytes)
        #expect(back?.map(\.t) == input.map(\.0))
        #expect(back?.map(\.v) == input.map(\.1))
        #expect(back?.allSatisfy { $0.st == 0 } == true)
    }

    /// Start timestamps: the first one as a byte varint after sample 0, the header's change
    /// index, then `prevT − st` and its deltas as varbits after each sample's value.
    @Test func xor2StartTimestampsMatchTheFormat() {
        let one = (1.0).bitPattern
        let input: [(st: Int64, t: Int64)] = [(500, 1000), (500, 2000), (2500, 3000), (2500, 4000), (3900, 5000)]
        var a = XOR2Appender()
        for s in input { a.append(st: s.st, s.t, 1.0) }
        // Sample 2 changes ST: prevT − st = 2000 − 2500 = −500 (12-bit varbit). Sample 3:
        // 3000 − 2500 = 500, delta 1000. Sample 4: 4000 − 3900 = 100, delta −400.
        let expected = Self.assemble([(0, 8), (5, 8), (0x82, 8)]
            + Self.varint(1000) + [(one, 64)] + Self.varint(500)
            + Self.uvarint(1000) + [(0, 1)]
            + [(0, 1)] + [(0b11110, 5), (UInt64(bitPattern: -500) & 0xFFF, 12)]
            + [(0, 1)] + [(0b11110, 5), (1000, 12)]
            + [(0, 1)] + [(0b11110, 5), (UInt64(bitPattern: -400) & 0xFFF, 12)])
        #expect(a.bytes == expected, "\(a.bytes) vs \(expected)")
        let back = Self.samples(a.bytes)
        #expect(back?.map(\.st) == input.map(\.st))
        #expect(back?.map(\.t) == input.map(\.t))
    }

    /// The header holds change indexes up to 127 only: sample 127 starts the per-sample ST
    /// deltas even when ST never changed (Prometheus `maxFirstSTChangeOn`).
    @Test func sample127StartsTheDeltasWhateverHappened() {
        var a = XOR2Appender()
        for i in 0..<200 { a.append(Int64(i) * 1000, 1.0) }
        #expect(a.bytes[2] == 0x7F)
        #expect(Self.samples(a.bytes)?.allSatisfy { $0.st == 0 } == true)
        var b = XOR2Appender()
        for i in 0..<126 { b.append(Int64(i) * 1000, 1.0) }
        #expect(b.bytes[2] == 0)
    }

    /// Random series (jittered and irregular intervals, stale markers, repeated values, ST
    /// absent, constant, changing from sample 1, late or often; past the 127-sample header
    /// limit) read back exactly, start timestamps included.
    @Test func xor2RoundTrips() {
        var rng = HistRNG(7)
        for round in 0..<300 {
            let n = 1 + rng.int(round % 10 == 0 ? 400 : 130)
            var t = Int64(rng.int(1 << 40)) - (1 << 39), st: Int64 = round % 3 == 0 ? 0 : t - 1000
            var v = Double(rng.int(100))
            var input: [(Int64, Int64, UInt64)] = []
            for i in 0..<n {
                switch rng.int(10) {
                case 0: t += Int64(rng.int(1 << 30))
                case 1: t += 1 + Int64(rng.int(100))
                default: t += 15_000 + Int64(rng.int(5)) - 2
                }
                if rng.chance(0.3) { v += Double(rng.int(1000)) / 7 }
                if round % 3 == 2 && rng.chance(0.1) { st = rng.chance(0.5) ? 0 : t - Int64(rng.int(1 << 20)) }
                if round % 3 == 1 && i == 1 { st += 1 }
                let bits = rng.chance(0.03) ? staleNaNBits : v.bitPattern
                input.append((st, t, bits))
            }
            var a = XOR2Appender()
            for (s, t, b) in input { a.append(st: s, t, Double(bitPattern: b)) }
            let back = Self.samples(a.bytes)
            #expect(back?.count == n, "round \(round)")
            guard let back, back.count == n else { continue }
            for i in 0..<n where back[i] != input[i] {
                Issue.record("round \(round) sample \(i): \(back[i]) vs \(input[i])")
                break
            }
        }
    }

    /// Integer and float histogram chunks re-encoded with start timestamps: the sample
    /// stream is the plain chunk's with ST fields added, the counter-reset bits move to
    /// byte 0, and transcoding back gives the plain chunk byte for byte.
    @Test func histogramSTChunksRoundTripAndTranscode() throws {
        var checked = 0
        for seed in UInt64(1)...6 {
            var g = HistogramSeriesGen(seed: seed, gauge: seed == 3, custom: seed == 4)
            var ints = HistogramChunkSequence(), floats = FloatHistogramChunkSequence()
            for _ in 0..<300 {
                let (t, h) = g.next()
                try ints.append(t, h)
                try floats.append(t, h.toFloat())
            }
            for c in ints.finish() + floats.finish() {
                let float = c.encoding == .floatHistogram
                let header = CounterResetHeader(rawValue: c.data[2] & 0xC0)!
                let (ts, hs, _) = try c.data.withUnsafeBytes { try Self.histogramsWithST($0, float: float, st: false) }
                let ints: [Histogram] = float ? [] : try c.data.withUnsafeBytes { buf in
                    var it = try HistogramChunkIterator(buf)
                    var out: [Histogram] = []
                    while try it.next() { out.append(it.histogram) }
                    return out
                }
                for pattern in 0..<3 {
                    let sts = ts.enumerated().map { i, t in pattern == 0 ? 0 : pattern == 1 ? t - 60_000 : t - Int64(1000 * (i / 3 + 1)) }
                    let st: [UInt8]
                    if float {
                        var e = FloatHistogramChunkEncoder(header: header, startTimestamps: true)
                        for i in ts.indices { e.append(st: sts[i], ts[i], hs[i]) }
                        st = e.bytes
                    } else {
                        var e = HistogramChunkEncoder(header: header, startTimestamps: true)
                        for i in ts.indices { e.append(st: sts[i], ts[i], ints[i]) }
                        st = e.bytes
                    }
                    #expect(st[0] & 0xC0 == c.data[2] & 0xC0 && Int(st[0] & 0x3F) << 8 | Int(st[1]) == ts.count)
                    if pattern == 0 && ts.count < 127 { #expect(Array(st[3...]) == Array(c.data[3...])) }
                    let (ts2, hs2, sts2) = try st.withUnsafeBytes { try Self.histogramsWithST($0, float: float) }
                    #expect(ts2 == ts && sts2 == sts && hs2.count == hs.count)
                    #expect(zip(hs, hs2).allSatisfy { $0.sum.bitPattern == $1.sum.bitPattern && ($0.sum.isNaN || sameMeaning($0, $1)) })
                    let back = try st.withUnsafeBytes {
                        try ChunkTranscoding.withoutStartTimestamps(encoding: float ? 6 : 5, $0)
                    }
                    #expect(back?.0 == c.encoding && back?.1 == c.data)
                    checked += 1
                }
            }
        }
        #expect(checked > 30)
    }

    @Test func xor2TranscodesToTheSameXORChunk() throws {
        var rng = HistRNG(3)
        for _ in 0..<50 {
            var a = XOR2Appender(), x = XORAppender()
            var t: Int64 = 1_700_000_000_000, v = 0.0
            for i in 0..<(1 + rng.int(120)) {
                t += 15_000 + Int64(rng.int(3))
                v += Double(rng.int(10))
                let bits = rng.chance(0.05) ? staleNaNBits : v.bitPattern
                a.append(st: i < 5 ? 0 : t - 30_000, t, Double(bitPattern: bits))
                x.appendBits(t, bits)
            }
            let back = try a.bytes.withUnsafeBytes { try ChunkTranscoding.withoutStartTimestamps(encoding: 4, $0) }
            #expect(back?.0 == .xor && back?.1 == x.bytes)
        }
        #expect(try [UInt8](repeating: 0, count: 3).withUnsafeBytes { try ChunkTranscoding.withoutStartTimestamps(encoding: 1, $0) } == nil)
    }

    /// Flipped bits, cut tails, inflated counts and overwritten bytes in all three
    /// encodings: decoding ends with samples or an error, never a crash or a hang.
    @Test func mutatedChunksFailCleanly() throws {
        var sources: [(UInt8, [UInt8])] = []
        var rng = HistRNG(11)
        for seed in UInt64(1)...4 {
            var a = XOR2Appender()
            var t: Int64 = 0, v = 0.0
            for i in 0..<150 {
                t += 15_000 + Int64(rng.int(3))
                v += Double(rng.int(10)) / 3
                a.append(st: i % 40 == 0 ? 0 : t - 7000, t, v)
            }
            sources.append((4, a.bytes))
            var g = HistogramSeriesGen(seed: seed, gauge: seed == 3, custom: seed == 4)
            var e = HistogramChunkEncoder(header: .unknown, startTimestamps: true)
            var f = FloatHistogramChunkEncoder(header: .unknown, startTimestamps: true)
            var first: Histogram?
            for _ in 0..<100 {
                let (t, h) = g.next()
                if first == nil { first = h }
                guard h.schema == first!.schema, h.positiveSpans == first!.positiveSpans, h.negativeSpans == first!.negativeSpans,
                      h.zeroThreshold == first!.zeroThreshold else { continue }
                e.append(st: t - 5000, t, h)
                f.append(st: t - 5000, t, h.toFloat())
            }
            sources += [(5, e.bytes), (6, f.bytes)]
        }
        var failures = 0
        for i in 0..<3000 {
            let (enc, src) = sources[i % sources.count]
            var d = src
            switch rng.int(4) {
            case 0: for _ in 0..<(1 + rng.int(4)) { let b = rng.int(d.count * 8); d[b / 8] ^= 1 << UInt8(b % 8) }
            case 1: d.removeLast(rng.int(d.count))
            case 2: if d.count > 2 { d[1] = 0xFF; d[0] |= 0x3F }
            default: d[rng.int(d.count)] = UInt8(truncatingIfNeeded: rng.next())
            }
            do {
                _ = try d.withUnsafeBytes { try ChunkTranscoding.withoutStartTimestamps(encoding: enc, $0) }
            } catch {
                failures += 1
            }
        }
        #expect(failures > 300)
        for (enc, s) in sources { _ = try s.withUnsafeBytes { try ChunkTranscoding.withoutStartTimestamps(encoding: enc, $0) } }
    }

    static func histogramsWithST(_ buf: UnsafeRawBufferPointer, float: Bool, st: Bool = true) throws -> ([Int64], [FloatHistogram], [Int64]) {
        var ts: [Int64] = [], hs: [FloatHistogram] = [], sts: [Int64] = []
        var h = FloatHistogram()
        if float {
            var it = try FloatHistogramChunkIterator(buf, startTimestamps: st)
            while try it.next() { it.read(into: &h); ts.append(it.t); hs.append(h); sts.append(it.st) }
        } else {
            var it = try HistogramChunkIterator(buf, startTimestamps: st)
            while try it.next() { it.read(into: &h); ts.append(it.t); hs.append(h); sts.append(it.st) }
        }
        return (ts, hs, sts)
    }

    /// The block a real Prometheus 2.42 wrote, converted to start-timestamp chunks: it
    /// verifies clean with every sample counted, and reads and dumps exactly as the original.
    @Test func convertedRealBlockReadsLikeTheOriginal() throws {
        let dir = TestEnv.tempDir("st-block")
        let converted = try StartTimestampBlocks.convert(blockDir: NativeHistogramData.blockDir, parentDir: dir)
        var v = BlockVerifier(dir: converted)
        #expect(v.run().isEmpty && v.unsupportedChunks.isEmpty)
        var o = BlockVerifier(dir: NativeHistogramData.blockDir)
        _ = o.run()
        #expect(v.samples == o.samples && v.samples > 0)
        let a = try BlockReader(dir: NativeHistogramData.blockDir), b = try BlockReader(dir: converted)
        #expect(try SampleDump.text(a) == SampleDump.text(b))
        let encodings = try b.series(matching: [try Matcher(.regexMatch, "__name__", ".+")]).flatMap { s in
            try s.chunks.map { try b.chunks.chunk($0.ref).encoding }
        }
        #expect(Set(encodings) == [4, 5, 6])
    }
}

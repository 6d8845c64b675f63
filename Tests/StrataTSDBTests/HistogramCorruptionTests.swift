import Testing
import StrataCore
@testable import StrataTSDB

@Suite struct HistogramCorruptionTests {
    /// Decodes `data` with the iterator of `float`'s encoding; the error, if any.
    func decode(_ data: [UInt8], float: Bool) -> (samples: Int, error: DecodeError?) {
        data.withUnsafeBytes { buf in
            var n = 0
            do {
                if float {
                    var it = try FloatHistogramChunkIterator(buf)
                    var h = FloatHistogram()
                    while try it.next() { it.read(into: &h); n += 1 }
                } else {
                    var it = try HistogramChunkIterator(buf)
                    var h = Histogram()
                    while try it.next() { it.read(into: &h); n += 1 }
                }
                return (n, nil)
            } catch {
                return (n, error as? DecodeError ?? .invalid(offset: -1, "\(error)"))
            }
        }
    }

    func offset(_ e: DecodeError) -> Int {
        switch e {
        case .truncated(let o), .badVarint(let o), .invalid(let o, _): return o
        }
    }

    /// A few thousand mutated chunks (flipped bits, cut tails, inflated sample counts,
    /// bytes overwritten with 0xFF) of both encodings: decoding ends with samples or an
    /// error whose offset lies inside the chunk, never a crash or a hang.
    @Test func mutatedChunksFailCleanly() throws {
        var sources: [(data: [UInt8], float: Bool)] = []
        for seed in UInt64(1)...6 {
            var g = HistogramSeriesGen(seed: seed, gauge: seed == 3, custom: seed == 4)
            var ints = HistogramChunkSequence(), floats = FloatHistogramChunkSequence()
            for _ in 0..<150 {
                let (t, h) = g.next()
                try ints.append(t, h)
                try floats.append(t, h.toFloat())
            }
            sources += ints.finish().map { ($0.data, false) } + floats.finish().map { ($0.data, true) }
        }
        var rng = HistRNG(42)
        var failures = 0
        for i in 0..<4000 {
            let src = sources[i % sources.count]
            var d = src.data
            switch rng.int(5) {
            case 0:
                for _ in 0..<(1 + rng.int(4)) { let b = rng.int(d.count * 8); d[b / 8] ^= 1 << UInt8(b % 8) }
            case 1:
                d.removeLast(rng.int(d.count))
            case 2:
                d[0] = 0xFF; d[1] = 0xFF
            case 3:
                // Inside the layout: absurd span and bucket counts.
                for k in 3..<min(d.count, 3 + 1 + rng.int(6)) { d[k] = 0xFF }
            default:
                let at = 3 + rng.int(max(1, d.count - 3))
                if at < d.count { d[at] = UInt8(truncatingIfNeeded: rng.next()) }
            }
            let r = decode(d, float: src.float)
            if let e = r.error {
                failures += 1
                #expect(offset(e) >= 0 && offset(e) <= d.count, "offset \(offset(e)) outside \(d.count) bytes")
            }
        }
        #expect(failures > 500)
        // Unmutated chunks decode.
        for s in sources { #expect(decode(s.data, float: s.float).error == nil) }
    }

    @Test func absurdSpanCountIsRefusedBeforeAllocating() {
        var w = BitWriter()
        w.write(1, 16); w.writeByte(0)
        w.putZeroThreshold(0)
        w.putVarbitInt(0)
        w.putVarbitUint(1 << 40)  // a trillion positive spans in a 20-byte chunk
        let bytes = w.finished + [UInt8](repeating: 0, count: 8)
        let r = decode(bytes, float: false)
        #expect("\(r.error!)".contains("spans, more than its data can hold"))
        var v = BitWriter()
        v.write(1, 16); v.writeByte(0)
        v.putZeroThreshold(0)
        v.putVarbitInt(0)
        v.putVarbitUint(1)
        v.putVarbitUint(UInt64(UInt32.max))  // one span of 4 billion buckets
        v.putVarbitInt(0)
        let r2 = decode(v.finished + [0, 0, 0], float: true)
        #expect("\(r2.error!)".contains("more than its data can hold"))
        let r3 = decode([0, 1], float: false)
        #expect(r3.error == .truncated(offset: 2))
    }
}

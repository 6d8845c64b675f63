import StrataCore
import StrataPromQL
@testable import StrataQuery
import StrataStoreAPI
import StrataTSDB
import Testing

/// Chunks from the stores into the engine's columns: the one-allocation path for raw XOR
/// chunks in time order trims exactly like the general path, and fails on corrupt data.
@Suite struct SeriesDecodingTests {
    static func chunks(_ n: Int, from t0: Int64, gapEvery: Int = 0) -> ([Thanos_AggrChunk], [Int64], [Double]) {
        var out: [Thanos_AggrChunk] = [], ts: [Int64] = [], vs: [Double] = []
        var t = t0
        for c in 0..<n {
            var a = XORAppender()
            let first = t
            for i in 0..<120 {
                t += 15_000 + Int64(i % 3)
                let v = Double(c * 1000 + i) / 3
                a.append(t, v)
                ts.append(t)
                vs.append(v)
            }
            var ch = Thanos_AggrChunk()
            ch.minTime = first + 15_000
            ch.maxTime = t
            ch.raw = Thanos_Chunk.xor(a.bytes)
            out.append(ch)
            if gapEvery > 0 && c % gapEvery == 0 { t += 3_600_000 }
        }
        return (out, ts, vs)
    }

    @Test func sortedChunksTrimLikeTheGeneralPath() throws {
        let (chunks, ts, vs) = Self.chunks(6, from: 1_000_000, gapEvery: 2)
        let labels = Labels(["__name__": "x"])
        for (lo, hi) in [(Int64.min, Int64.max), (ts[5], ts[600]), (ts[130] + 1, ts[250] - 1), (ts[0] - 10, ts[0]),
                         (ts.last!, .max), (ts.last! + 1, .max), (ts[400], ts[399])] {
            let got = try SeriesDecoding.decode(chunks, aggregates: [], labels: labels, minTime: lo, maxTime: hi)
            let keep = ts.indices.filter { ts[$0] >= lo && ts[$0] <= hi }
            #expect(got.timestamps == keep.map { ts[$0] }, "[\(lo), \(hi)]")
            #expect(got.values.map(\.bitPattern) == keep.map { vs[$0].bitPattern }, "[\(lo), \(hi)]")
        }
        // Overlapping chunks take the general path (a sorted union, first taken wins).
        let twice = try SeriesDecoding.decode(chunks + chunks, aggregates: [], labels: labels)
        #expect(twice.timestamps == ts)
    }

    @Test func corruptChunkFails() throws {
        var (chunks, _, _) = Self.chunks(3, from: 0)
        var bytes = Array(chunks[1].raw.data)
        bytes.removeLast(bytes.count / 2)
        chunks[1].raw = Thanos_Chunk.xor(bytes)
        #expect(throws: SeriesDecoding.Failure.self) {
            try SeriesDecoding.decode(chunks, aggregates: [], labels: Labels(["__name__": "x"]))
        }
    }
}

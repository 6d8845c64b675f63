import StrataCore
import StrataTSDB

/// Thanos-compatible downsampling (chunk-encodings.md §4): raw → 5m and 5m → 1h AggrChunks
/// holding count, sum, min, max and a reset-corrected counter per window. The output must
/// equal Thanos's bit for bit so either system can read the other's downsampled blocks.
public enum Downsample {
    public static let resolution5m: Int64 = 300_000
    public static let resolution1h: Int64 = 3_600_000
    static let maxSamplesPerChunk = 140

    /// Last millisecond of the aligned window `[k·r, (k+1)·r)` holding `t`.
    @inline(__always)
    static func windowEnd(_ t: Int64, _ r: Int64) -> Int64 { t - (t % r) + r - 1 }

    /// How many output chunks a series should get, so chunks hold about 140 samples.
    static func targetChunkCount(_ mint: Int64, _ maxt: Int64, inRes: Int64, outRes: Int64, count: Int) -> Int {
        let maxSamples = Double((maxt - mint) / outRes)
        var fullness = 0.0
        if maxt > mint { fullness = min(1, Double(count) / (Double(maxt - mint) / Double(inRes))) }
        let expected = Int(maxSamples * fullness) + 1
        var x = 1
        while expected / x > maxSamplesPerChunk { x += 1 }
        return x
    }

    /// Window state of one batch (Thanos's `aggregator`).
    struct Aggregator {
        var total = 0
        var count = 0
        var sum = 0.0
        var min = Double.greatestFiniteMagnitude
        var max = -Double.greatestFiniteMagnitude
        var counter = 0.0
        var last = 0.0

        mutating func reset() {
            count = 0
            sum = 0
            min = .greatestFiniteMagnitude
            max = -.greatestFiniteMagnitude
        }

        mutating func add(_ v: Double) {
            if total > 0 {
                counter += v < last ? v : v - last
            } else {
                counter = v
            }
            last = v
            sum += v
            count += 1
            total += 1
            if v < min { min = v }
            if v > max { max = v }
        }
    }

    /// Appenders for the five aggregates of one output chunk.
    struct ChunkBuilder {
        var apps = [XORAppender](repeating: XORAppender(), count: 5)
        var mint = Int64.max
        var maxt = Int64.min

        mutating func emit(_ t: Int64, count: Double, sum: Double, min: Double, max: Double, counter: Double) {
            if t < mint { mint = t }
            if t > maxt { maxt = t }
            apps[AggrType.sum.rawValue].append(t, sum)
            apps[AggrType.min.rawValue].append(t, min)
            apps[AggrType.max.rawValue].append(t, max)
            apps[AggrType.count.rawValue].append(t, count)
            apps[AggrType.counter.rawValue].append(t, counter)
        }

        func encode() -> EncodedChunk {
            let ag = AggrChunk(parts: apps.map { $0.count > 0 ? $0.bytes : nil })
            return EncodedChunk(encoding: .aggr, data: ag.encoded, minTime: mint, maxTime: maxt,
                                numSamples: apps[AggrType.count.rawValue].count)
        }
    }

    /// Raw samples of one series (all its chunks, in order) → AggrChunks at `resolution`.
    public static func raw(timestamps ts0: [Int64], values vs0: [Double], resolution: Int64) -> [EncodedChunk] {
        // Stale markers are dropped, and so is any sample older than the one before it.
        var ts: [Int64] = [], vs: [Double] = []
        ts.reserveCapacity(ts0.count)
        vs.reserveCapacity(vs0.count)
        var lastT: Int64 = 0
        for i in 0..<ts0.count where !isStaleNaN(vs0[i]) {
            if ts0[i] >= lastT {
                ts.append(ts0[i])
                vs.append(vs0[i])
            }
            lastT = ts0[i]
        }
        guard let first = ts.first, let last = ts.last else { return [] }
        let n = targetChunkCount(first, last, inRes: 60_000, outRes: resolution, count: ts.count)
        let batchSize = ts.count / n + 1
        var out: [EncodedChunk] = []
        var start = 0
        while start < ts.count {
            var j = min(start + batchSize, ts.count)
            let w = windowEnd(ts[j - 1], resolution)
            while j < ts.count && ts[j] <= w { j += 1 }
            var b = ChunkBuilder()
            b.apps[AggrType.counter.rawValue].append(ts[start], vs[start])
            let lastWindow = downsampleBatch(ts, vs, start..<j, resolution, &b)
            b.apps[AggrType.counter.rawValue].append(lastWindow, vs[j - 1])
            out.append(b.encode())
            start = j
        }
        return out
    }

    /// The window loop over one batch; returns the last window's timestamp.
    static func downsampleBatch(_ ts: [Int64], _ vs: [Double], _ range: Range<Int>, _ r: Int64, _ b: inout ChunkBuilder) -> Int64 {
        var a = Aggregator()
        var nextT: Int64 = -1
        let lastT = ts[range.upperBound - 1]
        for i in range {
            let v = vs[i]
            if isStaleNaN(v) { continue }
            if ts[i] > nextT {
                if nextT != -1 {
                    b.emit(nextT, count: Double(a.count), sum: a.sum, min: a.min, max: a.max, counter: a.counter)
                }
                a.reset()
                nextT = min(windowEnd(ts[i], r), lastT)
            }
            a.add(v)
        }
        b.emit(nextT, count: Double(a.count), sum: a.sum, min: a.min, max: a.max, counter: a.counter)
        return nextT
    }
}

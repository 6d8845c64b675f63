import StrataCore
@testable import StrataTSDB

/// Deterministic generator (SplitMix64) so every run sees the same data.
struct HistRNG {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func int(_ n: Int) -> Int { Int(next() % UInt64(max(1, n))) }
    mutating func chance(_ p: Double) -> Bool { Double(next() % 1_000_000) / 1_000_000 < p }
}

/// Bucket index → absolute count for non-empty buckets: what a histogram means, however
/// its spans are laid out (recoding adds empty buckets).
func bucketMap(_ spans: [HistogramSpan], _ counts: [Double]) -> [Int32: Double] {
    var out: [Int32: Double] = [:]
    var idx: Int32 = 0, k = 0
    for (j, s) in spans.enumerated() {
        idx = j == 0 ? s.offset : idx &+ s.offset
        for _ in 0..<s.length where k < counts.count {
            if counts[k] != 0 { out[idx] = counts[k] }
            k += 1
            idx &+= 1
        }
    }
    return out
}

func sameMeaning(_ a: FloatHistogram, _ b: FloatHistogram) -> Bool {
    if a.sum.bitPattern == staleNaNBits || b.sum.bitPattern == staleNaNBits { return a.sum.bitPattern == b.sum.bitPattern }
    return a.schema == b.schema && a.zeroThreshold == b.zeroThreshold && a.zeroCount == b.zeroCount && a.count == b.count
        && a.sum.bitPattern == b.sum.bitPattern && a.customValues == b.customValues
        && bucketMap(a.positiveSpans, a.positiveBuckets) == bucketMap(b.positiveSpans, b.positiveBuckets)
        && bucketMap(a.negativeSpans, a.negativeBuckets) == bucketMap(b.negativeSpans, b.negativeBuckets)
}

/// A counter histogram series that grows like a real one: buckets fill up, new buckets
/// appear at both ends and in gaps (recoding), and every so often the counter resets, the
/// schema or zero threshold changes, or a stale marker comes.
struct HistogramSeriesGen {
    var rng: HistRNG
    var schema: Int32 = 0
    var zeroThreshold = 0x1p-128
    var gauge = false
    var customValues: [Double] = []
    var pos: [Int32: Int64] = [:]
    var neg: [Int32: Int64] = [:]
    var zero: UInt64 = 0
    var sum = 0.0
    var t: Int64 = 1_700_000_000_000

    init(seed: UInt64, gauge: Bool = false, custom: Bool = false) {
        rng = HistRNG(seed)
        self.gauge = gauge
        if custom { schema = -53; customValues = [0.005, 0.1, 1, 2.5, 10]; zeroThreshold = 0 }
    }

    static func spans(_ m: [Int32: Int64]) -> ([HistogramSpan], [Int64]) {
        var spans: [HistogramSpan] = []
        var deltas: [Int64] = []
        var prev: Int64 = 0
        var lastIdx: Int32 = 0
        for k in m.keys.sorted() {
            if spans.isEmpty {
                spans.append(HistogramSpan(offset: k, length: 1))
            } else if k == lastIdx + 1 {
                spans[spans.count - 1].length += 1
            } else {
                spans.append(HistogramSpan(offset: k - lastIdx - 1, length: 1))
            }
            lastIdx = k
            deltas.append(m[k]! - prev)
            prev = m[k]!
        }
        return (spans, deltas)
    }

    mutating func next() -> (Int64, Histogram) {
        t += 15_000 + Int64(rng.int(3)) - 1
        if rng.chance(0.01) {
            return (t, Histogram(sum: Double(bitPattern: staleNaNBits)))
        }
        if !gauge && rng.chance(0.03) { pos = [:]; neg = [:]; zero = 0; sum = 0 }  // counter reset
        if schema != -53 && rng.chance(0.02) { schema = Int32(rng.int(13)) - 4; pos = [:]; neg = [:] }
        if schema != -53 && rng.chance(0.01) { zeroThreshold = [0, 0x1p-128, 0.001, 1][rng.int(4)] }
        let range = schema == -53 ? Int32(customValues.count + 1) : 20
        let lo: Int32 = schema == -53 ? 0 : -10
        for _ in 0..<(1 + rng.int(6)) {
            let idx = lo + Int32(rng.int(Int(range)))
            let add = Int64(rng.int(gauge ? 9 : 5)) - (gauge ? 4 : 0)
            pos[idx, default: 0] = max(0, pos[idx, default: 0] + add)
            if schema != -53 && rng.chance(0.4) {
                let j = Int32(rng.int(12)) - 6
                neg[j, default: 0] = max(0, neg[j, default: 0] + Int64(rng.int(3)))
            }
            sum += Double(add) * 0.37
        }
        if gauge && rng.chance(0.2), let k = pos.keys.min() { pos[k] = nil }
        if schema != -53 { zero += UInt64(rng.int(2)) }
        if rng.chance(0.1), let k = pos.keys.max() { pos[k] = pos[k]! }  // keep a bucket as is
        let (ps, pd) = HistogramSeriesGen.spans(pos)
        let (ns, nd) = HistogramSeriesGen.spans(neg)
        let count = pos.values.reduce(0, +) + neg.values.reduce(0, +) + Int64(zero)
        return (t, Histogram(counterResetHint: gauge ? .gauge : .unknown, schema: schema,
                             zeroThreshold: schema == -53 ? 0 : zeroThreshold, zeroCount: schema == -53 ? 0 : zero,
                             count: UInt64(count), sum: sum, positiveSpans: ps, negativeSpans: ns,
                             positiveBuckets: pd, negativeBuckets: nd, customValues: customValues))
    }
}

import StrataCore
import StrataTSDB

/// The native twin of a demo pod's classic `http_request_duration_seconds` histogram
/// (`strata block gen --native-histograms`): the same observations, kept in exponential
/// buckets of schema 3 (factor 2^(1/8)) the way a Prometheus client with native histograms
/// would expose them, so native and classic can be compared on the same data.
struct DemoNativeHistogram {
    static let schema: Int32 = 3
    /// Bucket index (schema 3) of each classic bucket's representative latency.
    static let midIndex: [Int32] = DemoDataGenerator.bucketMid.map { Int32((log2($0) * 8).rounded(.up)) }

    var buckets: [Int32: Int64] = [:]
    var count: UInt64 = 0
    var sum: Double = 0

    /// `n` observations around classic bucket `i`'s latency: a quarter one native bucket
    /// below, half at it, the rest one above (deterministic, integer counts).
    mutating func observe(classicBucket i: Int, count n: Double, sum s: Double) {
        let total = Int64(n)
        guard total > 0 else { return }
        let low = total / 4, mid = total / 2
        let idx = Self.midIndex[i]
        buckets[idx - 1, default: 0] += low
        buckets[idx, default: 0] += mid
        buckets[idx + 1, default: 0] += total - low - mid
        count += UInt64(total)
        sum += s
    }

    /// The histogram sample: one span per run of buckets (gaps of up to two empty buckets
    /// filled, as client_golang does), delta-encoded counts.
    var sample: Histogram {
        var spans: [HistogramSpan] = []
        var deltas: [Int64] = []
        var prevIdx: Int32? = nil
        var prevCount: Int64 = 0
        for idx in buckets.keys.sorted() {
            if let p = prevIdx, idx - p <= 3 {
                for _ in 0..<(idx - p - 1) {
                    spans[spans.count - 1].length += 1
                    deltas.append(-prevCount)
                    prevCount = 0
                }
                spans[spans.count - 1].length += 1
            } else {
                spans.append(HistogramSpan(offset: prevIdx.map { idx - $0 - 1 } ?? idx, length: 1))
            }
            let c = buckets[idx]!
            deltas.append(c - prevCount)
            prevCount = c
            prevIdx = idx
        }
        return Histogram(schema: Self.schema, zeroThreshold: 2.938735877055719e-39, count: count, sum: sum,
                         positiveSpans: spans, positiveBuckets: deltas)
    }
}

/// log2 without Foundation (the generator's table only).
private func log2(_ x: Double) -> Double {
    var e = 0.0
    var m = x
    while m >= 2 { m /= 2; e += 1 }
    while m < 1 { m *= 2; e -= 1 }
    // ln(m)/ln(2) by the series of atanh for m in [1, 2).
    let y = (m - 1) / (m + 1), y2 = y * y
    var term = y, s = 0.0
    for k in 0..<30 { s += term / Double(2 * k + 1); term *= y2 }
    return e + 2 * s / 0.6931471805599453
}

import StrataCore
@testable import StrataTSDB

/// A sample as text that is equal exactly when two samples mean the same: floats by bit
/// pattern (stale markers and NaNs included), histograms by kind, schema, zero bucket,
/// count, sum and non-empty buckets (chunk re-cutting may add empty buckets to a layout).
func canonical(_ v: SampleValue) -> String {
    switch v {
    case .float(let f): return "F \(GoFloat.g(f)) \(String(f.bitPattern, radix: 16))"
    case .histogram(let h): return "H " + canonical(h.toFloat())
    case .floatHistogram(let h): return "FH " + canonical(h)
    }
}

func canonical(_ h: FloatHistogram) -> String {
    if isStaleNaN(h.sum) { return "stale" }
    func buckets(_ m: [Int32: Double]) -> String { m.keys.sorted().map { "\($0):\(GoFloat.g(m[$0]!))" }.joined(separator: ",") }
    return "s\(h.schema) zt\(GoFloat.g(h.zeroThreshold)) zc\(GoFloat.g(h.zeroCount)) c\(GoFloat.g(h.count)) sum\(String(h.sum.bitPattern, radix: 16))"
        + " +[\(buckets(bucketMap(h.positiveSpans, h.positiveBuckets)))] -[\(buckets(bucketMap(h.negativeSpans, h.negativeBuckets)))]"
}

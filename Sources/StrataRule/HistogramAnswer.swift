import Foundation
import StrataCore

/// A native histogram sample of the query API's JSON turned back into a `FloatHistogram`
/// the head can append. The JSON gives each bucket's bounds, not its index: for exponential
/// schemas the schema follows from any bucket's upper/lower ratio (2^(2^-schema)) and each
/// index from its upper bound, and both are checked against Prometheus's exact bounds. The
/// zero bucket is the one spanning zero; a histogram without one gets Prometheus's default
/// zero threshold (the JSON leaves an empty zero bucket out). Custom-bucket histograms
/// (schema -53) cannot be told from their bounds alone and are refused.
enum HistogramAnswer {
    struct Unsupported: Error, CustomStringConvertible {
        let description: String
    }

    static let defaultZeroThreshold = 2.938735877055719e-39
    static let customBuckets = "native histogram with custom buckets: not recordable from the query API's JSON"

    static func floatHistogram(_ json: JSONValue?) throws -> FloatHistogram {
        guard let h = json, let count = number(h["count"]), let sum = number(h["sum"]) else {
            throw Unsupported(description: "malformed native histogram in the query answer")
        }
        var out = FloatHistogram(zeroThreshold: defaultZeroThreshold, count: count, sum: sum)
        var positive: [(Int32, Double)] = [], negative: [(Int32, Double)] = []
        var buckets: [(lo: Double, hi: Double, count: Double, positive: Bool)] = []
        for b in h["buckets"]?.arrayValue ?? [] {
            guard let a = b.arrayValue, a.count == 4, let lower = number(a[1]), let upper = number(a[2]), let n = number(a[3]) else {
                throw Unsupported(description: "malformed native histogram bucket in the query answer")
            }
            if lower <= 0 && upper >= 0 && lower == -upper {
                out.zeroThreshold = upper
                out.zeroCount = n
            } else {
                buckets.append(upper > 0 ? (lower, upper, n, true) : (-upper, -lower, n, false))
            }
        }
        // The bucket next to the zero bucket has its lower bound raised to the zero threshold
        // (a smaller ratio, a larger inferred schema): the smallest inferred schema is the one.
        var schema: Int32?
        for b in buckets where b.lo > 0 && b.hi > b.lo {
            let s = try inferSchema(b.lo, b.hi)
            schema = min(schema ?? s, s)
        }
        if !buckets.isEmpty && schema == nil { throw Unsupported(description: customBuckets) }
        for b in buckets {
            let idx = try index(upper: b.hi, lower: b.lo, schema: schema ?? 0)
            if b.positive { positive.append((idx, b.count)) } else { negative.append((idx, b.count)) }
        }
        out.schema = schema ?? 0
        (out.positiveSpans, out.positiveBuckets) = spans(positive.sorted { $0.0 < $1.0 })
        (out.negativeSpans, out.negativeBuckets) = spans(negative.sorted { $0.0 < $1.0 })
        return out
    }

    static func number(_ v: JSONValue?) -> Double? {
        switch v?.stringValue {
        case "NaN"?: return .nan
        case "+Inf"?: return .infinity
        case "-Inf"?: return -.infinity
        case let s?: return Double(s)
        case nil: return nil
        }
    }

    static func inferSchema(_ lower: Double, _ upper: Double) throws -> Int32 {
        guard lower > 0, upper > lower else { throw Unsupported(description: customBuckets) }
        let s = Int32((-log2(log2(upper / lower))).rounded())
        guard (-4...8).contains(s) else { throw Unsupported(description: customBuckets) }
        return s
    }

    /// The bucket index whose exact upper bound is `upper`; its lower bound is the previous
    /// bucket's upper bound, or above it where the zero bucket cuts the bucket.
    static func index(upper: Double, lower: Double, schema: Int32) throws -> Int32 {
        let guess = Int32((log2(upper) * pow(2, Double(schema))).rounded())
        for i in [guess, guess - 1, guess + 1]
        where HistogramBounds.bound(i, schema: schema) == upper && HistogramBounds.bound(i - 1, schema: schema) <= lower {
            return i
        }
        throw Unsupported(description: customBuckets)
    }

    /// Prometheus's span layout for buckets in index order: a new span at every gap.
    static func spans(_ buckets: [(Int32, Double)]) -> ([HistogramSpan], [Double]) {
        var spans: [HistogramSpan] = []
        var prev: Int32?
        for (i, _) in buckets {
            if let p = prev, i == p + 1 {
                spans[spans.count - 1].length += 1
            } else {
                spans.append(HistogramSpan(offset: prev.map { i - $0 - 1 } ?? i, length: 1))
            }
            prev = i
        }
        return (spans, buckets.map(\.1))
    }
}

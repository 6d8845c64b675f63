/// One run of consecutive buckets of a native histogram (Prometheus `histogram.Span`):
/// `offset` is the gap in bucket indices to the end of the previous span (for the first
/// span, the index of its first bucket), `length` the number of buckets in the run.
public struct HistogramSpan: Sendable, Hashable {
    public var offset: Int32
    public var length: UInt32

    public init(offset: Int32, length: UInt32) {
        self.offset = offset
        self.length = length
    }
}

/// What a histogram sample says about counter resets since the previous sample
/// (Prometheus `histogram.CounterResetHint`). Raw values are Prometheus's.
public enum CounterResetHint: UInt8, Sendable, Hashable {
    /// Nothing is known; readers must compare with the previous sample.
    case unknown = 0
    case counterReset = 1
    case notCounterReset = 2
    /// A gauge histogram: it may go up and down, counter resets do not apply.
    case gauge = 3
}

/// Schema bounds (Prometheus `model/histogram`). Exponential schemas -4…8 are in use;
/// -9…52 are reserved for exponential schemas (8 < s ≤ 52 is read back at schema 8);
/// -53 means custom bucket bounds (NHCB), carried in `customValues`.
public enum HistogramSchema {
    public static let exponentialMin: Int32 = -4
    public static let exponentialMax: Int32 = 8
    public static let exponentialMinReserved: Int32 = -9
    public static let exponentialMaxReserved: Int32 = 52
    public static let customBuckets: Int32 = -53

    @inlinable public static func isCustomBuckets(_ s: Int32) -> Bool { s == customBuckets }
    @inlinable public static func isExponential(_ s: Int32) -> Bool { s >= exponentialMin && s <= exponentialMax }
    /// What a decoder accepts: custom buckets or any reserved exponential schema.
    @inlinable public static func isKnown(_ s: Int32) -> Bool {
        s == customBuckets || (s >= exponentialMinReserved && s <= exponentialMaxReserved)
    }
}

/// An integer native histogram sample, laid out as Prometheus's `histogram.Histogram`
/// (and as histogram chunks store it): bucket counts are deltas, each relative to the
/// previous bucket of the same sign (the first relative to 0), so a smooth distribution
/// encodes in few bits. Use `toFloat()` for absolute counts.
public struct Histogram: Sendable, Hashable {
    public var counterResetHint: CounterResetHint
    public var schema: Int32
    /// Width of the zero bucket: observations with |v| ≤ zeroThreshold count in `zeroCount`.
    public var zeroThreshold: Double
    public var zeroCount: UInt64
    public var count: UInt64
    public var sum: Double
    public var positiveSpans: [HistogramSpan]
    public var negativeSpans: [HistogramSpan]
    /// Delta-encoded bucket counts, one per bucket covered by the spans.
    public var positiveBuckets: [Int64]
    public var negativeBuckets: [Int64]
    /// Upper bounds of the custom buckets (schema -53 only), ascending, without +Inf.
    public var customValues: [Double]

    public init(counterResetHint: CounterResetHint = .unknown, schema: Int32 = 0, zeroThreshold: Double = 0,
                zeroCount: UInt64 = 0, count: UInt64 = 0, sum: Double = 0,
                positiveSpans: [HistogramSpan] = [], negativeSpans: [HistogramSpan] = [],
                positiveBuckets: [Int64] = [], negativeBuckets: [Int64] = [], customValues: [Double] = []) {
        self.counterResetHint = counterResetHint
        self.schema = schema
        self.zeroThreshold = zeroThreshold
        self.zeroCount = zeroCount
        self.count = count
        self.sum = sum
        self.positiveSpans = positiveSpans
        self.negativeSpans = negativeSpans
        self.positiveBuckets = positiveBuckets
        self.negativeBuckets = negativeBuckets
        self.customValues = customValues
    }

    public var usesCustomBuckets: Bool { HistogramSchema.isCustomBuckets(schema) }

    /// The same histogram with absolute float counts (Prometheus `Histogram.ToFloat`: the
    /// running sum is kept in floating point; custom-bucket histograms drop the zero and
    /// negative parts, which they cannot have).
    public func toFloat() -> FloatHistogram {
        var f = FloatHistogram(counterResetHint: counterResetHint, schema: schema, count: Double(count), sum: sum,
                               positiveSpans: positiveSpans)
        f.positiveBuckets = Histogram.absolute(positiveBuckets)
        if usesCustomBuckets {
            f.customValues = customValues
        } else {
            f.zeroThreshold = zeroThreshold
            f.zeroCount = Double(zeroCount)
            f.negativeSpans = negativeSpans
            f.negativeBuckets = Histogram.absolute(negativeBuckets)
        }
        return f
    }

    static func absolute(_ deltas: [Int64]) -> [Double] {
        var out = [Double](repeating: 0, count: deltas.count)
        var cur = 0.0
        for i in deltas.indices {
            cur += Double(deltas[i])
            out[i] = cur
        }
        return out
    }
}

extension Array where Element == HistogramSpan {
    /// Number of buckets the spans cover.
    @inlinable public var bucketCount: Int {
        var n = 0
        for s in self { n += Int(s.length) }
        return n
    }
}

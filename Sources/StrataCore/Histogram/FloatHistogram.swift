/// A float native histogram sample (Prometheus `histogram.FloatHistogram`): bucket counts
/// are absolute. This is what PromQL computes with and what the test notation describes.
public struct FloatHistogram: Sendable, Hashable {
    public var counterResetHint: CounterResetHint
    public var schema: Int32
    public var zeroThreshold: Double
    public var zeroCount: Double
    public var count: Double
    public var sum: Double
    public var positiveSpans: [HistogramSpan]
    public var negativeSpans: [HistogramSpan]
    public var positiveBuckets: [Double]
    public var negativeBuckets: [Double]
    /// Upper bounds of the custom buckets (schema -53 only), ascending, without +Inf.
    public var customValues: [Double]

    public init(counterResetHint: CounterResetHint = .unknown, schema: Int32 = 0, zeroThreshold: Double = 0,
                zeroCount: Double = 0, count: Double = 0, sum: Double = 0,
                positiveSpans: [HistogramSpan] = [], negativeSpans: [HistogramSpan] = [],
                positiveBuckets: [Double] = [], negativeBuckets: [Double] = [], customValues: [Double] = []) {
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

    /// Every bucket with its boundaries in Prometheus's `AllBucketIterator` order: negative
    /// buckets from most negative up, the zero bucket (only when its count is above 0),
    /// then positive buckets. Buckets reaching into the zero bucket are clipped at its edges
    /// (as Prometheus 3 does; the first custom bucket keeps its -Inf lower bound).
    /// Empty buckets inside spans are included (the HTTP API skips them).
    public func allBuckets() -> [HistogramBucket] {
        var out: [HistogramBucket] = []
        let neg = HistogramBucket.walk(negativeSpans, negativeBuckets)
        for (idx, c) in neg.reversed() {
            var upper = -HistogramBounds.bound(idx - 1, schema: schema, customValues: customValues)
            if upper < 0 && upper > -zeroThreshold { upper = -zeroThreshold }
            out.append(HistogramBucket(lower: -HistogramBounds.bound(idx, schema: schema, customValues: customValues),
                                       upper: upper, lowerInclusive: true, upperInclusive: false, count: c, index: idx))
        }
        if zeroCount > 0 {
            out.append(HistogramBucket(lower: -zeroThreshold, upper: zeroThreshold, lowerInclusive: true,
                                       upperInclusive: true, count: zeroCount, index: 0))
        }
        for (idx, c) in HistogramBucket.walk(positiveSpans, positiveBuckets) {
            var lower = HistogramBounds.bound(idx - 1, schema: schema, customValues: customValues)
            if lower > 0 && lower < zeroThreshold { lower = zeroThreshold }
            out.append(HistogramBucket(lower: lower, upper: HistogramBounds.bound(idx, schema: schema, customValues: customValues),
                                       lowerInclusive: false, upperInclusive: true, count: c, index: idx))
        }
        return out
    }
}

/// One bucket of a histogram with its boundaries (Prometheus `histogram.Bucket`).
public struct HistogramBucket: Sendable, Hashable {
    public var lower: Double
    public var upper: Double
    public var lowerInclusive: Bool
    public var upperInclusive: Bool
    public var count: Double
    /// Bucket index in the schema (0 for the zero bucket).
    public var index: Int32

    /// The HTTP API's boundary rule: 0 left-open, 1 right-open, 2 open, 3 closed.
    public var boundaryRule: Int {
        switch (lowerInclusive, upperInclusive) {
        case (true, true): return 3
        case (true, false): return 1
        case (false, true): return 0
        case (false, false): return 2
        }
    }

    /// (bucket index, count) for each bucket the spans cover (spans and counts must agree).
    public static func walk(_ spans: [HistogramSpan], _ counts: [Double]) -> [(Int32, Double)] {
        var out: [(Int32, Double)] = []
        var idx: Int32 = 0
        var k = 0
        for (i, s) in spans.enumerated() {
            idx = i == 0 ? s.offset : idx &+ s.offset
            for _ in 0..<s.length {
                guard k < counts.count else { return out }
                out.append((idx, counts[k]))
                k += 1
                idx &+= 1
            }
        }
        return out
    }
}

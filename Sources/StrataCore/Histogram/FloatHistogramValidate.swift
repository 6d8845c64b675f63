/// Consistency checks of a float histogram (Prometheus `FloatHistogram.Validate`), with the
/// messages Prometheus wraps its errors in, so that logs and API errors read the same.
public struct HistogramValidationError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case invalidSchema, negativeSpanOffset, spansBucketsMismatch, negativeBucketCount, negativeCount
        case customBoundsNaN, customBoundsNotIncreasing, customBoundsInfinite, customBoundsTooFew
        case customBucketsZeroCount, customBucketsZeroThreshold, customBucketsNegativeSpans
        case customBucketsNegativeBuckets, exponentialWithCustomBounds
    }

    public var kind: Kind
    public var description: String

    init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }
}

extension FloatHistogram {
    /// Throws `HistogramValidationError` when spans and buckets disagree, a count is negative,
    /// or fields are set that the schema (exponential or custom buckets) does not allow. The
    /// count is not compared with the bucket total: float rounding would give false alarms.
    public func validate() throws {
        typealias E = HistogramValidationError
        if usesCustomBuckets {
            try FloatHistogram.checkCustomBounds(customValues, positiveSpans, positiveBuckets.count)
            if zeroCount != 0 { throw E(.customBucketsZeroCount, "custom buckets: must have zero count of 0") }
            if zeroThreshold != 0 { throw E(.customBucketsZeroThreshold, "custom buckets: must have zero threshold of 0") }
            if !negativeSpans.isEmpty { throw E(.customBucketsNegativeSpans, "custom buckets: must not have negative spans") }
            if !negativeBuckets.isEmpty {
                throw E(.customBucketsNegativeBuckets, "custom buckets: must not have negative buckets")
            }
        } else if HistogramSchema.isExponential(schema) {
            try FloatHistogram.checkSpans(positiveSpans, positiveBuckets.count, side: "positive side: ", firstMayBeNegative: true)
            try FloatHistogram.checkSpans(negativeSpans, negativeBuckets.count, side: "negative side: ", firstMayBeNegative: true)
            try FloatHistogram.checkBuckets(negativeBuckets, side: "negative side: ")
            if zeroCount < 0 {
                throw E(.negativeBucketCount, "zero bucket has observation count of \(GoFloat.g(zeroCount)): "
                    + "histogram has a bucket whose observation count is negative")
            }
            if !customValues.isEmpty {
                throw E(.exponentialWithCustomBounds, "histogram with exponential schema must not have custom bounds")
            }
        } else {
            throw E(.invalidSchema, "histogram has an invalid schema, which must be between \(HistogramSchema.exponentialMin) "
                + "and \(HistogramSchema.exponentialMax) for exponential buckets, or \(HistogramSchema.customBuckets) "
                + "for custom buckets, got schema \(schema)")
        }
        if count < 0 {
            throw E(.negativeCount, "observation count is  \(GoFloat.g(count)): histogram's observation count is negative")
        }
        try FloatHistogram.checkBuckets(positiveBuckets, side: "positive side: ")
    }

    static func checkSpans(_ spans: [HistogramSpan], _ buckets: Int, side: String, firstMayBeNegative: Bool) throws {
        for (n, s) in spans.enumerated() where s.offset < 0 && (n > 0 || !firstMayBeNegative) {
            throw HistogramValidationError(.negativeSpanOffset, "\(side)span number \(n + 1) with offset \(s.offset): "
                + "histogram has a span whose offset is negative")
        }
        let need = spans.bucketCount
        if need != buckets {
            throw HistogramValidationError(.spansBucketsMismatch, "\(side)spans need \(need) buckets, have \(buckets) "
                + "buckets: histogram spans specify different number of buckets than provided")
        }
    }

    static func checkBuckets(_ buckets: [Double], side: String) throws {
        if let i = buckets.firstIndex(where: { $0 < 0 }) {
            throw HistogramValidationError(.negativeBucketCount, "\(side)bucket number \(i + 1) has observation count of "
                + "\(GoFloat.g(buckets[i])): histogram has a bucket whose observation count is negative")
        }
    }

    static func checkCustomBounds(_ bounds: [Double], _ spans: [HistogramSpan], _ buckets: Int) throws {
        typealias E = HistogramValidationError
        let prefix = "custom buckets: "
        var prev = -Double.infinity
        for (i, b) in bounds.enumerated() {
            if b.isNaN { throw E(.customBoundsNaN, prefix + "histogram custom bounds must not be NaN") }
            if i > 0 && b <= prev {
                throw E(.customBoundsNotIncreasing, prefix + "previous bound is \(prev) and current is \(b): "
                    + "histogram custom bounds must be in strictly increasing order")
            }
            prev = b
        }
        if prev == .infinity {
            throw E(.customBoundsInfinite, prefix + "last +Inf bound must not be explicitly defined: "
                + "histogram custom bounds must be finite")
        }
        try checkSpans(spans, buckets, side: prefix, firstMayBeNegative: false)
        let covered = spans.reduce(0) { $0 + Int($1.length) + Int($1.offset) }
        if bounds.count + 1 < covered {
            throw E(.customBoundsTooFew, prefix + "only \(bounds.count) custom bounds defined which is insufficient to "
                + "cover total span length of \(covered): histogram custom bounds are too few")
        }
    }
}

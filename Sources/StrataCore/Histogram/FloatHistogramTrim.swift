import Foundation

/// The 3.14 trim operators: `h </ x` keeps the observations below x, `h >/ x` those above
/// (Prometheus `TrimBuckets`). Buckets straddling x keep the interpolated share of their
/// count; the count and sum are re-estimated from bucket midpoints when anything was cut.
extension FloatHistogram {
    public func trimBuckets(_ rhs: Double, upper: Bool) -> FloatHistogram {
        var h = self
        var newCount = 0.0, newSum = 0.0
        var trimmed = false
        let linear = usesCustomBuckets
        var populated = (positive: false, negative: false)
        for positive in [true, false] {
            var counts = positive ? positiveBuckets : negativeBuckets
            for (i, b) in h.sideBuckets(positive: positive).enumerated() where b.count != 0 {
                if positive { populated.positive = true } else { populated.negative = true }
                let keepAll = upper ? b.upper <= rhs : b.lower >= rhs
                let straddles = upper ? b.lower < rhs : b.upper > rhs
                if keepAll {
                    newCount += b.count
                    newSum += FloatHistogram.midpoint(b.lower, b.upper, positive: positive, linear: linear) * b.count
                } else if straddles {
                    let (keep, mid) = FloatHistogram.bucketTrim(b, rhs, upper: upper, positive: positive, linear: linear)
                    newCount += keep
                    newSum += mid * keep
                    if counts[i] != keep {
                        counts[i] = keep
                        trimmed = true
                    }
                } else {
                    counts[i] = 0
                    trimmed = true
                }
            }
            if positive { h.positiveBuckets = counts } else { h.negativeBuckets = counts }
        }
        if h.zeroCount > 0 {
            let (keep, mid) = zeroBucketTrim(rhs, hasNegative: populated.negative, hasPositive: populated.positive,
                                             upper: upper)
            if h.zeroCount != keep {
                h.zeroCount = keep
                trimmed = true
            }
            newSum += mid * keep
            newCount += keep
        }
        if trimmed {
            h.count = newCount
            h.sum = newSum
            h.compact(maxEmptyBuckets: 0)
        }
        return h
    }

    /// One side's buckets with their bounds as Go's positive/negative bucket iterators give
    /// them (not clipped at the zero threshold, unlike `allBuckets`), in array order.
    func sideBuckets(positive: Bool) -> [HistogramBucket] {
        HistogramBucket.walk(positive ? positiveSpans : negativeSpans, positive ? positiveBuckets : negativeBuckets).map { idx, c in
            let hi = HistogramBounds.bound(idx, schema: schema, customValues: positive ? customValues : [])
            let lo = HistogramBounds.bound(idx &- 1, schema: schema, customValues: positive ? customValues : [])
            return positive
                ? HistogramBucket(lower: lo, upper: hi, lowerInclusive: false, upperInclusive: true, count: c, index: idx)
                : HistogramBucket(lower: -hi, upper: -lo, lowerInclusive: true, upperInclusive: false, count: c, index: idx)
        }
    }

    /// Share and midpoint of the zero bucket kept by a trim (Go `computeZeroBucketTrim`); the
    /// zero bucket counts as [0, t] or [-t, 0] when only one side has populated buckets.
    func zeroBucketTrim(_ rhs: Double, hasNegative: Bool, hasPositive: Bool, upper isUpper: Bool) -> (Double, Double) {
        var lower = -zeroThreshold, upper = zeroThreshold
        if hasNegative && !hasPositive { upper = 0 }
        if hasPositive && !hasNegative { lower = 0 }
        if isUpper {
            if rhs <= lower { return (0, 0) }
            if rhs >= upper { return (zeroCount, (lower + upper) / 2) }
            return (zeroCount * (rhs - lower) / (upper - lower), (lower + rhs) / 2)
        }
        if rhs <= lower { return (zeroCount, (lower + upper) / 2) }
        if rhs >= upper { return (0, 0) }
        return (zeroCount * (upper - rhs) / (upper - lower), (rhs + upper) / 2)
    }

    /// Kept share and its midpoint for a bucket containing the trim point (Go `computeBucketTrim`).
    static func bucketTrim(_ b: HistogramBucket, _ rhs: Double, upper: Bool, positive: Bool, linear: Bool) -> (Double, Double) {
        if b.lower == -.infinity || b.upper == .infinity { return infiniteBucketTrim(b, rhs, upper: upper) }
        let below = rhs <= b.lower ? 0 : rhs >= b.upper ? b.count : b.count * b.fractionBelow(rhs, linear: linear)
        if upper { return (below, midpoint(b.lower, rhs, positive: positive, linear: linear)) }
        return (b.count - below, midpoint(rhs, b.upper, positive: positive, linear: linear))
    }

    /// Trimming a bucket with an infinite bound (Go `handleInfinityBuckets`): nothing is known
    /// about how its observations spread, so it is kept or dropped whole, except that the
    /// first custom bucket with a positive finite upper bound is treated as starting at 0.
    static func infiniteBucketTrim(_ b: HistogramBucket, _ rhs: Double, upper isUpper: Bool) -> (Double, Double) {
        func zeroIfInf(_ x: Double) -> Double { x.isInfinite ? 0 : x }
        if b.lower == -.infinity {
            if isUpper {
                if rhs >= b.upper { return (b.count, 0) }
                if rhs > 0 && b.upper > 0 && b.upper != .infinity { return (b.count * rhs / b.upper, rhs / 2) }
                if b.upper <= 0 { return (b.count, rhs) }
                return (0, zeroIfInf(b.upper))
            }
            if rhs <= b.lower { return (b.count, 0) }
            if rhs >= 0 && b.upper > rhs && b.upper != .infinity { return (b.count * (1 - rhs / b.upper), (rhs + b.upper) / 2) }
            return (0, zeroIfInf(b.upper))
        }
        if isUpper { return (0, zeroIfInf(b.lower)) }
        if rhs >= b.lower { return (b.count, rhs) }
        return (0, zeroIfInf(b.lower))
    }

    /// Representative value of a surviving interval (Go `computeMidpoint`): arithmetic mean
    /// for linear buckets, signed geometric mean for exponential ones; half-infinite intervals
    /// use their finite end (halved when it is a positive upper bound).
    static func midpoint(_ lower: Double, _ upper: Double, positive: Bool, linear: Bool) -> Double {
        if lower.isInfinite {
            if upper.isInfinite { return 0 }
            return upper > 0 ? upper / 2 : upper
        }
        if upper.isInfinite { return lower }
        if linear { return (lower + upper) / 2 }
        let g = abs(lower * upper).squareRoot()
        return positive ? g : -g
    }
}

extension HistogramBucket {
    /// Share of the bucket's observations below `v` (Prometheus `Bucket.FractionBelow`):
    /// linear interpolation, or on a log2 scale for exponential buckets (mirrored for
    /// negative buckets). PromQL's histogram_fraction uses Go's log2 instead of this one.
    public func fractionBelow(_ v: Double, linear: Bool) -> Double {
        if linear { return (v - lower) / (upper - lower) }
        let logLower = log2(abs(lower)), logUpper = log2(abs(upper)), logV = log2(abs(v))
        if v > 0 { return (logV - logLower) / (logUpper - logLower) }
        return 1 - ((logV - logUpper) / (logLower - logUpper))
    }
}

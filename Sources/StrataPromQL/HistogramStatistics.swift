import StrataCore

/// Native-histogram statistics of PromQL as Prometheus 3.14 computes them
/// (promql/quantile.go `HistogramQuantile`, `HistogramFraction`; functions.go
/// `histogramVariance`). Logarithms and powers of two use Go's algorithms so that results
/// match Prometheus bit for bit.

/// Info annotations the native-histogram statistics can raise (Prometheus
/// `NewNativeHistogramQuantileNaNResultInfo`, `…QuantileNaNSkewInfo`, `…FractionNaNsInfo`).
enum NativeHistogramStatisticsInfo: Sendable, Equatable {
    /// The quantile is NaN because the rank falls among NaN observations.
    case quantileNaNResult
    /// The histogram holds NaN observations, which skew the quantile.
    case quantileNaNSkew
    /// The histogram holds NaN observations, which are left out of the fraction.
    case fractionNaNs
}

/// histogram_quantile (and, per quantile, histogram_quantiles) of one native histogram.
/// q < 0 gives -Inf, q > 1 +Inf (the caller warns about the invalid quantile); an empty
/// histogram or NaN q gives NaN. Ranks are counted from the low end for q < 0.5 (or when the
/// sum is NaN, since NaN observations are only in the count), otherwise from the high end.
/// Within the bucket found the value is interpolated linearly for custom buckets and the zero
/// bucket, on a log2 scale for exponential buckets. The zero bucket is taken as [0, t] or
/// [-t, 0] when the histogram has buckets on one side only; the first custom bucket starts at
/// 0 (or answers its upper bound when that is ≤ 0), the +Inf bucket answers its lower bound.
func nativeHistogramQuantile(_ q: Double, _ h: FloatHistogram) -> (value: Double, info: NativeHistogramStatisticsInfo?) {
    if q < 0 { return (-.infinity, nil) }
    if q > 1 { return (.infinity, nil) }
    if h.count == 0 || q.isNaN { return (.nan, nil) }

    let forward = h.sum.isNaN || q < 0.5
    let buckets = forward ? h.allBuckets() : Array(h.allBuckets().reversed())
    var rank = forward ? q * h.count : (1 - q) * h.count
    var count = 0.0
    var k = 0
    // Go starts from a zero Bucket, which stays when there are no buckets at all.
    var bucket = buckets.first ?? zeroValueBucket
    while k < buckets.count {
        bucket = buckets[k]
        k += 1
        if bucket.count == 0 { continue }
        count += bucket.count
        if count >= rank { break }
    }
    if !h.usesCustomBuckets && bucket.lower < 0 && bucket.upper > 0 {
        if h.negativeBuckets.isEmpty && !h.positiveBuckets.isEmpty {
            bucket.lower = 0
        } else if h.positiveBuckets.isEmpty && !h.negativeBuckets.isEmpty {
            bucket.upper = 0
        }
    } else if h.usesCustomBuckets {
        if bucket.lower == -.infinity {
            if bucket.upper <= 0 { return (bucket.upper, nil) }
            bucket.lower = 0
        } else if bucket.upper == .infinity {
            return (bucket.lower, nil)
        }
    }
    // Rounding can push the running count past the total.
    count = min(count, h.count)
    if count < rank {
        // Only NaN observations (counted in h.count, not in any bucket) should get here.
        if h.sum.isNaN { return (.nan, .quantileNaNResult) }
        return (bucket.upper, nil)
    }
    if forward {
        rank -= count - bucket.count
    } else {
        rank = count - rank
    }
    var info: NativeHistogramStatisticsInfo? = nil
    if h.sum.isNaN {
        // NaN observations show as a count larger than the buckets' total.
        for b in buckets[k...] { count += b.count }
        if count < h.count { info = .quantileNaNSkew }
    }

    let fraction = rank / bucket.count
    if h.usesCustomBuckets || (bucket.lower <= 0 && bucket.upper >= 0) {
        return (bucket.lower + (bucket.upper - bucket.lower) * fraction, info)
    }
    // Exponential bucket boundaries are evenly spaced on a log scale: interpolate there.
    let logLower = GoLibm.log2(abs(bucket.lower))
    let logUpper = GoLibm.log2(abs(bucket.upper))
    if bucket.lower > 0 {
        return (goExp2(logLower + (logUpper - logLower) * fraction), info)
    }
    return (-goExp2(logUpper + (logLower - logUpper) * (1 - fraction)), info)
}

/// Go's zero `Bucket[float64]{}` (HistogramBucket has no public memberwise initializer).
private let zeroValueBucket: HistogramBucket = {
    var b = FloatHistogram(zeroCount: 1).allBuckets()[0]
    (b.lower, b.upper, b.count, b.lowerInclusive, b.upperInclusive) = (0, 0, 0, false, false)
    return b
}()

/// histogram_fraction of one native histogram: the estimated share of observations between
/// `lower` and `upper`, interpolated like `nativeHistogramQuantile` (linear in custom buckets
/// and the zero bucket, log2 scale in exponential buckets). Buckets with an infinite bound
/// contribute all or nothing. With NaN observations (NaN sum) the shares are still relative
/// to the full count, and `.fractionNaNs` is returned.
func nativeHistogramFraction(_ lower: Double, _ upper: Double, _ h: FloatHistogram)
    -> (value: Double, info: NativeHistogramStatisticsInfo?) {
    if h.count == 0 || lower.isNaN || upper.isNaN { return (.nan, nil) }
    if lower >= upper { return (0, nil) }

    var count = 0.0, rank = 0.0, lowerRank = 0.0, upperRank = 0.0
    var lowerSet = false, upperSet = false
    let buckets = h.allBuckets()
    var k = 0
    while k < buckets.count {
        var b = buckets[k]
        k += 1
        count += b.count
        var zeroBucket = false
        if b.lower <= 0 && b.upper >= 0 {
            zeroBucket = true
            if h.negativeBuckets.isEmpty && !h.positiveBuckets.isEmpty {
                b.lower = 0
            } else if h.positiveBuckets.isEmpty && !h.negativeBuckets.isEmpty {
                b.upper = 0
            }
        }
        let linear = h.usesCustomBuckets || zeroBucket
        // A -Inf lower bound cannot be interpolated in; like the +Inf bucket (whose share
        // interpolates to 0), it then contributes all of its count or none.
        func rankAt(_ v: Double) -> Double {
            if linear && b.lower == -.infinity { return b.count }
            return rank + b.count * histogramFractionBelow(b, v, linear: linear)
        }
        if !lowerSet && b.lower >= lower {
            lowerRank = rank
            lowerSet = true
        }
        if !upperSet && b.lower >= upper {
            upperRank = rank
            upperSet = true
        }
        if lowerSet && upperSet { break }
        if !lowerSet && b.lower < lower && b.upper > lower {
            lowerRank = rankAt(lower)
            lowerSet = true
        }
        if !upperSet && b.lower < upper && b.upper > upper {
            upperRank = rankAt(upper)
            upperSet = true
        }
        if lowerSet && upperSet { break }
        rank += b.count
    }
    var info: NativeHistogramStatisticsInfo? = nil
    if h.sum.isNaN {
        for b in buckets[k...] { count += b.count }
        if count < h.count { info = .fractionNaNs }
    } else {
        count = h.count
    }
    if !lowerSet || lowerRank > count { lowerRank = count }
    if !upperSet || upperRank > count { upperRank = count }
    return ((upperRank - lowerRank) / h.count, info)
}

/// histogram_stdvar: the variance of the observations, estimated by placing each bucket's
/// count at a representative value (arithmetic mean for custom buckets, 0 in the zero bucket,
/// signed geometric mean for exponential buckets) around the mean sum/count, Kahan-summed.
func nativeHistogramStdVar(_ h: FloatHistogram) -> Double {
    let mean = h.sum / h.count
    var variance = 0.0, c = 0.0
    for b in h.allBuckets() where b.count != 0 {
        let val: Double
        if h.usesCustomBuckets {
            val = (b.upper + b.lower) / 2
        } else if b.lower <= 0 && b.upper >= 0 {
            val = 0
        } else {
            let g = (b.upper * b.lower).squareRoot()
            val = b.upper < 0 ? -g : g
        }
        let delta = val - mean
        (variance, c) = KahanSum.inc(b.count * delta * delta, variance, c)
    }
    return (variance + c) / h.count
}

/// histogram_stddev: the square root of `nativeHistogramStdVar`.
func nativeHistogramStdDev(_ h: FloatHistogram) -> Double {
    nativeHistogramStdVar(h).squareRoot()
}

/// `Bucket.FractionBelow` with Go's log2, so exponential interpolation matches Prometheus.
func histogramFractionBelow(_ b: HistogramBucket, _ v: Double, linear: Bool) -> Double {
    if linear { return (v - b.lower) / (b.upper - b.lower) }
    let logLower = GoLibm.log2(abs(b.lower)), logUpper = GoLibm.log2(abs(b.upper)), logV = GoLibm.log2(abs(v))
    if v > 0 { return (logV - logLower) / (logUpper - logLower) }
    return 1 - ((logV - logUpper) / (logLower - logUpper))
}

/// Go's `math.Exp2` as amd64 runs it (the portable algorithm: argument reduction to
/// [-0.5, 0.5] and `expmulti`), so interpolated quantiles match Prometheus's last bit.
func goExp2(_ x: Double) -> Double {
    let ln2Hi = 6.93147180369123816490e-01, ln2Lo = 1.90821492927058770002e-10
    if x.isNaN || x == .infinity { return x }
    if x == -.infinity { return 0 }
    if x > 1.0239999999999999e+03 { return .infinity }
    if x < -1.0740e+03 { return 0 }
    var k = 0
    if x > 0 { k = Int(x + 0.5) } else if x < 0 { k = Int(x - 0.5) }
    let t = x - Double(k)
    let hi = t * ln2Hi
    let lo = -t * ln2Lo
    let p1 = 1.66666666666666657415e-01, p2 = -2.77777777770155933842e-03, p3 = 6.61375632143793436117e-05
    let p4 = -1.65339022054652515390e-06, p5 = 4.13813679705723846039e-08
    let r = hi - lo
    let tt = r * r
    let c = r - tt * (p1 + tt * (p2 + tt * (p3 + tt * (p4 + tt * p5))))
    let y = 1 - ((lo - (r * c) / (2 - c)) - hi)
    return GoLibm.ldexp(y, k)
}

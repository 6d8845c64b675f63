/// Layout operations of native histograms as Prometheus 3.14 defines them: compaction,
/// resolution reduction, exact equality and counter-reset detection.
extension FloatHistogram {
    /// Removes empty buckets at the span edges, joins spans at most `maxEmptyBuckets` apart
    /// and splits spans at longer runs of empty buckets (Prometheus `Compact`). PromQL
    /// compacts every histogram result with 0.
    public mutating func compact(maxEmptyBuckets: Int) {
        // Already compact (no empty bucket, no empty or touching spans): nothing to rebuild.
        if maxEmptyBuckets == 0 && Self.isCompact(positiveSpans, positiveBuckets) && Self.isCompact(negativeSpans, negativeBuckets) {
            return
        }
        var none: FloatHistogram? = nil
        compact(maxEmptyBuckets: maxEmptyBuckets, comp: &none)
    }

    static func isCompact(_ spans: [HistogramSpan], _ buckets: [Double]) -> Bool {
        for (i, span) in spans.enumerated() where span.length == 0 || (i > 0 && span.offset <= 0) { return false }
        return !buckets.contains(0)
    }

    /// Merges buckets down to the lower-resolution `target` schema (Prometheus
    /// `ReduceResolution`). Prometheus returns an error for custom buckets or a target that is
    /// not lower; those requests leave the histogram unchanged here.
    public mutating func reduceResolution(to target: Int32) {
        guard !usesCustomBuckets, !HistogramSchema.isCustomBuckets(target), target < schema else { return }
        for positive in [true, false] {
            var none: FloatHistogram? = nil
            setBuckets(positive: positive,
                       BucketList.reduce(bucketList(positive: positive), from: schema, to: target, kahan: false), comp: &none)
        }
        schema = target
    }

    /// A copy at the lower-resolution `toSchema` (Prometheus `CopyToSchema`; like it, the copy
    /// does not keep the counter-reset hint). Requests Prometheus panics on (custom buckets,
    /// a higher target) return the histogram unchanged.
    public func copy(toSchema target: Int32) -> FloatHistogram {
        guard target != schema, !usesCustomBuckets, !HistogramSchema.isCustomBuckets(target), target < schema else {
            return self
        }
        var c = FloatHistogram(schema: schema, zeroThreshold: zeroThreshold, zeroCount: zeroCount, count: count, sum: sum,
                               positiveSpans: positiveSpans, negativeSpans: negativeSpans,
                               positiveBuckets: positiveBuckets, negativeBuckets: negativeBuckets)
        c.reduceResolution(to: target)
        return c
    }

    /// Whether any count, the sum or a custom bound is infinite (aggregation overflowed).
    public var hasOverflow: Bool {
        zeroCount.isInfinite || count.isInfinite || sum.isInfinite || positiveBuckets.contains(where: \.isInfinite)
            || negativeBuckets.contains(where: \.isInfinite) || customValues.contains(where: \.isInfinite)
    }

    /// Data equality (Prometheus `Equals`): counts and sum compared by bit pattern (so NaN
    /// equals the same NaN), zero threshold numerically, custom bounds only for custom
    /// schemas, spans after skipping zero-length spans; same number of buckets with the same
    /// bits. Adjacent spans are not joined: the layouts must match span for span.
    public func equals(_ other: FloatHistogram) -> Bool {
        guard schema == other.schema, count.bitPattern == other.count.bitPattern,
              sum.bitPattern == other.sum.bitPattern else { return false }
        if usesCustomBuckets && customValues != other.customValues { return false }
        guard zeroThreshold == other.zeroThreshold, zeroCount.bitPattern == other.zeroCount.bitPattern else { return false }
        return FloatHistogram.spansMatch(negativeSpans, other.negativeSpans)
            && negativeBuckets.map(\.bitPattern) == other.negativeBuckets.map(\.bitPattern)
            && FloatHistogram.spansMatch(positiveSpans, other.positiveSpans)
            && positiveBuckets.map(\.bitPattern) == other.positiveBuckets.map(\.bitPattern)
    }

    /// Go `spansMatch`: zero-length spans fold their offset into the next span.
    static func spansMatch(_ a: [HistogramSpan], _ b: [HistogramSpan]) -> Bool {
        func normalized(_ spans: [HistogramSpan]) -> [HistogramSpan] {
            var out: [HistogramSpan] = []
            var pending: Int32 = 0
            for s in spans {
                if s.length == 0 {
                    pending &+= s.offset
                } else {
                    out.append(HistogramSpan(offset: pending &+ s.offset, length: s.length))
                    pending = 0
                }
            }
            return out
        }
        return normalized(a) == normalized(b)
    }

    /// Whether this histogram is a counter reset relative to `previous` (Prometheus
    /// `DetectReset`). The hint decides when it says reset or not-reset; otherwise a smaller
    /// count, a higher resolution, a smaller zero threshold, a larger threshold cutting a
    /// populated bucket, a smaller zero count, or any bucket (at the common schema, above the
    /// common threshold) that shrank or disappeared while populated, is a reset. Gauge
    /// histograms are treated like counters here, as in Prometheus.
    public func detectReset(previous: FloatHistogram) -> Bool {
        switch counterResetHint {
        case .counterReset: return true
        case .notCounterReset: return false
        case .unknown, .gauge: break
        }
        if count < previous.count { return true }
        if usesCustomBuckets {
            if !previous.usesCustomBuckets { return true }
            if customValues != previous.customValues {
                return detectResetWithMismatchedCustomBounds(previous: previous)
            }
        }
        if schema > previous.schema { return true }
        if zeroThreshold < previous.zeroThreshold { return true }
        if schema == previous.schema && zeroThreshold == previous.zeroThreshold && positiveSpans == previous.positiveSpans
            && negativeSpans == previous.negativeSpans && positiveBuckets.count == previous.positiveBuckets.count
            && negativeBuckets.count == previous.negativeBuckets.count && bucketsClearOfZeroBucket {
            // The same layout (most consecutive samples): compare bucket by bucket.
            if zeroCount < previous.zeroCount { return true }
            for i in positiveBuckets.indices where positiveBuckets[i] < previous.positiveBuckets[i] { return true }
            for i in negativeBuckets.indices where negativeBuckets[i] < previous.negativeBuckets[i] { return true }
            return false
        }
        let (previousZero, threshold, _) = previous.zeroCountForLargerThreshold(zeroThreshold, comp: nil)
        if threshold != zeroThreshold { return true }
        if zeroCount < previousZero { return true }
        for positive in [true, false] {
            let current = resetComparable(positive: positive, schema: schema, above: zeroThreshold)
            let before = previous.resetComparable(positive: positive, schema: schema, above: zeroThreshold)
            if FloatHistogram.bucketsShrank(current, before) { return true }
        }
        return false
    }

    /// No bucket lies at or inside the zero bucket's threshold (those are left out of reset
    /// detection), so buckets can be compared one by one.
    var bucketsClearOfZeroBucket: Bool {
        guard !usesCustomBuckets, zeroThreshold != 0 else { return true }
        for spans in [positiveSpans, negativeSpans] {
            var idx: Int32 = 0
            for (k, span) in spans.enumerated() {
                idx = k == 0 ? span.offset : idx &+ span.offset
                if span.length > 0 {
                    if HistogramBounds.exponential(idx, schema: schema) <= zeroThreshold { return false }
                    break
                }
            }
        }
        return true
    }

    /// One side's buckets merged to `target` schema, without the leading exponential buckets
    /// whose upper bound is at or below `above` (Go's `floatBucketIterator(positive, above, target)`).
    func resetComparable(positive: Bool, schema target: Int32, above: Double) -> [IndexedBucket] {
        var list = bucketList(positive: positive)
        if !usesCustomBuckets { list = BucketList.reduce(list, from: schema, to: target, kahan: false) }
        guard above != 0, HistogramSchema.isExponential(target) else { return list }
        let skip = list.prefix { HistogramBounds.exponential($0.index, schema: target) <= above }.count
        return Array(list.dropFirst(skip))
    }

    /// Go `detectReset` on two sorted bucket lists: a previous bucket that is populated but
    /// missing now, or larger than now, is a reset.
    static func bucketsShrank(_ current: [IndexedBucket], _ previous: [IndexedBucket]) -> Bool {
        var i = 0
        for p in previous {
            while i < current.count && current[i].index < p.index { i += 1 }
            if i < current.count && current[i].index == p.index {
                if current[i].count < p.count { return true }
            } else if p.count != 0 {
                return true
            }
        }
        return false
    }

    /// Reset detection across different custom bounds (Go
    /// `detectResetWithMismatchedCustomBounds`): at every bound both layouts share (and +Inf),
    /// the buckets not yet accounted for up to that bound are summed on both sides; a smaller
    /// current sum is a reset.
    func detectResetWithMismatchedCustomBounds(previous: FloatHistogram) -> Bool {
        let common = FloatHistogram.intersectCustomBounds(customValues, previous.customValues) + [.infinity]
        let current = bucketList(positive: true)
        let before = previous.bucketList(positive: true)
        var (i, j) = (0, 0)
        func rollup(_ list: [IndexedBucket], _ bounds: [Double], _ k: inout Int, upTo bound: Double) -> Double {
            var s = 0.0
            while k < list.count,
                  HistogramBounds.bound(list[k].index, schema: HistogramSchema.customBuckets, customValues: bounds) <= bound {
                s += list[k].count
                k += 1
            }
            return s
        }
        for bound in common {
            let c = rollup(current, customValues, &i, upTo: bound)
            let p = rollup(before, previous.customValues, &j, upTo: bound)
            if c < p { return true }
        }
        return false
    }
}

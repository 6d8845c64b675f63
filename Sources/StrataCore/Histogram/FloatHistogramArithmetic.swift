/// Native-histogram arithmetic as Prometheus 3.14's `FloatHistogram` does it (Mul, Div,
/// Add, KahanAdd, Sub), so that PromQL results match Prometheus bucket for bucket.

/// Why two histograms cannot be combined.
public enum HistogramArithmeticError: Error, Equatable, Sendable, CustomStringConvertible {
    /// One uses exponential buckets, the other custom buckets (Prometheus
    /// `ErrHistogramsIncompatibleSchema`).
    case mixedSchemas
    /// Custom bounds that cannot be reconciled (Prometheus `ErrHistogramsIncompatibleBounds`).
    /// Prometheus 3.14 reconciles mismatched custom bounds to their intersection instead, so
    /// this is never thrown; it stays for callers that match on it.
    case incompatibleBounds

    public var description: String {
        switch self {
        case .mixedSchemas:
            return "cannot apply this operation on histograms with a mix of exponential and custom bucket schemas"
        case .incompatibleBounds:
            return "cannot apply this operation on custom buckets histograms with different custom bounds"
        }
    }
}

/// What happened while combining two histograms; PromQL turns each flag into an annotation.
public struct HistogramCombineInfo: Sendable, Equatable {
    /// One histogram said counter reset, the other not; the result's hint became unknown.
    public var counterResetCollision: Bool
    /// The custom bounds differed and the result uses their intersection.
    public var nhcbBoundsReconciled: Bool

    public init(counterResetCollision: Bool = false, nhcbBoundsReconciled: Bool = false) {
        self.counterResetCollision = counterResetCollision
        self.nhcbBoundsReconciled = nhcbBoundsReconciled
    }
}

extension FloatHistogram {
    /// Scales every count and the sum; the layout stays. A negative factor makes the result a
    /// gauge (a counter cannot go negative).
    public mutating func mul(_ factor: Double) {
        zeroCount *= factor
        count *= factor
        sum *= factor
        for i in positiveBuckets.indices { positiveBuckets[i] *= factor }
        for i in negativeBuckets.indices { negativeBuckets[i] *= factor }
        if factor < 0 { counterResetHint = .gauge }
    }

    /// Divides every count and the sum. Division by zero leaves the zero count, count and sum
    /// at ±Inf or NaN and removes all buckets (Prometheus `Div`); the hint is then unchanged.
    public mutating func div(_ scalar: Double) {
        zeroCount /= scalar
        count /= scalar
        sum /= scalar
        if scalar == 0 {
            positiveBuckets = []
            negativeBuckets = []
            positiveSpans = []
            negativeSpans = []
            return
        }
        for i in positiveBuckets.indices { positiveBuckets[i] /= scalar }
        for i in negativeBuckets.indices { negativeBuckets[i] /= scalar }
        if scalar < 0 { counterResetHint = .gauge }
    }

    /// Adds `other`: missing buckets are inserted, the zero thresholds and schemas are
    /// reconciled (larger threshold, lower resolution), mismatched custom bounds are reduced to
    /// their intersection. The result may hold empty buckets; PromQL compacts afterwards.
    @discardableResult
    public mutating func add(_ other: FloatHistogram) throws(HistogramArithmeticError) -> HistogramCombineInfo {
        var none: FloatHistogram? = nil
        return try combine(other, negate: false, comp: &none)
    }

    /// Like `add`, but sums with Kahan compensation kept in `compensation` (a histogram with
    /// the receiver's layout). Start with nil; finish with `kahanFinish(compensation)`.
    @discardableResult
    public mutating func kahanAdd(_ other: FloatHistogram, compensation: inout FloatHistogram?)
        throws(HistogramArithmeticError) -> HistogramCombineInfo {
        guard usesCustomBuckets == other.usesCustomBuckets else { throw .mixedSchemas }
        if compensation == nil {
            // Created after the hint adjustment in Go; the adjustment is repeated inside
            // combine, which is idempotent for the same `other`.
            var probe = self
            _ = probe.adjustCounterReset(other)
            compensation = probe.newCompensationHistogram()
        }
        return try combine(other, negate: false, comp: &compensation)
    }

    /// Applies the compensation collected by `kahanAdd` (Prometheus's engine adds it with a
    /// plain Add at the end of sum/avg; errors cannot occur once the Kahan adds succeeded).
    public mutating func kahanFinish(_ compensation: FloatHistogram?) {
        guard let compensation else { return }
        _ = try? add(compensation)
    }

    /// Subtracts `other` like `add` adds it. The hint follows the same rules as for `add`
    /// (useful for incremental means); PromQL's `-` operator sets gauge itself afterwards.
    @discardableResult
    public mutating func sub(_ other: FloatHistogram) throws(HistogramArithmeticError) -> HistogramCombineInfo {
        var none: FloatHistogram? = nil
        return try combine(other, negate: true, comp: &none)
    }

    /// A compensation histogram for Kahan summation: the receiver's layout, all counts zero.
    func newCompensationHistogram() -> FloatHistogram {
        FloatHistogram(counterResetHint: counterResetHint, schema: schema, zeroThreshold: zeroThreshold,
                       positiveSpans: positiveSpans, negativeSpans: usesCustomBuckets ? [] : negativeSpans,
                       positiveBuckets: Array(repeating: 0, count: positiveBuckets.count),
                       negativeBuckets: usesCustomBuckets ? [] : Array(repeating: 0, count: negativeBuckets.count),
                       customValues: customValues)
    }

    /// The one implementation of Add, Sub and KahanAdd: `comp` nil sums plainly, otherwise
    /// with Kahan compensation kept in `comp` (Sub is never compensated in Prometheus).
    mutating func combine(_ other: FloatHistogram, negate: Bool, comp: inout FloatHistogram?)
        throws(HistogramArithmeticError) -> HistogramCombineInfo {
        guard usesCustomBuckets == other.usesCustomBuckets else { throw .mixedSchemas }
        let kahan = comp != nil
        var info = HistogramCombineInfo(counterResetCollision: adjustCounterReset(other))
        let sign: Double = negate ? -1 : 1
        // The same layout on both sides (consecutive samples of one series, most sums): add
        // bucket by bucket in place, leaving the spans as they are, as Go's addBuckets does.
        let sameLayout = schema == other.schema && zeroThreshold == other.zeroThreshold
            && positiveSpans == other.positiveSpans && negativeSpans == other.negativeSpans
            && (!usesCustomBuckets || customValues == other.customValues)
            && positiveBuckets.count == other.positiveBuckets.count && negativeBuckets.count == other.negativeBuckets.count
            && (comp.map { $0.positiveSpans == positiveSpans && $0.negativeSpans == negativeSpans
                && $0.positiveBuckets.count == positiveBuckets.count && $0.negativeBuckets.count == negativeBuckets.count } ?? true)
        if sameLayout {
            addInPlace(other, sign: sign, comp: &comp)
            return info
        }
        if !usesCustomBuckets {
            let (otherZero, otherCZero) = reconcileZeroBuckets(with: other, comp: &comp)
            if kahan {
                var c = comp?.zeroCount ?? 0
                (zeroCount, c) = KahanSum.inc(otherZero, zeroCount, c)
                (zeroCount, c) = KahanSum.inc(otherCZero, zeroCount, c)
                comp?.zeroCount = c
            } else {
                zeroCount += sign * otherZero
            }
        }
        if kahan {
            var (cc, cs) = (comp?.count ?? 0, comp?.sum ?? 0)
            (count, cc) = KahanSum.inc(other.count, count, cc)
            (sum, cs) = KahanSum.inc(other.sum, sum, cs)
            comp?.count = cc
            comp?.sum = cs
        } else {
            count += sign * other.count
            sum += sign * other.sum
        }

        if usesCustomBuckets {
            let mine = bucketList(positive: true, comp: comp)
            let theirs = other.bucketList(positive: true)
            if customValues == other.customValues {
                setBuckets(positive: true, BucketList.add(schema: schema, threshold: zeroThreshold, negate: negate,
                                                          mine, theirs, kahan: kahan), comp: &comp)
            } else {
                info.nhcbBoundsReconciled = true
                let bounds = FloatHistogram.intersectCustomBounds(customValues, other.customValues)
                let merged = FloatHistogram.mapToCustomBounds(mine, from: customValues, theirs, from: other.customValues,
                                                              negate: negate, to: bounds, kahan: kahan)
                customValues = bounds
                comp?.customValues = bounds
                // A plain add keeps only the sums of the mapping (Go discards its compensation).
                setBuckets(positive: true, kahan ? merged : merged.map { IndexedBucket(index: $0.index, count: $0.count) },
                           comp: &comp)
            }
            return info
        }

        var mine = (bucketList(positive: true, comp: comp), bucketList(positive: false, comp: comp))
        var theirs = (other.bucketList(positive: true), other.bucketList(positive: false))
        if other.schema < schema {
            mine.0 = BucketList.reduce(mine.0, from: schema, to: other.schema, kahan: kahan)
            mine.1 = BucketList.reduce(mine.1, from: schema, to: other.schema, kahan: kahan)
            schema = other.schema
        } else if other.schema > schema {
            theirs.0 = BucketList.reduce(theirs.0, from: other.schema, to: schema, kahan: kahan)
            theirs.1 = BucketList.reduce(theirs.1, from: other.schema, to: schema, kahan: kahan)
        }
        setBuckets(positive: true, BucketList.add(schema: schema, threshold: zeroThreshold, negate: negate,
                                                  mine.0, theirs.0, kahan: kahan), comp: &comp)
        setBuckets(positive: false, BucketList.add(schema: schema, threshold: zeroThreshold, negate: negate,
                                                   mine.1, theirs.1, kahan: kahan), comp: &comp)
        comp?.schema = schema
        comp?.zeroThreshold = zeroThreshold
        return info
    }

    /// `combine` for two histograms of the same layout: counts, zero bucket and buckets
    /// element by element (Kahan-compensated when `comp` is given).
    mutating func addInPlace(_ other: FloatHistogram, sign: Double, comp: inout FloatHistogram?) {
        guard var c = comp else {
            zeroCount += sign * other.zeroCount
            count += sign * other.count
            sum += sign * other.sum
            for i in positiveBuckets.indices { positiveBuckets[i] += sign * other.positiveBuckets[i] }
            for i in negativeBuckets.indices { negativeBuckets[i] += sign * other.negativeBuckets[i] }
            return
        }
        comp = nil  // c is now the only reference, so its arrays are updated in place
        if !usesCustomBuckets { (zeroCount, c.zeroCount) = KahanSum.inc(other.zeroCount, zeroCount, c.zeroCount) }
        (count, c.count) = KahanSum.inc(other.count, count, c.count)
        (sum, c.sum) = KahanSum.inc(other.sum, sum, c.sum)
        for i in positiveBuckets.indices {
            (positiveBuckets[i], c.positiveBuckets[i]) = KahanSum.inc(other.positiveBuckets[i], positiveBuckets[i], c.positiveBuckets[i])
        }
        for i in negativeBuckets.indices {
            (negativeBuckets[i], c.negativeBuckets[i]) = KahanSum.inc(other.negativeBuckets[i], negativeBuckets[i], c.negativeBuckets[i])
        }
        comp = c
    }

    /// Counter-reset hint of a sum or difference (Go `adjustCounterReset`): equal hints stay,
    /// gauge wins, then unknown wins; reset against not-reset is a collision (result unknown).
    mutating func adjustCounterReset(_ other: FloatHistogram) -> Bool {
        switch (counterResetHint, other.counterResetHint) {
        case let (a, b) where a == b: return false
        case (.gauge, _): return false
        case (_, .gauge): counterResetHint = .gauge; return false
        case (.unknown, _): return false
        case (_, .unknown): counterResetHint = .unknown; return false
        default:
            counterResetHint = .unknown
            return true
        }
    }

    /// Bounds present in both lists (Go `intersectCustomBucketBounds`); both are ascending.
    static func intersectCustomBounds(_ a: [Double], _ b: [Double]) -> [Double] {
        var out: [Double] = []
        var (i, j) = (0, 0)
        while i < a.count && j < b.count {
            if a[i] == b[j] {
                out.append(a[i])
                i += 1
                j += 1
            } else if a[i] < b[j] {
                i += 1
            } else {
                j += 1
            }
        }
        return out
    }

    /// Maps two custom-bucket layouts onto the intersected `bounds` and adds (or subtracts)
    /// them (Go `addCustomBucketsWithMismatches`): a bucket goes to the first common bound at
    /// or above its own upper bound, the +Inf bucket to the last. Sums are Kahan-compensated;
    /// with `kahan`, `a`'s own compensation is folded in. Buckets whose sum and compensation are both zero
    /// are dropped.
    static func mapToCustomBounds(_ a: [IndexedBucket], from boundsA: [Double], _ b: [IndexedBucket],
                                  from boundsB: [Double], negate: Bool, to bounds: [Double], kahan: Bool) -> [IndexedBucket] {
        var target = [Double](repeating: 0, count: bounds.count + 1)
        var comp = [Double](repeating: 0, count: bounds.count + 1)
        func map(_ list: [IndexedBucket], _ srcBounds: [Double], sign: Double, withComp: Bool) {
            var k = 0
            for x in list {
                var t = target.count - 1
                let src = Int(x.index)
                if src >= 0 && src < srcBounds.count {
                    while k < bounds.count {
                        if bounds[k] >= srcBounds[src] {
                            t = k
                            break
                        }
                        k += 1
                    }
                }
                (target[t], comp[t]) = KahanSum.inc(sign * x.count, target[t], comp[t])
                if withComp { (target[t], comp[t]) = KahanSum.inc(x.comp, target[t], comp[t]) }
            }
        }
        map(a, boundsA, sign: 1, withComp: kahan)
        map(b, boundsB, sign: negate ? -1 : 1, withComp: false)
        return target.indices.compactMap { i in
            target[i] == 0 && comp[i] == 0 ? nil : IndexedBucket(index: Int32(i), count: target[i], comp: comp[i])
        }
    }
}

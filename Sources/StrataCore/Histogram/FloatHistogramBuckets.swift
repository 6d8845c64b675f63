/// Bucket-list plumbing shared by the histogram arithmetic (Prometheus `addBuckets`,
/// `reduceResolution`, `compactBuckets`, zero-bucket reconciliation).
///
/// Prometheus edits span and bucket slices in place; here one side of a histogram is
/// unpacked into a sorted list of `IndexedBucket`s, transformed, and packed back into
/// spans. The packed layout is the canonical one (consecutive indices share a span), which
/// can differ from Go's in-place result only by adjacent spans being joined; Go's own
/// `Compact(0)`, which every PromQL result goes through, makes the two identical.

/// Kahan–Babuška (Neumaier) summation step as Prometheus's `kahansum.Inc`: returns the new
/// sum and compensation. An infinite sum clears the compensation so that it cannot turn
/// into NaN when applied at the end.
public enum KahanSum {
    @inlinable public static func inc(_ inc: Double, _ sum: Double, _ c: Double) -> (Double, Double) {
        let t = sum + inc
        if t.isInfinite { return (t, 0) }
        if abs(sum) >= abs(inc) { return (t, c + ((sum - t) + inc)) }
        return (t, c + ((inc - t) + sum))
    }
}

/// One bucket of one side of a histogram: its index in the schema, its count and (for
/// Kahan summation) the compensation term kept alongside it.
struct IndexedBucket: Equatable {
    var index: Int32
    var count: Double
    var comp: Double = 0

    /// Compaction keeps a bucket while either the count or its compensation is non-zero
    /// (NaN counts as populated), as Go's `compactBuckets` does.
    var isEmpty: Bool { count == 0 && comp == 0 }
}

enum BucketList {
    /// Unpacks spans and counts (and optionally the compensation counts of the same layout).
    static func unpack(_ spans: [HistogramSpan], _ counts: [Double], _ comps: [Double]? = nil) -> [IndexedBucket] {
        HistogramBucket.walk(spans, counts).enumerated().map { k, b in
            IndexedBucket(index: b.0, count: b.1, comp: comps.flatMap { k < $0.count ? $0[k] : nil } ?? 0)
        }
    }

    /// Packs a sorted list into spans: consecutive indices share a span, a gap starts a new one.
    static func pack(_ list: [IndexedBucket]) -> (spans: [HistogramSpan], counts: [Double], comps: [Double]) {
        var spans: [HistogramSpan] = []
        var last: Int32 = 0
        for b in list {
            if spans.isEmpty {
                spans.append(HistogramSpan(offset: b.index, length: 1))
            } else if b.index == last &+ 1 {
                spans[spans.count - 1].length += 1
            } else {
                spans.append(HistogramSpan(offset: b.index &- last &- 1, length: 1))
            }
            last = b.index
        }
        return (spans, list.map(\.count), list.map(\.comp))
    }

    /// Index of bucket `idx` of `origin` in the lower-resolution `target` schema (Go `targetIdx`).
    @inlinable static func targetIndex(_ idx: Int32, from origin: Int32, to target: Int32) -> Int32 {
        ((idx &- 1) >> (origin - target)) &+ 1
    }

    /// Merges buckets into the lower `target` schema (Go `reduceResolution`, or with `kahan`
    /// `kahanReduceResolution`, which sums counts and compensations with compensation).
    static func reduce(_ list: [IndexedBucket], from origin: Int32, to target: Int32, kahan: Bool) -> [IndexedBucket] {
        guard origin > target else { return list }
        var out: [IndexedBucket] = []
        out.reserveCapacity(list.count)
        for b in list {
            let t = targetIndex(b.index, from: origin, to: target)
            if var last = out.last, last.index == t {
                if kahan {
                    (last.count, last.comp) = KahanSum.inc(b.count, last.count, last.comp)
                    (last.count, last.comp) = KahanSum.inc(b.comp, last.count, last.comp)
                } else {
                    last.count += b.count
                }
                out[out.count - 1] = last
            } else {
                out.append(IndexedBucket(index: t, count: b.count, comp: b.comp))
            }
        }
        return out
    }

    /// `a` plus (or, with `negate`, minus) `b`, both in `schema` (Go `addBuckets` /
    /// `kahanAddBuckets`). Leading buckets of `b` whose upper bound is at or below the zero
    /// `threshold` are skipped: the zero-bucket reconciliation already counted them in the
    /// zero bucket. Buckets only in `b` are inserted; with `kahan`, matching buckets are summed
    /// with compensation and `b`'s own compensation is added too.
    static func add(schema: Int32, threshold: Double, negate: Bool, _ a: [IndexedBucket], _ b: [IndexedBucket],
                    kahan: Bool) -> [IndexedBucket] {
        var out: [IndexedBucket] = []
        out.reserveCapacity(a.count + b.count)
        var i = 0
        var belowThreshold = true
        for var x in b {
            if belowThreshold && HistogramSchema.isExponential(schema)
                && HistogramBounds.exponential(x.index, schema: schema) <= threshold { continue }
            belowThreshold = false
            if negate {
                x.count = -x.count
                x.comp = -x.comp
            }
            while i < a.count && a[i].index < x.index {
                out.append(a[i])
                i += 1
            }
            guard i < a.count && a[i].index == x.index else {
                out.append(x)
                continue
            }
            var y = a[i]
            i += 1
            if kahan {
                (y.count, y.comp) = KahanSum.inc(x.count, y.count, y.comp)
                if x.comp != 0 { (y.count, y.comp) = KahanSum.inc(x.comp, y.count, y.comp) }
            } else {
                y.count += x.count
            }
            out.append(y)
        }
        out.append(contentsOf: a[i...])
        return out
    }

    /// Drops empty buckets and fills gaps of at most `maxEmptyBuckets` with explicit zeros
    /// (the layout Go's `compactBuckets` converges to).
    static func compact(_ list: [IndexedBucket], maxEmptyBuckets: Int) -> [IndexedBucket] {
        var out: [IndexedBucket] = []
        out.reserveCapacity(list.count)
        for b in list where !b.isEmpty {
            if let last = out.last {
                let gap = Int(b.index) - Int(last.index) - 1
                if gap > 0 && gap <= maxEmptyBuckets {
                    for k in 1...gap { out.append(IndexedBucket(index: last.index &+ Int32(k), count: 0)) }
                }
            }
            out.append(b)
        }
        return out
    }
}

extension FloatHistogram {
    /// One side's buckets, with the compensation from `comp` (same layout) if given.
    func bucketList(positive: Bool, comp: FloatHistogram? = nil) -> [IndexedBucket] {
        positive ? BucketList.unpack(positiveSpans, positiveBuckets, comp?.positiveBuckets)
            : BucketList.unpack(negativeSpans, negativeBuckets, comp?.negativeBuckets)
    }

    /// Stores `list` as one side's buckets; the compensation histogram, if any, gets the
    /// compensations and the same spans so the two layouts stay in lockstep.
    mutating func setBuckets(positive: Bool, _ list: [IndexedBucket], comp: inout FloatHistogram?) {
        let (spans, counts, comps) = BucketList.pack(list)
        if positive {
            positiveSpans = spans
            positiveBuckets = counts
            comp?.positiveSpans = spans
            comp?.positiveBuckets = comps
        } else {
            negativeSpans = spans
            negativeBuckets = counts
            comp?.negativeSpans = spans
            comp?.negativeBuckets = comps
        }
    }

    /// Compaction of both sides (with the compensation histogram in lockstep: a bucket stays
    /// while either its count or its compensation is non-zero).
    mutating func compact(maxEmptyBuckets: Int, comp: inout FloatHistogram?) {
        for positive in [true, false] {
            let list = bucketList(positive: positive, comp: comp)
            setBuckets(positive: positive, BucketList.compact(list, maxEmptyBuckets: maxEmptyBuckets), comp: &comp)
        }
    }

    /// What the zero count would be with the given larger (or equal) zero threshold (Go
    /// `zeroCountForLargerThreshold`): buckets below it are summed into the zero count. A
    /// threshold inside a populated bucket moves up to that bucket's upper bound, which is
    /// also returned; one inside a populated negative bucket restarts the whole pass. The
    /// third value is the compensation of that sum, starting from `comp`'s zero-count
    /// compensation (it is not reset on a restart, as in Go).
    func zeroCountForLargerThreshold(_ larger: Double, comp: FloatHistogram?) -> (Double, Double, Double) {
        var threshold = larger
        var cZero = comp?.zeroCount ?? 0
        guard threshold != zeroThreshold else { return (zeroCount, threshold, cZero) }
        let sides = [(bucketList(positive: true, comp: comp), false), (bucketList(positive: false, comp: comp), true)]
        restart: while true {
            var hZero = zeroCount
            for (list, restartsOnAdjust) in sides {
                for b in list {
                    let lowerAbs = HistogramBounds.bound(b.index &- 1, schema: schema, customValues: customValues)
                    if lowerAbs >= threshold { break }
                    (hZero, cZero) = KahanSum.inc(b.count, hZero, cZero)
                    if comp != nil { (hZero, cZero) = KahanSum.inc(b.comp, hZero, cZero) }
                    let upperAbs = HistogramBounds.bound(b.index, schema: schema, customValues: customValues)
                    if upperAbs > threshold {
                        if b.count != 0 {
                            threshold = upperAbs
                            if restartsOnAdjust { continue restart }
                        }
                        break
                    }
                }
            }
            return (hZero, threshold, cZero)
        }
    }

    /// Empties the buckets inside the zero bucket (their counts are already part of the zero
    /// count) and compacts (Go `trimBucketsInZeroBucket`).
    mutating func trimBucketsInZeroBucket(comp: inout FloatHistogram?) {
        for positive in [true, false] {
            var list = bucketList(positive: positive, comp: comp)
            for k in list.indices {
                let lowerAbs = HistogramBounds.bound(list[k].index &- 1, schema: schema, customValues: customValues)
                if lowerAbs >= zeroThreshold { break }
                list[k].count = 0
                list[k].comp = 0
            }
            setBuckets(positive: positive, list, comp: &comp)
        }
        compact(maxEmptyBuckets: 0, comp: &comp)
    }

    /// Widens whichever zero bucket is narrower until both histograms have the same zero
    /// threshold, never ending inside a populated bucket of either (Go `reconcileZeroBuckets`).
    /// The receiver (and `comp`) change; `other` does not: its zero count and compensation at
    /// the common threshold are returned instead.
    mutating func reconcileZeroBuckets(with other: FloatHistogram, comp: inout FloatHistogram?) -> (Double, Double) {
        var otherZero = other.zeroCount
        var otherThreshold = other.zeroThreshold
        var otherCZero = 0.0
        // NaN thresholds never compare equal; Go would spin forever, we leave them alone.
        while otherThreshold != zeroThreshold && !otherThreshold.isNaN && !zeroThreshold.isNaN {
            if zeroThreshold > otherThreshold {
                (otherZero, otherThreshold, otherCZero) = other.zeroCountForLargerThreshold(zeroThreshold, comp: nil)
            }
            if otherThreshold > zeroThreshold {
                let (z, t, cz) = zeroCountForLargerThreshold(otherThreshold, comp: comp)
                zeroCount = z
                zeroThreshold = t
                comp?.zeroCount = cz
                trimBucketsInZeroBucket(comp: &comp)
            }
        }
        return (otherZero, otherCZero)
    }
}

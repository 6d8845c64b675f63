/// `quantile` and `quantile_over_time`: linear interpolation between the closest ranks
/// (Prometheus's quantile()).
func quantile(_ q: Double, _ values0: [Double]) -> Double {
    if values0.isEmpty || q.isNaN { return .nan }
    if q < 0 { return -.infinity }
    if q > 1 { return .infinity }
    // Prometheus's ordering puts NaN first, then ascending.
    var values = values0.filter { $0.isNaN }
    values.append(contentsOf: values0.filter { !$0.isNaN }.sorted())
    let n = Double(values.count)
    let rank = q * (n - 1)
    let lower = goMax(0, rank.rounded(.down))
    let upper = goMin(n - 1, lower + 1)
    let weight = rank - rank.rounded(.down)
    return values[Int(lower)] * (1 - weight) + values[Int(upper)] * weight
}

/// One classic histogram bucket: `le` upper bound and cumulative count.
struct Bucket {
    var upperBound: Double
    var count: Double
}

/// What forcing classic bucket counts monotonic changed (for the 3.x info annotation).
struct MonotonicityFix {
    var minBucket: Double
    var maxBucket: Double
    var maxDiff: Double
}

/// `histogram_quantile` over classic buckets (Prometheus's bucketQuantile): sorted by bound,
/// duplicates merged, counts forced monotonic, linear interpolation inside the bucket.
func bucketQuantile(_ q: Double, _ buckets0: [Bucket]) -> Double {
    bucketQuantileReporting(q, buckets0).value
}

/// As `bucketQuantile`, also saying whether and where counts were forced monotonic. With a
/// `tolerance` (3.x: 1e-12) differences that small are evened out silently first.
func bucketQuantileReporting(_ q: Double, _ buckets0: [Bucket], tolerance: Double = 0) -> (value: Double, fix: MonotonicityFix?) {
    var fix: MonotonicityFix?
    func done(_ v: Double) -> (value: Double, fix: MonotonicityFix?) { (v, fix) }
    if q.isNaN { return done(.nan) }
    if q < 0 { return done(-.infinity) }
    if q > 1 { return done(.infinity) }
    var buckets = buckets0
    goSort(&buckets) { $0.upperBound < $1.upperBound }
    guard let last = buckets.last, last.upperBound == .infinity else { return done(.nan) }
    // Coalesce equal bounds.
    var merged: [Bucket] = []
    for b in buckets {
        if let l = merged.last, l.upperBound == b.upperBound {
            merged[merged.count - 1].count += b.count
        } else {
            merged.append(b)
        }
    }
    buckets = merged
    // Ensure monotonic counts (Prometheus's ensureMonotonicAndIgnoreSmallDeltas).
    var prev = buckets[0].count
    for i in 1..<buckets.count {
        let curr = buckets[i].count
        if curr == prev { continue }
        if tolerance > 0, goAlmostEqual(prev, curr, tolerance) {
            buckets[i].count = prev
            continue
        }
        if curr < prev {
            buckets[i].count = prev
            var f = fix ?? MonotonicityFix(minBucket: .infinity, maxBucket: -.infinity, maxDiff: 0)
            f.minBucket = Swift.min(f.minBucket, buckets[i].upperBound)
            f.maxBucket = Swift.max(f.maxBucket, buckets[i].upperBound)
            f.maxDiff = Swift.max(f.maxDiff, prev - curr)
            fix = f
            continue
        }
        prev = curr
    }
    if buckets.count < 2 { return done(.nan) }
    let observations = buckets[buckets.count - 1].count
    if observations == 0 { return done(.nan) }
    var rank = q * observations
    // sort.Search over the first n-1 buckets for count >= rank.
    var lo = 0, hi = buckets.count - 1
    while lo < hi {
        let mid = (lo + hi) / 2
        if buckets[mid].count >= rank { hi = mid } else { lo = mid + 1 }
    }
    let b = lo
    if b == buckets.count - 1 { return done(buckets[buckets.count - 2].upperBound) }
    if b == 0 && buckets[0].upperBound <= 0 { return done(buckets[0].upperBound) }
    var bucketStart = 0.0
    let bucketEnd = buckets[b].upperBound
    var count = buckets[b].count
    if b > 0 {
        bucketStart = buckets[b - 1].upperBound
        count -= buckets[b - 1].count
        rank -= buckets[b - 1].count
    }
    return done(bucketStart + (bucketEnd - bucketStart) * (rank / count))
}

/// Prometheus's almost.Equal: stale markers equal only stale markers, any other NaN equals
/// NaN, else a relative difference below `epsilon` (absolute near zero).
func goAlmostEqual(_ a: Double, _ b: Double, _ epsilon: Double) -> Bool {
    if isStaleNaN(a) || isStaleNaN(b) { return isStaleNaN(a) && isStaleNaN(b) }
    if a.isNaN && b.isNaN { return true }
    if a == b { return true }
    let minNormal = Double(bitPattern: 0x0010_0000_0000_0000)
    let absSum = abs(a) + abs(b), diff = abs(a - b)
    if a == 0 || b == 0 || absSum < minNormal { return diff < epsilon * minNormal }
    return diff / min(absSum, .greatestFiniteMagnitude) < epsilon
}

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

/// `histogram_quantile` over classic buckets (Prometheus's bucketQuantile): sorted by bound,
/// duplicates merged, counts forced monotonic, linear interpolation inside the bucket.
func bucketQuantile(_ q: Double, _ buckets0: [Bucket]) -> Double {
    if q.isNaN { return .nan }
    if q < 0 { return -.infinity }
    if q > 1 { return .infinity }
    var buckets = buckets0
    goSort(&buckets) { $0.upperBound < $1.upperBound }
    guard let last = buckets.last, last.upperBound == .infinity else { return .nan }
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
    // Ensure monotonic counts.
    var maxCount = buckets[0].count
    for i in 1..<buckets.count {
        if buckets[i].count > maxCount {
            maxCount = buckets[i].count
        } else if buckets[i].count < maxCount {
            buckets[i].count = maxCount
        }
    }
    if buckets.count < 2 { return .nan }
    let observations = buckets[buckets.count - 1].count
    if observations == 0 { return .nan }
    var rank = q * observations
    // sort.Search over the first n-1 buckets for count >= rank.
    var lo = 0, hi = buckets.count - 1
    while lo < hi {
        let mid = (lo + hi) / 2
        if buckets[mid].count >= rank { hi = mid } else { lo = mid + 1 }
    }
    let b = lo
    if b == buckets.count - 1 { return buckets[buckets.count - 2].upperBound }
    if b == 0 && buckets[0].upperBound <= 0 { return buckets[0].upperBound }
    var bucketStart = 0.0
    let bucketEnd = buckets[b].upperBound
    var count = buckets[b].count
    if b > 0 {
        bucketStart = buckets[b - 1].upperBound
        count -= buckets[b - 1].count
        rank -= buckets[b - 1].count
    }
    return bucketStart + (bucketEnd - bucketStart) * (rank / count)
}

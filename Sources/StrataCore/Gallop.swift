/// The first index at or after `from` whose element is at least `x`, in an ascending buffer:
/// doubling steps from `from`, then bisecting the last one, so a short skip costs a few
/// comparisons and a long one a logarithm (intersecting postings lists, sliding a query
/// window over a series' timestamps).
@inlinable @inline(__always)
public func gallop<T: Comparable>(_ l: UnsafeBufferPointer<T>, from: Int, to x: T) -> Int {
    var step = 1
    var lo = from
    var hi = from
    while hi < l.count && l[hi] < x {
        lo = hi + 1
        hi += step
        step <<= 1
    }
    hi = min(hi, l.count)
    while lo < hi {
        let mid = (lo + hi) >> 1
        if l[mid] < x { lo = mid + 1 } else { hi = mid }
    }
    return lo
}

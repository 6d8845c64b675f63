/// Step alignment and splitting of range queries (the Cortex/Thanos query frontend's rules),
/// so sub-queries line up with cache intervals and with each other.
public enum RangeSplit {
    /// Start and end moved down to multiples of the step.
    public static func align(start: Int64, end: Int64, step: Int64) -> (Int64, Int64) {
        (start - start % step, end - end % step)
    }

    /// Sub-ranges that each stay inside one `interval` (e.g. one day) and keep the original
    /// step grid: every sub-range starts a whole number of steps after `start`.
    public static func split(start: Int64, end: Int64, step: Int64, interval: Int64) -> [(start: Int64, end: Int64)] {
        guard interval > 0, end > start else { return [(start, end)] }
        var out: [(Int64, Int64)] = []
        var s = start
        while s <= end {
            var e = nextIntervalBoundary(s, step: step, interval: interval)
            if e + step > end { e = end }
            out.append((s, e))
            s = e + step
        }
        return out
    }

    /// The last point of the step grid through `t` before the next interval boundary.
    static func nextIntervalBoundary(_ t: Int64, step: Int64, interval: Int64) -> Int64 {
        let next = (floorDiv(t, interval) + 1) * interval
        var target = next - ((next - t) % step)
        if target == next { target -= step }
        return target
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 { a >= 0 ? a / b : -((-a + b - 1) / b) }
}

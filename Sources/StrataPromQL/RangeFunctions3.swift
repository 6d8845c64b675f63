import StrataCore

/// Range-vector functions whose Prometheus 3.14 behaviour differs from 2.42's, and those added
/// since. The evaluator looks names up here first in 3.14 mode, then in `RangeFunctions`.
enum RangeFunctions3 {
    static let table: [String: RangeFunctions.Fn] = [
        "rate": { p, _, w in extrapolatedRate(p, w, isCounter: true, isRate: true) },
        "increase": { p, _, w in extrapolatedRate(p, w, isCounter: true, isRate: false) },
        "delta": { p, _, w in extrapolatedRate(p, w, isCounter: false, isRate: false) },
        "avg_over_time": { p, _, _ in avgOverTime(p) },
        "double_exponential_smoothing": { p, s, _ in try RangeFunctions.holtWinters(p, sf: s[1], tf: s[2]) },
        "first_over_time": { p, _, _ in p[0].v },
        "ts_of_first_over_time": { p, _, _ in Double(p[0].t) / 1000 },
        "ts_of_last_over_time": { p, _, _ in Double(p[p.count - 1].t) / 1000 },
        "ts_of_max_over_time": { p, _, _ in
            var m = p[0]
            for x in p where x.v >= m.v || m.v.isNaN { m = x }
            return Double(m.t) / 1000
        },
        "ts_of_min_over_time": { p, _, _ in
            var m = p[0]
            for x in p where x.v <= m.v || m.v.isNaN { m = x }
            return Double(m.t) / 1000
        },
        "mad_over_time": { p, _, _ in
            var values = p.map(\.v)
            if values.contains(where: \.isNaN) { return .nan }
            let median = quantile(0.5, values)
            for i in values.indices { values[i] = abs(values[i] - median) }
            return quantile(0.5, values)
        },
    ]

    /// 3.x extrapolation: the gap to the window's start is capped at half a sample interval
    /// first, and only then limited by where a counter would have been zero (2.42 did it the
    /// other way round).
    static func extrapolatedRate(_ p: PointWindow, _ w: RangeWindow, isCounter: Bool, isRate: Bool) -> Double? {
        if p.count < 2 { return nil }
        return extrapolate(RateWindow(p, increase: RangeFunctions.rawIncrease(p, isCounter: isCounter)), w,
                           isCounter: isCounter, isRate: isRate)
    }

    /// The 3.x extrapolation of a window's raw increase.
    static func extrapolate(_ r: RateWindow, _ w: RangeWindow, isCounter: Bool, isRate: Bool) -> Double {
        let rangeStart = w.ts - (w.range + w.offset)
        let rangeEnd = w.ts - w.offset
        let result = r.increase
        var durationToStart = Double(r.firstT - rangeStart) / 1000
        var durationToEnd = Double(rangeEnd - r.lastT) / 1000
        let sampledInterval = Double(r.lastT - r.firstT) / 1000
        let avgBetween = sampledInterval / Double(r.count - 1)
        let threshold = avgBetween * 1.1
        if durationToStart >= threshold { durationToStart = avgBetween / 2 }
        if isCounter {
            var durationToZero = durationToStart
            if result > 0 && r.firstV >= 0 { durationToZero = sampledInterval * (r.firstV / result) }
            if durationToZero < durationToStart { durationToStart = durationToZero }
        }
        if durationToEnd >= threshold { durationToEnd = avgBetween / 2 }
        var factor = 1.0
        if sampledInterval != 0 { factor = (sampledInterval + durationToStart + durationToEnd) / sampledInterval }
        if isRate { factor /= Double(w.range) / 1000 }
        return result * factor
    }

    /// 3.14's mean: a direct Kahan sum divided by the count while the sum stays finite, the
    /// incremental mean once it would overflow.
    static func avgOverTime(_ p: PointWindow) -> Double {
        var sum = p[0].v, count = 1.0, mean = 0.0, c = 0.0
        var incremental = false
        for x in p.dropFirst() {
            count += 1
            if !incremental {
                let (newSum, newC) = KahanSum.inc(x.v, sum, c)
                if !newSum.isInfinite {
                    (sum, c) = (newSum, newC)
                    continue
                }
                incremental = true
                mean = sum / (count - 1)
                c /= count - 1
            }
            let q = (count - 1) / count
            (mean, c) = KahanSum.inc(x.v / count, q * mean, q * c)
        }
        if incremental { return mean + c }
        return sum / count + c / count
    }
}

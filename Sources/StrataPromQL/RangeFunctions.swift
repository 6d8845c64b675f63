/// What rate, increase and delta need of a window of two or more samples: its edges, its
/// size and its raw increase (`RangeFunctions.rawIncrease`).
struct RateWindow {
    let count: Int
    let firstT: Int64
    let firstV: Double
    let lastT: Int64
    let increase: Double

    init(count: Int, firstT: Int64, firstV: Double, lastT: Int64, increase: Double) {
        self.count = count
        self.firstT = firstT
        self.firstV = firstV
        self.lastT = lastT
        self.increase = increase
    }

    init(_ p: PointWindow, increase: Double) {
        self.init(count: p.count, firstT: p[0].t, firstV: p[0].v, lastT: p[p.count - 1].t, increase: increase)
    }
}

/// Functions of a range vector, evaluated per series per step over the points of the window
/// (Prometheus's functions.go). Each returns nil when the series yields no sample.
struct RangeWindow {
    /// Evaluation time of the step.
    var ts: Int64
    /// The selector's range and effective offset (ms).
    var range: Int64
    var offset: Int64
}

/// The points of one window, in time order: a view of the caller's points, so that sliding a
/// window over a series copies nothing (valid for the duration of the call).
typealias PointWindow = UnsafeBufferPointer<Point>

enum RangeFunctions {
    typealias Fn = @Sendable (_ points: PointWindow, _ scalars: [Double], _ w: RangeWindow) throws -> Double?

    static let table: [String: Fn] = [
        "rate": { p, _, w in extrapolatedRate(p, w, isCounter: true, isRate: true) },
        "increase": { p, _, w in extrapolatedRate(p, w, isCounter: true, isRate: false) },
        "delta": { p, _, w in extrapolatedRate(p, w, isCounter: false, isRate: false) },
        "irate": { p, _, _ in instantValue(p, isRate: true) },
        "idelta": { p, _, _ in instantValue(p, isRate: false) },
        "deriv": { p, _, _ in
            if p.count < 2 { return nil }
            return linearRegression(p, interceptTime: p[0].t).slope
        },
        "predict_linear": { p, s, w in
            if p.count < 2 { return nil }
            let (slope, intercept) = linearRegression(p, interceptTime: w.ts)
            return slope * s[1] + intercept
        },
        "holt_winters": { p, s, _ in try holtWinters(p, sf: s[1], tf: s[2]) },
        "avg_over_time": { p, _, _ in avgOverTime(p) },
        "count_over_time": { p, _, _ in Double(p.count) },
        "last_over_time": { p, _, _ in p[p.count - 1].v },
        "present_over_time": { _, _, _ in 1 },
        "absent_over_time": { _, _, _ in 1 },
        "max_over_time": { p, _, _ in
            var m = p[0].v
            for x in p where x.v > m || m.isNaN { m = x.v }
            return m
        },
        "min_over_time": { p, _, _ in
            var m = p[0].v
            for x in p where x.v < m || m.isNaN { m = x.v }
            return m
        },
        "sum_over_time": { p, _, _ in
            var sum = 0.0, c = 0.0
            for x in p { (sum, c) = kahanSumInc(x.v, sum, c) }
            return sum.isInfinite ? sum : sum + c
        },
        "quantile_over_time": { p, s, _ in quantile(s[0], p.map(\.v)) },
        "stddev_over_time": { p, _, _ in stdvarOverTime(p).squareRoot() },
        "stdvar_over_time": { p, _, _ in stdvarOverTime(p) },
        "changes": { p, _, _ in
            var changes = 0.0
            var prev = p[0].v
            for x in p.dropFirst() {
                if x.v != prev && !(x.v.isNaN && prev.isNaN) { changes += 1 }
                prev = x.v
            }
            return changes
        },
        "resets": { p, _, _ in
            var resets = 0.0
            var prev = p[0].v
            for x in p.dropFirst() {
                if x.v < prev { resets += 1 }
                prev = x.v
            }
            return resets
        },
    ]

    /// Last minus first value; for counters each reset adds back the value before it. Shared
    /// by the 2.42 and 3.x extrapolations, which differ only in how they extend it.
    static func rawIncrease(_ p: PointWindow, isCounter: Bool) -> Double {
        var result = p[p.count - 1].v - p[0].v
        if isCounter {
            var prev = p[0].v
            for x in p.dropFirst() {
                if x.v < prev { result += prev }
                prev = x.v
            }
        }
        return result
    }

    /// rate/increase/delta: the increase over the window, extrapolated towards the window's
    /// edges when the samples end near them (never below zero for counters).
    static func extrapolatedRate(_ p: PointWindow, _ w: RangeWindow, isCounter: Bool, isRate: Bool) -> Double? {
        if p.count < 2 { return nil }
        return extrapolate(RateWindow(p, increase: rawIncrease(p, isCounter: isCounter)), w, isCounter: isCounter, isRate: isRate)
    }

    /// The 2.42 extrapolation of a window's raw increase.
    static func extrapolate(_ r: RateWindow, _ w: RangeWindow, isCounter: Bool, isRate: Bool) -> Double {
        let rangeStart = w.ts - (w.range + w.offset)
        let rangeEnd = w.ts - w.offset
        let result = r.increase
        var durationToStart = Double(r.firstT - rangeStart) / 1000
        let durationToEnd = Double(rangeEnd - r.lastT) / 1000
        let sampledInterval = Double(r.lastT - r.firstT) / 1000
        let avgBetween = sampledInterval / Double(r.count - 1)
        if isCounter && result > 0 && r.firstV >= 0 {
            let durationToZero = sampledInterval * (r.firstV / result)
            if durationToZero < durationToStart { durationToStart = durationToZero }
        }
        let threshold = avgBetween * 1.1
        var extrapolateTo = sampledInterval
        extrapolateTo += durationToStart < threshold ? durationToStart : avgBetween / 2
        extrapolateTo += durationToEnd < threshold ? durationToEnd : avgBetween / 2
        var factor = extrapolateTo / sampledInterval
        if isRate { factor /= Double(w.range) / 1000 }
        return result * factor
    }

    static func instantValue(_ p: PointWindow, isRate: Bool) -> Double? {
        if p.count < 2 { return nil }
        let last = p[p.count - 1], prev = p[p.count - 2]
        var result = isRate && last.v < prev.v ? last.v : last.v - prev.v
        let interval = last.t - prev.t
        if interval == 0 { return nil }
        if isRate { result /= Double(interval) / 1000 }
        return result
    }

    static func linearRegression(_ p: PointWindow, interceptTime: Int64) -> (slope: Double, intercept: Double) {
        var n = 0.0
        var sumX = 0.0, cX = 0.0, sumY = 0.0, cY = 0.0, sumXY = 0.0, cXY = 0.0, sumX2 = 0.0, cX2 = 0.0
        let initY = p[0].v
        var constY = true
        for (i, s) in p.enumerated() {
            if constY && i > 0 && s.v != initY { constY = false }
            n += 1
            let x = Double(s.t - interceptTime) / 1e3
            (sumX, cX) = kahanSumInc(x, sumX, cX)
            (sumY, cY) = kahanSumInc(s.v, sumY, cY)
            (sumXY, cXY) = kahanSumInc(x * s.v, sumXY, cXY)
            (sumX2, cX2) = kahanSumInc(x * x, sumX2, cX2)
        }
        if constY {
            if initY.isInfinite { return (.nan, .nan) }
            return (0, initY)
        }
        sumX += cX
        sumY += cY
        sumXY += cXY
        sumX2 += cX2
        let covXY = sumXY - sumX * sumY / n
        let varX = sumX2 - sumX * sumX / n
        let slope = covXY / varX
        let intercept = sumY / n - slope * sumX / n
        return (slope, intercept)
    }

    static func holtWinters(_ p: PointWindow, sf: Double, tf: Double) throws -> Double? {
        if sf <= 0 || sf >= 1 {
            throw QueryError.execution("invalid smoothing factor. Expected: 0 < sf < 1, got: \(goFixed6(sf))")
        }
        if tf <= 0 || tf >= 1 {
            throw QueryError.execution("invalid trend factor. Expected: 0 < tf < 1, got: \(goFixed6(tf))")
        }
        if p.count < 2 { return nil }
        var s0 = 0.0, s1 = p[0].v
        var b = p[1].v - p[0].v
        for i in 1..<p.count {
            let x = sf * p[i].v
            if i - 1 != 0 { b = tf * (s1 - s0) + (1 - tf) * b }
            let y = (1 - sf) * (s1 + b)
            s0 = s1
            s1 = x + y
        }
        return s1
    }

    static func avgOverTime(_ p: PointWindow) -> Double {
        var mean = 0.0, count = 0.0, c = 0.0
        for x in p {
            count += 1
            if mean.isInfinite {
                if x.v.isInfinite && (mean > 0) == (x.v > 0) { continue }
                if !x.v.isInfinite && !x.v.isNaN { continue }
            }
            (mean, c) = kahanSumInc(x.v / count - mean / count, mean, c)
        }
        return mean.isInfinite ? mean : mean + c
    }

    static func stdvarOverTime(_ p: PointWindow) -> Double {
        var count = 0.0, mean = 0.0, cMean = 0.0, aux = 0.0, cAux = 0.0
        for x in p {
            count += 1
            let delta = x.v - (mean + cMean)
            (mean, cMean) = kahanSumInc(delta / count, mean, cMean)
            (aux, cAux) = kahanSumInc(delta * (x.v - (mean + cMean)), aux, cAux)
        }
        return (aux + cAux) / count
    }
}

/// Go's `%f`: six decimals.
func goFixed6(_ v: Double) -> String {
    if v.isNaN { return "NaN" }
    if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
    let scaled = (abs(v) * 1e6).rounded()
    let intPart = Int64(scaled / 1e6)
    let frac = Int64(scaled) - intPart * 1_000_000
    var f = String(frac)
    while f.count < 6 { f = "0" + f }
    return (v < 0 ? "-" : "") + "\(intPart).\(f)"
}

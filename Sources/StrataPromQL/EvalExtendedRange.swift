import StrataCore

/// The experimental extended range selectors of Prometheus 3.x (`anchored`, `smoothed`):
/// an anchored range starts from the last sample at or before its start (up to a lookback
/// delta back); a smoothed one interpolates values at both edges from the samples around
/// them, and a smoothed instant selector interpolates at each step. Only the functions that
/// make sense on such windows accept them.
extension Evaluator {
    static let anchoredFunctions = ["changes", "delta", "increase", "rate", "resets"]
    static let smoothedFunctions = ["delta", "increase", "rate"]

    /// The floats and histograms of `s` in (mint, maxt], without stale markers.
    func samples(_ s: StorageSeries, after mint: Int64, upTo maxt: Int64) -> ([Point], [HPoint]) {
        var floats: [Point] = [], hists: [HPoint] = []
        window(s.samples, mint &+ 1, maxt, &floats)
        if !s.histograms.isEmpty { histogramWindow(s.histograms, mint &+ 1, maxt, &hists) }
        return (floats, hists)
    }

    /// `metric smoothed`: at each step the sample at the step's time, interpolated between
    /// the samples around it within a lookback delta either side (the last one carried forward
    /// when none follows).
    func evalSmoothedSelector(_ vs: VectorSelector, pos: SourcePos?) throws -> [Series] {
        let offset = effectiveOffset(vs.offset, vs.at), lb = shared.lookbackDelta
        var mat: [Series] = []
        for s in seriesFor(vs) {
            try shared.checkDeadline("expression evaluation")
            var out = Series(labels: s.labels, points: [])
            let metric = s.labels.metricName
            var ts = start
            while ts <= end {
                defer { ts += interval }
                let t = ts - offset
                let (floats, hists) = samples(s, after: t - lb, upTo: t + lb)
                if !floats.isEmpty && !hists.isEmpty {
                    shared.annotations.warn(AnnotationText.mixedFloatsHistograms(metric), pos)
                    continue
                }
                if !hists.isEmpty {
                    let i = hists.firstIndex { $0.t >= t } ?? hists.count
                    if i < hists.count, hists[i].t == t {
                        out.histograms.append(HPoint(t: ts, h: hists[i].h))
                    } else if i > 0 && i < hists.count {
                        let prev = hists[i - 1], next = hists[i]
                        if prev.h.usesCustomBuckets != next.h.usesCustomBuckets {
                            shared.annotations.warn(AnnotationText.mixedExponentialCustom(metric), pos)
                            continue
                        }
                        let isCounter = prev.h.counterResetHint != .gauge || next.h.counterResetHint != .gauge
                        guard let h = interpolate(prev, next, at: t, isCounter: isCounter, metric: metric, pos: pos) else { continue }
                        out.histograms.append(HPoint(t: ts, h: h))
                    } else if i > 0 {
                        var h = hists[i - 1].h
                        h.counterResetHint = .unknown
                        out.histograms.append(HPoint(t: ts, h: h))
                    }
                } else if !floats.isEmpty {
                    let i = floats.firstIndex { $0.t >= t } ?? floats.count
                    if i < floats.count, floats[i].t == t {
                        out.points.append(Point(t: ts, v: floats[i].v))
                    } else if i > 0 && i < floats.count {
                        out.points.append(Point(t: ts, v: Self.interpolate(floats[i - 1], floats[i], at: t, isCounter: false)))
                    } else if i > 0 {
                        out.points.append(Point(t: ts, v: floats[i - 1].v))
                    }
                }
            }
            if out.sampleCount > 0 {
                try shared.add(out.sampleCount)
                mat.append(out)
            }
        }
        return mat
    }

    /// `metric[5m] anchored` / `smoothed` evaluated as a range vector: the samples inside the
    /// range with a sample added at each edge (Prometheus's extendFloats).
    func evalExtendedMatrixSelector(_ vs: VectorSelector, range: Int64) throws -> [Series] {
        let offset = effectiveOffset(vs.offset, vs.at), lb = shared.lookbackDelta
        let maxt = start - offset, mint = maxt - range
        var mat: [Series] = []
        for s in seriesFor(vs) {
            let (floats, hists) = samples(s, after: mint - lb, upTo: vs.smoothed ? maxt + lb : maxt)
            if !hists.isEmpty {
                throw fail("\(vs.anchored ? "anchored" : "smoothed") modifier is not supported with histograms")
            }
            let pts = Self.extendFloats(floats, mint, maxt, smoothed: vs.smoothed)
            if !pts.isEmpty {
                try shared.add(pts.count)
                mat.append(Series(labels: s.labels, points: pts))
            }
        }
        return mat
    }

    static func extendFloats(_ f: [Point], _ mint: Int64, _ maxt: Int64, smoothed: Bool) -> [Point] {
        guard var (first, last) = edges(f.map(\.t), mint, maxt, smoothed: smoothed) else { return [] }
        let left = pickLeft(f, first, mint, smoothed: smoothed, isCounter: false)
        let right = pickRight(f, last, maxt, smoothed: smoothed, isCounter: false)
        if f[first].t <= mint { first += 1 }
        if f[last].t >= maxt { last -= 1 }
        return [Point(t: mint, v: left)] + (first <= last ? Array(f[first...last]) : []) + [Point(t: maxt, v: right)]
    }

    /// The first sample used (the last at or before `rangeStart`, else the first) and the last
    /// (for smoothed, the first at or after `rangeEnd`); nil when no sample is after the start
    /// or, smoothed, none is before the end.
    static func edges(_ ts: [Int64], _ rangeStart: Int64, _ rangeEnd: Int64, smoothed: Bool) -> (Int, Int)? {
        guard !ts.isEmpty else { return nil }
        var last = ts.count - 1
        let first = max(0, (ts[0..<last].firstIndex { $0 > rangeStart } ?? last) - 1)
        if smoothed { last = ts[0..<last].firstIndex { $0 >= rangeEnd } ?? last }
        if ts[last] <= rangeStart { return nil }
        if smoothed && ts[first] > rangeEnd { return nil }
        return (first, last)
    }

    static func interpolate(_ p1: Point, _ p2: Point, at t: Int64, isCounter: Bool) -> Double {
        let y1 = isCounter && p2.v < p1.v ? 0 : p1.v
        return y1 + (p2.v - y1) * Double(t - p1.t) / Double(p2.t - p1.t)
    }

    static func pickLeft(_ f: [Point], _ first: Int, _ rangeStart: Int64, smoothed: Bool, isCounter: Bool) -> Double {
        if smoothed && f[first].t < rangeStart { return interpolate(f[first], f[first + 1], at: rangeStart, isCounter: isCounter) }
        return f[first].v
    }

    static func pickRight(_ f: [Point], _ last: Int, _ rangeEnd: Int64, smoothed: Bool, isCounter: Bool) -> Double {
        if smoothed && last > 0 && f[last].t > rangeEnd { return interpolate(f[last - 1], f[last], at: rangeEnd, isCounter: isCounter) }
        return f[last].v
    }

    /// A histogram between two samples at `t`; after a counter reset the counter is taken to
    /// restart from zero. Nil (with a warning) when the two cannot be combined.
    func interpolate(_ p1: HPoint, _ p2: HPoint, at t: Int64, isCounter: Bool, metric: String, pos: SourcePos?) -> FloatHistogram? {
        if t == p1.t { return p1.h }
        if t == p2.t { return p2.h }
        let fraction = Double(t - p1.t) / Double(p2.t - p1.t)
        var result = p2.h
        if isCounter && p2.h.detectReset(previous: p1.h) {
            result.mul(fraction)
            return result
        }
        guard combine(&result, p1.h, subtract: true, metric: metric, pos: pos) else { return nil }
        result.mul(fraction)
        guard combine(&result, p1.h, subtract: false, metric: metric, pos: pos) else { return nil }
        return result
    }

    /// `base ± other` with Prometheus's annotations; false (with a warning) when the two
    /// cannot be combined.
    func combine(_ base: inout FloatHistogram, _ other: FloatHistogram, subtract: Bool, metric: String, pos: SourcePos?) -> Bool {
        do {
            let info = subtract ? try base.sub(other) : try base.add(other)
            if info.nhcbBoundsReconciled {
                shared.annotations.info(AnnotationText.mismatchedCustomBuckets(subtract ? "subtraction" : "addition"), pos)
            }
            return true
        } catch {
            shared.annotations.warn(AnnotationText.mixedExponentialCustom(metric), pos)
            return false
        }
    }
}

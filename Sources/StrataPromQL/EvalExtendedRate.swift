import StrataCore

/// Functions over anchored and smoothed range selectors: rate/increase/delta from the
/// (interpolated) edge values with counter resets corrected in between (Prometheus's
/// extendedRate and extendedHistogramRate), and changes/resets from the anchor sample.
extension Evaluator {
    func evalExtendedRangeCall(_ c: Call, _ vs: VectorSelector, range: Int64, matrixIndex mi: Int) throws -> [Series] {
        let name = c.function.name
        let (kind, allowed) = vs.anchored ? ("anchored", Self.anchoredFunctions) : ("smoothed", Self.smoothedFunctions)
        guard allowed.contains(name) else {
            throw fail("\(kind) modifier can only be used with: \(allowed.joined(separator: ", ")) - not with \(name)")
        }
        let offset = effectiveOffset(vs.offset, vs.at), lb = shared.lookbackDelta
        let pos = c.argPosition(mi)
        var mat: [Series] = []
        for s in seriesFor(vs) {
            try shared.checkDeadline("expression evaluation")
            var out = Series(labels: nameDropped(s.labels), points: [], dropName: true)
            let metric = s.labels.metricName
            var ts = start
            while ts <= end {
                defer { ts += interval }
                let rangeEnd = ts - offset, rangeStart = rangeEnd - range
                let (floats, hists) = samples(s, after: rangeStart - lb, upTo: vs.smoothed ? rangeEnd + lb : rangeEnd)
                if floats.isEmpty && hists.isEmpty { continue }
                switch name {
                case "changes", "resets":
                    guard let (ff, fh) = Self.anchorIndices(floats, hists, rangeStart) else { continue }
                    out.points.append(Point(t: ts, v: changesOrResets(Array(floats[ff...]), Array(hists[fh...]), resets: name == "resets")))
                default:
                    let isCounter = name != "delta", isRate = name == "rate"
                    if !floats.isEmpty && !hists.isEmpty {
                        shared.annotations.warn(AnnotationText.mixedFloatsHistograms(metric), pos)
                    } else if !hists.isEmpty {
                        if var h = extendedHistogramRate(hists, rangeStart, rangeEnd, smoothed: vs.smoothed, isCounter: isCounter,
                                                         HistogramWindowContext(metric: metric, pos: pos)) {
                            if isRate { h.div(Double(range) / 1000) }
                            h.counterResetHint = .gauge
                            h.compact(maxEmptyBuckets: 0)
                            out.histograms.append(HPoint(t: ts, h: h))
                        }
                    } else if var v = Self.extendedRate(floats, rangeStart, rangeEnd, smoothed: vs.smoothed, isCounter: isCounter) {
                        if isRate { v /= Double(range) / 1000 }
                        out.points.append(Point(t: ts, v: v))
                    }
                }
            }
            if out.sampleCount > 0 {
                try shared.add(out.sampleCount)
                mat.append(out)
                if !out.points.isEmpty { notePossibleNonCounter(name, s.labels, c) }
            }
        }
        try checkNoDuplicateLabelsets(mat)
        return mat
    }

    /// Right edge minus left edge, plus for counters every reset in between.
    static func extendedRate(_ f: [Point], _ rangeStart: Int64, _ rangeEnd: Int64, smoothed: Bool, isCounter: Bool) -> Double? {
        guard var (first, last) = edges(f.map(\.t), rangeStart, rangeEnd, smoothed: smoothed) else { return nil }
        let left = pickLeft(f, first, rangeStart, smoothed: smoothed, isCounter: isCounter)
        let right = pickRight(f, last, rangeEnd, smoothed: smoothed, isCounter: isCounter)
        var result = right - left
        if isCounter {
            // Only samples strictly inside the range: the edges already handle resets there.
            if f[first].t <= rangeStart { first += 1 }
            if f[last].t >= rangeEnd { last -= 1 }
            var prev = left
            if first <= last {
                for p in f[first...last] {
                    if p.v < prev { result += prev }
                    prev = p.v
                }
            }
            if right < prev { result += prev }
        }
        return result
    }

    /// The histogram version: edges picked or interpolated, resets between them corrected.
    func extendedHistogramRate(_ h: [HPoint], _ rangeStart: Int64, _ rangeEnd: Int64, smoothed: Bool, isCounter: Bool,
                               _ ctx: HistogramWindowContext) -> FloatHistogram? {
        let metric = ctx.metric, pos = ctx.pos
        guard let (first, last) = Self.edges(h.map(\.t), rangeStart, rangeEnd, smoothed: smoothed) else { return nil }
        let custom = h[first].h.usesCustomBuckets
        for p in h[first...last] {
            if p.h.usesCustomBuckets != custom {
                shared.annotations.warn(AnnotationText.mixedExponentialCustom(metric), pos)
                return nil
            }
            if isCounter && p.h.counterResetHint == .gauge { shared.annotations.warn(AnnotationText.notCounter(metric), pos) }
        }
        var left = h[first].h, right = h[last].h
        if smoothed && h[first].t < rangeStart {
            guard let l = interpolate(h[first], h[first + 1], at: rangeStart, isCounter: isCounter, metric: metric, pos: pos) else { return nil }
            left = l
        }
        if smoothed && last > 0 && h[last].t > rangeEnd {
            guard let r = interpolate(h[last - 1], h[last], at: rangeEnd, isCounter: isCounter, metric: metric, pos: pos) else { return nil }
            right = r
        }
        if !isCounter && (left.counterResetHint != .gauge || right.counterResetHint != .gauge) {
            shared.annotations.warn(AnnotationText.notGauge(metric), pos)
        }
        var result = right
        guard combine(&result, left, subtract: true, metric: metric, pos: pos) else { return nil }
        guard isCounter else { return result }
        // Resets between the edges (the edges themselves are the first and last sample).
        var from = first + 1
        var prev = left
        if smoothed && h[first].t < rangeStart && h[first + 1].h.detectReset(previous: h[first].h) {
            // The left interpolation already spans this reset.
            prev = h[first + 1].h
            from += 1
        }
        let to = last - 1
        if from > to + 1 { return result }
        var correction: FloatHistogram?
        func addCorrection(_ x: FloatHistogram) -> Bool {
            guard var c = correction else {
                correction = x
                return true
            }
            defer { correction = c }
            return combine(&c, x, subtract: false, metric: metric, pos: pos)
        }
        if from <= to {
            for p in h[from...to] {
                if p.h.detectReset(previous: prev) && !addCorrection(prev) { return nil }
                prev = p.h
            }
        }
        if right.detectReset(previous: prev) && !addCorrection(prev) { return nil }
        if let correction, !combine(&result, correction, subtract: false, metric: metric, pos: pos) { return nil }
        return result
    }

    /// Where changes()/resets() start over an anchored range: at the most recent sample at or
    /// before the range start, float or histogram; nil when no sample is inside the range.
    static func anchorIndices(_ floats: [Point], _ hists: [HPoint], _ rangeStart: Int64) -> (Int, Int)? {
        let lastFloatLE = (floats.firstIndex { $0.t > rangeStart } ?? floats.count) - 1
        let lastHistLE = (hists.firstIndex { $0.t > rangeStart } ?? hists.count) - 1
        if lastFloatLE + 1 >= floats.count && lastHistLE + 1 >= hists.count { return nil }
        if lastFloatLE < 0 && lastHistLE < 0 { return (0, 0) }
        if lastHistLE < 0 || (lastFloatLE >= 0 && floats[lastFloatLE].t >= hists[lastHistLE].t) {
            return (lastFloatLE, lastHistLE + 1)
        }
        return (lastFloatLE + 1, lastHistLE)
    }
}

import StrataCore

/// What a range function yields for one step: a float or a native histogram.
enum RangeOutput {
    case float(Double)
    case histogram(FloatHistogram)
}

/// Range functions over windows that hold native histograms (Prometheus 3.14's
/// functions.go): rate/increase/delta and irate/idelta of histograms with their
/// counter-reset and gauge rules, sum/avg/first/last/count over time, changes and resets
/// across floats and histograms. Functions defined for floats only use the window's
/// floats and say with an info that histograms were ignored.
struct HistogramWindowContext {
    var metric: String
    var pos: SourcePos?
}

extension Evaluator {
    /// A range function over one series holding native histograms, step by step: windows
    /// with histograms go through `histogramRangeFunction`, float-only ones through `fn`.
    func mixedRangeSeries(_ s: StorageSeries, labels: Labels, name: String, fn: RangeFunctions.Fn, scalarArgs: [[Series]],
                          matrixIndex mi: Int, range: Int64, offset: Int64, fixedWindow: Bool,
                          _ ctx: HistogramWindowContext) throws -> Series {
        var out = Series(labels: labels, points: [])
        var scalars = [Double](repeating: .nan, count: scalarArgs.count)
        var floats: [Point] = [], hists: [HPoint] = []
        var ts = start
        var step = 0
        while ts <= end {
            for j in scalarArgs.indices where j != mi {
                scalars[j] = scalarArgs[j].first.map { step < $0.points.count ? $0.points[step].v : .nan } ?? .nan
            }
            let maxt = (fixedWindow ? start : ts) - offset, mint = maxt - range + shared.windowStartShift
            floats.removeAll(keepingCapacity: true)
            hists.removeAll(keepingCapacity: true)
            window(s.samples, mint, maxt, &floats)
            histogramWindow(s.histograms, mint, maxt, &hists)
            let w = RangeWindow(ts: ts, range: range, offset: offset)
            if !hists.isEmpty {
                switch try histogramRangeFunction(name, floats, hists, scalars, w, ctx, floatFunction: fn) {
                case .float(let v)?: out.points.append(Point(t: ts, v: v))
                case .histogram(let h)?: out.histograms.append(HPoint(t: ts, h: h))
                case nil: break
                }
            } else if !floats.isEmpty, let v = try floats.withUnsafeBufferPointer({ try fn($0, scalars, w) }) {
                out.points.append(Point(t: ts, v: v))
            }
            ts += interval
            step += 1
        }
        return out
    }

    func histogramRangeFunction(_ name: String, _ floats: [Point], _ hists: [HPoint], _ scalars: [Double], _ w: RangeWindow,
                                _ ctx: HistogramWindowContext, floatFunction: RangeFunctions.Fn) throws -> RangeOutput? {
        let metric = ctx.metric, pos = ctx.pos
        switch name {
        case "rate", "increase", "delta":
            if !floats.isEmpty {
                shared.annotations.warn(AnnotationText.mixedFloatsHistograms(metric), pos)
                return nil
            }
            return histogramExtrapolatedRate(hists, w, isCounter: name != "delta", isRate: name == "rate", ctx).map(RangeOutput.histogram)
        case "irate", "idelta":
            return histogramInstantValue(floats, hists, isRate: name == "irate", ctx)
        case "count_over_time": return .float(Double(floats.count + hists.count))
        case "present_over_time", "absent_over_time": return .float(1)
        case "last_over_time":
            if let f = floats.last, f.t > hists[hists.count - 1].t { return .float(f.v) }
            return .histogram(hists[hists.count - 1].h)
        case "first_over_time":
            if let f = floats.first, f.t < hists[0].t { return .float(f.v) }
            return .histogram(hists[0].h)
        case "ts_of_last_over_time":
            return .float(Double(max(floats.last?.t ?? Int64.min, hists[hists.count - 1].t)) / 1000)
        case "ts_of_first_over_time":
            return .float(Double(min(floats.first?.t ?? Int64.max, hists[0].t)) / 1000)
        case "sum_over_time", "avg_over_time":
            if !floats.isEmpty {
                shared.annotations.warn(AnnotationText.mixedFloatsHistograms(metric), pos)
                return nil
            }
            return histogramSumOverTime(hists, average: name == "avg_over_time", ctx).map(RangeOutput.histogram)
        case "changes", "resets":
            return .float(changesOrResets(floats, hists, resets: name == "resets"))
        default:
            if floats.isEmpty { return nil }
            shared.annotations.info(AnnotationText.ignoredInMixedRange(metric), pos)
            return try floats.withUnsafeBufferPointer { try floatFunction($0, scalars, w) }.map(RangeOutput.float)
        }
    }

    /// rate/increase/delta of a window of histograms: last minus first, for counters
    /// corrected for each reset, extrapolated like floats (with the count as the value that
    /// cannot go below zero).
    func histogramExtrapolatedRate(_ p: [HPoint], _ w: RangeWindow, isCounter: Bool, isRate: Bool,
                                   _ ctx: HistogramWindowContext) -> FloatHistogram? {
        guard p.count >= 2, var result = histogramRate(p, isCounter: isCounter, ctx) else { return nil }
        let rangeStart = w.ts - (w.range + w.offset), rangeEnd = w.ts - w.offset
        var durationToStart = Double(p[0].t - rangeStart) / 1000
        var durationToEnd = Double(rangeEnd - p[p.count - 1].t) / 1000
        let sampledInterval = Double(p[p.count - 1].t - p[0].t) / 1000
        let avgBetween = sampledInterval / Double(p.count - 1)
        let threshold = avgBetween * 1.1
        if durationToStart >= threshold { durationToStart = avgBetween / 2 }
        if isCounter, result.count > 0, p[0].h.count >= 0 {
            let durationToZero = sampledInterval * (p[0].h.count / result.count)
            if durationToZero < durationToStart { durationToStart = durationToZero }
        }
        if durationToEnd >= threshold { durationToEnd = avgBetween / 2 }
        var factor = sampledInterval != 0 ? (sampledInterval + durationToStart + durationToEnd) / sampledInterval : 1
        if isRate { factor /= Double(w.range) / 1000 }
        result.mul(factor)
        return result
    }

    /// Prometheus's histogramRate: last minus first at the smallest schema in the window,
    /// adding back the histogram before each counter reset; a gauge result.
    func histogramRate(_ points: [HPoint], isCounter: Bool, _ ctx: HistogramWindowContext) -> FloatHistogram? {
        let metric = ctx.metric, pos = ctx.pos
        var prev = points[0].h
        let last = points[points.count - 1].h
        var usingCustom = prev.usesCustomBuckets
        if isCounter && (prev.counterResetHint == .gauge || last.counterResetHint == .gauge) {
            shared.annotations.warn(AnnotationText.notCounter(metric), pos)
        }
        // A reset between the first two samples: the first one's layout does not matter.
        if isCounter, points[1].h.detectReset(previous: prev) {
            let second = points[1].h
            prev = FloatHistogram(schema: second.schema, customValues: second.customValues)
            usingCustom = second.usesCustomBuckets
        }
        if last.usesCustomBuckets != usingCustom {
            shared.annotations.warn(AnnotationText.mixedExponentialCustom(metric), pos)
            return nil
        }
        var minSchema = min(last.schema, prev.schema)
        for p in points.dropFirst().dropLast() where isCounter {
            if p.h.counterResetHint == .gauge { shared.annotations.warn(AnnotationText.notCounter(metric), pos) }
            minSchema = min(minSchema, p.h.schema)
            if p.h.usesCustomBuckets != usingCustom {
                shared.annotations.warn(AnnotationText.mixedExponentialCustom(metric), pos)
                return nil
            }
        }
        var h = last.copy(toSchema: minSchema)
        do {
            if try h.sub(prev).nhcbBoundsReconciled {
                shared.annotations.info(AnnotationText.mismatchedCustomBuckets("subtraction"), pos)
            }
        } catch {
            shared.annotations.warn(AnnotationText.mixedExponentialCustom(metric), pos)
            return nil
        }
        if isCounter {
            for p in points.dropFirst() {
                if p.h.detectReset(previous: prev) {
                    do {
                        if try h.add(prev).nhcbBoundsReconciled {
                            shared.annotations.info(AnnotationText.mismatchedCustomBuckets("addition"), pos)
                        }
                    } catch {
                        shared.annotations.warn(AnnotationText.mixedExponentialCustom(metric), pos)
                        return nil
                    }
                }
                prev = p.h
            }
        } else if points[0].h.counterResetHint != .gauge || last.counterResetHint != .gauge {
            shared.annotations.warn(AnnotationText.notGauge(metric), pos)
        }
        h.counterResetHint = .gauge
        h.compact(maxEmptyBuckets: 0)
        return h
    }

    /// irate/idelta over the last two samples of the window, floats and histograms together.
    func histogramInstantValue(_ floats: [Point], _ hists: [HPoint], isRate: Bool, _ ctx: HistogramWindowContext) -> RangeOutput? {
        if floats.count + hists.count < 2 { return nil }
        var last2: [(t: Int64, v: Double, h: FloatHistogram?)] = floats.suffix(2).map { ($0.t, $0.v, nil) }
        for p in hists.suffix(2) {
            last2.append((p.t, 0, p.h))
        }
        last2.sort { $0.t < $1.t }
        let a = last2[last2.count - 2], b = last2[last2.count - 1]
        let interval = b.t - a.t
        if interval == 0 { return nil }
        switch (a.h, b.h) {
        case (nil, nil):
            var r = b.v
            if !isRate || !(b.v < a.v) { r = b.v - a.v }
            return .float(isRate ? r / (Double(interval) / 1000) : r)
        case (let ha?, let hb?):
            var r = hb
            if isRate && (hb.counterResetHint == .gauge || ha.counterResetHint == .gauge) {
                shared.annotations.warn(AnnotationText.notCounter(ctx.metric), ctx.pos)
            }
            if !isRate && (hb.counterResetHint != .gauge || ha.counterResetHint != .gauge) {
                shared.annotations.warn(AnnotationText.notGauge(ctx.metric), ctx.pos)
            }
            if !isRate || !hb.detectReset(previous: ha) {
                do {
                    if try r.sub(ha).nhcbBoundsReconciled {
                        shared.annotations.info(AnnotationText.mismatchedCustomBuckets("subtraction"), ctx.pos)
                    }
                } catch {
                    shared.annotations.warn(AnnotationText.mixedExponentialCustom(ctx.metric), ctx.pos)
                    return nil
                }
            }
            r.counterResetHint = .gauge
            r.compact(maxEmptyBuckets: 0)
            if isRate { r.div(Double(interval) / 1000) }
            return .histogram(r)
        default:
            shared.annotations.warn(AnnotationText.mixedFloatsHistograms(ctx.metric), ctx.pos)
            return nil
        }
    }

    /// sum_over_time / avg_over_time of histograms, Kahan-compensated; the average switches
    /// to the incremental mean when the sum would overflow.
    func histogramSumOverTime(_ hists: [HPoint], average: Bool, _ ctx: HistogramWindowContext) -> FloatHistogram? {
        var agg = HistogramAggregate(value: hists[0].h)
        agg.noteHint(hists[0].h)
        let op: AggregateOp = average ? .avg : .sum
        for (i, p) in hists.enumerated().dropFirst() {
            addHistogram(op, &agg, p.h, count: Double(i + 1), metric: ctx.metric, pos: ctx.pos)
            if agg.incompatible { return nil }
        }
        return finishHistogram(op, agg, count: Double(hists.count), pos: ctx.pos)
    }

    /// changes() and resets() over floats and histograms in time order: a switch between
    /// a float and a histogram counts as both.
    func changesOrResets(_ floats: [Point], _ hists: [HPoint], resets: Bool) -> Double {
        var merged: [(t: Int64, v: Double, h: FloatHistogram?)] = floats.map { ($0.t, $0.v, nil) }
        merged += hists.map { ($0.t, 0, $0.h) }
        merged.sort { $0.t < $1.t }
        var n = 0.0
        for (prev, cur) in zip(merged, merged.dropFirst()) {
            switch (prev.h, cur.h) {
            case (nil, nil):
                if resets ? cur.v < prev.v : (cur.v != prev.v && !(cur.v.isNaN && prev.v.isNaN)) { n += 1 }
            case (let ph?, let ch?):
                if resets ? ch.detectReset(previous: ph) : !ch.equals(ph) { n += 1 }
            default:
                n += 1
            }
        }
        return n
    }
}

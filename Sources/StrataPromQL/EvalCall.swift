import StrataCore

/// Function calls: the range-vector path walks each series once over all steps with a
/// sliding window; instant-vector functions go through rangeEval.
extension Evaluator {
    func evalCall(_ c: Call) throws -> [Series] {
        let name = c.function.name
        var st = FunctionState(compat: shared.compat, delayNameRemoval: shared.delayNameRemoval)
        defer { shared.annotations.merge(st.annotations) }
        if name == "info" { return try evalInfo(c) }
        if name.hasPrefix("sort"), start != end, shared.compat == .v3_14 {
            shared.annotations.warn("sort is ineffective for range queries since results are always ordered by labels", c.pos)
        }
        if name == "timestamp", case .vectorSelector(let vs) = c.args[0].unwrapped {
            return try rangeEval([]) { inp in
                var offset = effectiveOffset(vs.offset, nil)
                if case .timestamp(let t) = vs.at { offset = inp.ts - t }
                inp.vectors = [vectorSelectorAt(vs, inp.ts, offset: offset)]
                return try InstantFunctions.call(c, inp, &st)
            }
        }
        var matrixIndex: Int?
        for (i, a) in c.args.enumerated() {
            switch a.unwrapped {
            case .matrixSelector, .subquery: matrixIndex = i
            default: continue
            }
            break
        }
        guard let mi = matrixIndex else {
            if let mapped = try evalElementwise(c) { return mapped }
            return try rangeEvalFunction(c, &st)
        }
        if case .matrixSelector(let vs, let r) = c.args[mi].unwrapped, vs.anchored || vs.smoothed {
            return try evalExtendedRangeCall(c, vs, range: r, matrixIndex: mi)
        }
        let fn3 = shared.compat == .v3_14 ? RangeFunctions3.table[name] : nil
        guard let fn = fn3 ?? RangeFunctions.table[name] else {
            throw fail("function \(goQuote(name)) does not take a range vector")
        }

        // The range argument as storage-like columns, its range and effective offset.
        var input: [StorageSeries]
        let range: Int64, offset: Int64
        var fromSubquery = false
        // Marks of a subquery's series (a name-dropping function inside it still counts).
        var inputDropName: [Bool] = []
        // 3.x: with `@` the range is read once, at the first step, and reused at every step
        // (only arguments without `@` vary); 2.42 moved the window with each step.
        var fixedWindow = false
        switch c.args[mi].unwrapped {
        case .matrixSelector(let vs, let r):
            range = r
            offset = effectiveOffset(vs.offset, vs.at)
            fixedWindow = vs.at != nil && shared.compat == .v3_14
            input = selectedSeries(vs, delta: r, offset: offset, fixedAt: fixedWindow)
        case .subquery(let sq):
            let mat = try evalSubquery(sq)
            inputDropName = mat.map(\.dropName)
            input = mat.map { s in
                // Counter-reset hints say nothing about the subquery's sparser (or denser) samples:
                // reset and not-reset become unknown, as Prometheus does.
                StorageSeries(labels: s.labels, samples: SampleColumns(timestamps: s.points.map(\.t), values: s.points.map(\.v)),
                              histograms: HistogramColumns(timestamps: s.histograms.map(\.t), histograms: s.histograms.map { p in
                                  var h = p.h
                                  if h.counterResetHint == .counterReset || h.counterResetHint == .notCounterReset { h.counterResetHint = .unknown }
                                  return h
                              }))
            }
            range = sq.range
            offset = effectiveOffset(sq.offset, sq.at)
            fixedWindow = sq.at != nil && shared.compat == .v3_14
            fromSubquery = true
        default:
            preconditionFailure("matrix argument checked above")
        }
        let subquerySamples = fromSubquery ? input.reduce(0) { $0 + $1.sampleCount } : 0
        defer { shared.currentSamples -= subquerySamples }

        // Scalar arguments, one value per step.
        var scalarArgs: [[Series]] = []
        for (i, a) in c.args.enumerated() {
            scalarArgs.append(i == mi ? [] : try eval(a).matrix)
        }
        var mat: [Series] = []
        let keepName = name == "last_over_time" || name == "first_over_time"
        let job = FloatWindowJob(fn: fn, scalarsByStep: scalarsByStep(scalarArgs, matrixIndex: mi, count: c.args.count), args: c.args.count,
                                 range: range, offset: offset, fixedWindow: fixedWindow, shift: shared.windowStartShift,
                                 checkQuantile: name == "quantile_over_time" && shared.compat == .v3_14,
                                 rate: shared.columnar ? DirectRate(function: name, compat: shared.compat) : nil)
        let floats = try floatWindows(input, job)
        for (si, s) in input.enumerated() {
            try shared.checkDeadline("expression evaluation")
            let labels = keepName ? s.labels : nameDropped(s.labels)
            let dropName = !keepName || (si < inputDropName.count && inputDropName[si])
            if !s.histograms.isEmpty {
                var out = try mixedRangeSeries(s, labels: labels, name: name, fn: fn, scalarArgs: scalarArgs, matrixIndex: mi,
                                               range: range, offset: offset, fixedWindow: fixedWindow,
                                               HistogramWindowContext(metric: s.labels.metricName, pos: c.argPosition(mi)))
                if out.sampleCount > 0 {
                    try shared.add(out.sampleCount)
                    out.dropName = dropName
                    mat.append(out)
                    if !out.points.isEmpty { notePossibleNonCounter(name, s.labels, c) }
                }
                continue
            }
            let (pts, badQuantiles) = try floats[si].get()
            for q in badQuantiles { shared.annotations.warn(AnnotationText.invalidQuantile(q), c.argPosition(0)) }
            if !pts.isEmpty {
                try shared.add(pts.count)
                mat.append(Series(labels: labels, points: pts, dropName: dropName))
                notePossibleNonCounter(name, s.labels, c)
            }
        }

        if name == "absent_over_time" {
            let steps = numSteps
            if mat.contains(where: { $0.points.count == steps }) { return [] }
            var found = Set<Int64>()
            for s in mat { for p in s.points { found.insert(p.t) } }
            if found.count == steps { return [] }
            var pts: [Point] = []
            var ts = start
            while ts <= end {
                if !found.contains(ts) { pts.append(Point(t: ts, v: 1)) }
                ts += interval
            }
            let labels = fromSubquery ? Labels() : InstantFunctions.absentLabels(c.args[0])
            return [Series(labels: labels, points: pts)]
        }
        if !shared.delayNameRemoval && !Self.shareDroppedLabels(input) { try checkNoDuplicateLabelsets(mat) }
        return mat
    }

    /// Whether every series carries the same labels of those a name-dropping function removes
    /// (`__name__`, and in 3.x `__type__` and `__unit__`). The inputs' label sets are
    /// distinct, so dropping equal labels cannot make two equal: the duplicate check (a hash
    /// of every output label set) is only needed when they differ.
    static func shareDroppedLabels(_ input: [StorageSeries]) -> Bool {
        guard let first = input.first?.labels else { return true }
        let dropped = { (l: Labels) in (l[metricNameLabel], l["__type__"], l["__unit__"]) }
        let want = dropped(first)
        return input.allSatisfy { dropped($0.labels) == want }
    }

    /// 3.x: `rate`/`increase` of a float series whose name does not look like a counter's
    /// gets an info (Prometheus's PossibleNonCounterInfo, by name suffix).
    func notePossibleNonCounter(_ function: String, _ labels: Labels, _ c: Call) {
        guard shared.compat == .v3_14, function == "rate" || function == "increase" else { return }
        let metric = labels.metricName
        guard !metric.isEmpty, !["_total", "_sum", "_count", "_bucket"].contains(where: { metric.hasSuffix($0) }) else { return }
        shared.annotations.info(AnnotationText.possibleNonCounter(metric), c.argPosition(0))
    }

    /// Element-wise functions of one vector (and scalar parameters) via the per-series fast
    /// path; nil for every other function.
    func evalElementwise(_ c: Call) throws -> [Series]? {
        let name = c.function.name
        if let f = InstantFunctions.math[name] {
            return try mapSeries(try eval(c.args[0]).matrix, dropsName: true) { v, _ in f(v) }
        }
        if let f = InstantFunctions.date[name], !c.args.isEmpty {
            return try mapSeries(try eval(c.args[0]).matrix, dropsName: true) { v, _ in
                f(GoTime(unixSeconds: InstantFunctions.goInt64(v)))
            }
        }
        switch name {
        case "clamp":
            let vec = try eval(c.args[0]).matrix
            let lo = try scalarValues(c.args[1]), hi = try scalarValues(c.args[2])
            return try mapSeries(vec, dropsName: true) { v, step in
                hi[step] < lo[step] ? nil : goMax(lo[step], goMin(hi[step], v))
            }
        case "clamp_max":
            let vec = try eval(c.args[0]).matrix
            let hi = try scalarValues(c.args[1])
            return try mapSeries(vec, dropsName: true) { v, step in goMin(hi[step], v) }
        case "clamp_min":
            let vec = try eval(c.args[0]).matrix
            let lo = try scalarValues(c.args[1])
            return try mapSeries(vec, dropsName: true) { v, step in goMax(lo[step], v) }
        case "round":
            let vec = try eval(c.args[0]).matrix
            let toNearest = c.args.count >= 2 ? try scalarValues(c.args[1]) : [Double](repeating: 1, count: numSteps)
            return try mapSeries(vec, dropsName: true) { v, step in
                let inverse = 1.0 / toNearest[step]
                return (v * inverse + 0.5).rounded(.down) / inverse
            }
        default:
            return nil
        }
    }
}

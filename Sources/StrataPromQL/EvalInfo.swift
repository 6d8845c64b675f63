import StrataCore

/// `info(v, {data-label selector})` (3.x, experimental): adds the data labels of info
/// metrics (`target_info` by default) to each series of `v` that shares their identifying
/// labels (`instance`, `job`), as Prometheus's info.go does. Info series are selected before
/// evaluation by name and data-label matchers and joined per step on the identifying labels.
enum InfoFunction {
    static let identifyingLabels = ["instance", "job"]

    /// The data-label selector's matchers (none without one).
    static func dataMatchers(_ c: Call) -> [Matcher] {
        if c.args.count > 1, case .vectorSelector(let vs) = c.args[1].unwrapped { return vs.matchers }
        return []
    }

    /// Which metric names count as info metrics: `target_info` by default; with only negative
    /// name matchers, names ending in `_info` that match them.
    static func effectiveNameMatchers(_ nameMatchers: [Matcher]) -> [Matcher] {
        if nameMatchers.contains(where: { $0.type == .equal || $0.type == .regexMatch }) { return nameMatchers }
        if !nameMatchers.isEmpty {
            return [try! Matcher(.regexMatch, metricNameLabel, ".+_info")] + nameMatchers
        }
        return [try! Matcher(.equal, metricNameLabel, "target_info")]
    }

    /// What to select as info series: the data matchers without names, and the names.
    static func infoMatchers(_ c: Call) -> [Matcher] {
        let data = dataMatchers(c)
        let names = c.args.count > 1 ? data.filter { $0.name == metricNameLabel } : [try! Matcher(.equal, metricNameLabel, "target_info")]
        return data.filter { $0.name != metricNameLabel } + effectiveNameMatchers(names)
    }
}

extension Evaluator {
    func evalInfo(_ c: Call) throws -> [Series] {
        let mat = try eval(c.args[0]).matrix
        let data = InfoFunction.dataMatchers(c)
        let names = c.args.count > 1 ? data.filter { $0.name == metricNameLabel } : [try! Matcher(.equal, metricNameLabel, "target_info")]
        let nameMatchers = InfoFunction.effectiveNameMatchers(names)
        // Info metrics themselves are passed through unchanged.
        let ignored = mat.indices.filter { i in nameMatchers.allSatisfy { $0.matches(mat[i].labels.metricName) } }
        var dataLabels: [String: [Matcher]] = [:]
        for m in data where m.name != metricNameLabel { dataLabels[m.name, default: []].append(m) }
        var idValues: [String: Set<String>] = [:]
        for (i, s) in mat.enumerated() where !ignored.contains(i) {
            for l in InfoFunction.identifyingLabels where !s.labels[l].isEmpty { idValues[l, default: []].insert(s.labels[l]) }
        }
        var infoSeries: [StorageSeries] = []
        if !idValues.isEmpty, let id = c.infoSeriesID {
            let matchers = InfoFunction.infoMatchers(c)
            infoSeries = (shared.series[id] ?? []).filter { s in
                idValues.allSatisfy { $0.value.contains(s.labels[$0.key]) } && s.labels.matches(matchers)
            }
        }
        let (at, offset) = infoTimeAndOffset(c.args[0])
        let ignoredSet = Set(ignored)
        let allMatchEmpty = dataLabels.values.allSatisfy { $0.allSatisfy(\.matchesEmpty) }
        func signature(_ name: String, _ l: Labels) -> [String] { [name] + InfoFunction.identifyingLabels.map { l[$0] } }
        let infoNames = Set(infoSeries.map(\.labels.metricName))

        var out: [Series] = []
        var outIndex: [Labels: Int] = [:]
        var cursors = [Int](repeating: 0, count: mat.count)
        var hcursors = cursors
        // Step times only grow, so each info series is read forward from where the last step stopped.
        var infoFloatCursors = [Int](repeating: 0, count: infoSeries.count)
        var infoHistCursors = infoFloatCursors
        var ts = start
        while ts <= end {
            defer { ts += interval }
            try shared.checkDeadline("expression evaluation")
            // The latest info sample per (name, identifying labels) at this step.
            var latest: [[String]: (t: Int64, labels: Labels)] = [:]
            let ref = (at ?? ts) - offset
            for (k, s) in infoSeries.enumerated() {
                guard let x = mixedSampleAt(s, ref, &infoFloatCursors[k], &infoHistCursors[k]) else { continue }
                if x.h != nil { throw fail("info sample should be float") }
                let sig = signature(s.labels.metricName, s.labels)
                if let existing = latest[sig] {
                    if existing.t == x.t {
                        throw fail("found duplicate series for info metric: existing \(existing.labels) @ \(existing.t), new \(s.labels) @ \(x.t)")
                    }
                    if existing.t > x.t { continue }
                }
                latest[sig] = (x.t, s.labels)
            }
            var seen = Set<Labels>()
            for (i, s) in mat.enumerated() {
                var sample: Sample?
                if cursors[i] < s.points.count, s.points[cursors[i]].t == ts {
                    sample = Sample(labels: s.labels, t: ts, v: s.points[cursors[i]].v, dropName: s.dropName)
                    cursors[i] += 1
                } else if hcursors[i] < s.histograms.count, s.histograms[hcursors[i]].t == ts {
                    sample = Sample(labels: s.labels, t: ts, v: 0, h: s.histograms[hcursors[i]].h, dropName: s.dropName)
                    hcursors[i] += 1
                }
                guard var sample else { continue }
                if !ignoredSet.contains(i) {
                    var added: [String: String] = [:]
                    var matched = false
                    for name in infoNames {
                        guard let info = latest[signature(name, s.labels)] else { continue }
                        matched = true
                        for l in info.labels.pairs where l.name != metricNameLabel {
                            if !dataLabels.isEmpty && dataLabels[l.name] == nil { continue }
                            if let v = added[l.name], v != l.value { throw fail("conflicting label: \(l.name)") }
                            if s.labels.has(l.name) { continue }
                            added[l.name] = l.value
                        }
                    }
                    if !matched && !allMatchEmpty { continue }
                    var labels = s.labels
                    for (k, v) in added { labels = labels.setting(k, v) }
                    sample.labels = labels
                }
                if !seen.insert(sample.labels).inserted { throw fail("vector cannot contain metrics with the same labelset") }
                if let k = outIndex[sample.labels] {
                    out[k].append(sample, at: ts)
                } else {
                    outIndex[sample.labels] = out.count
                    out.append(Series(sample: sample, at: ts))
                }
            }
        }
        try shared.add(out.reduce(0) { $0 + $1.sampleCount })
        return out
    }

    /// The `@` time and offset of the base expression's first selector (with those of
    /// enclosing subqueries), which the info series are read with.
    func infoTimeAndOffset(_ e: Expr) -> (Int64?, Int64) {
        var result: (Int64?, Int64)?
        func visit(_ e: Expr, _ subqOffset: Int64, _ subqAt: Int64?) {
            if result != nil { return }
            switch e {
            case .vectorSelector(let vs), .matrixSelector(let vs, _):
                var at: Int64?
                if case .timestamp(let t) = vs.at { at = t }
                result = at != nil ? (at, vs.offset) : (subqAt, vs.offset + subqOffset)
            case .subquery(let sq):
                var at = subqAt
                if case .timestamp(let t) = sq.at { at = t }
                visit(sq.expr, subqOffset + sq.offset, at)
            case .paren(let x), .stepInvariant(let x), .unary(_, let x): visit(x, subqOffset, subqAt)
            case .binary(let b):
                visit(b.lhs, subqOffset, subqAt)
                visit(b.rhs, subqOffset, subqAt)
            case .call(let c): for a in c.args { visit(a, subqOffset, subqAt) }
            case .aggregate(let a):
                if let p = a.param { visit(p, subqOffset, subqAt) }
                visit(a.expr, subqOffset, subqAt)
            case .number, .string: break
            }
        }
        visit(e, 0, nil)
        return result ?? (nil, 0)
    }
}

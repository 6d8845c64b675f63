import StrataCore

/// The fast path for arithmetic and comparison operators between two float vectors whose
/// matching cannot fail: each series of the "one" side has a join key of its own, and the
/// "many" side cannot produce the same output twice for one key. Then every step matches the
/// same pairs of series, so each pair is joined once over all steps (a merge of two sorted
/// point arrays) instead of hashing an instant vector per step. Anything else — set
/// operators, trim and fill modifiers, histograms, keys that could collide at some step and
/// must fail exactly there — takes the per-step path.
extension Evaluator {
    func vectorBinopColumns(_ b: BinaryExpr, _ lhs: [Series], _ rhs: [Series], _ matching: VectorMatching,
                            _ signature: (Labels) -> String) throws -> [Series]? {
        let op = b.op
        switch op {
        case .and, .or, .unless, .trimUpper, .trimLower: return nil
        default: break
        }
        if !shared.columnar || matching.fillLeft != nil || matching.fillRight != nil { return nil }
        if lhs.contains(where: { !$0.histograms.isEmpty }) || rhs.contains(where: { !$0.histograms.isEmpty }) { return nil }
        // As vectorBinop: with group_right the sides trade places, values are swapped back.
        let swapped = matching.card == .oneToMany
        let (many, one) = swapped ? (rhs, lhs) : (lhs, rhs)
        var oneByKey: [String: Int] = [:]
        oneByKey.reserveCapacity(one.count)
        for (j, s) in one.enumerated() {
            guard oneByKey.updateValue(j, forKey: signature(s.labels)) == nil else { return nil }
        }
        var cache = ResultMetricCache(compat: shared.compat)
        var matchedKeys = Set<String>()
        var outputsByKey: [String: Set<Labels>] = [:]
        var pairs: [(many: Int, one: Int, labels: Labels)] = []
        for (i, s) in many.enumerated() {
            let key = signature(s.labels)
            guard let j = oneByKey[key] else { continue }
            var metric = cache.resultMetric(s.labels, one[j].labels, op, matching)
            if b.returnBool { metric = nameDropped(metric) }
            if matching.card == .oneToOne {
                guard matchedKeys.insert(key).inserted else { return nil }
            } else {
                guard outputsByKey[key, default: []].insert(metric).inserted else { return nil }
            }
            pairs.append((i, j, metric))
        }

        var out: [Series] = []
        out.reserveCapacity(pairs.count)
        var total = 0
        for (i, j, labels) in pairs {
            try shared.checkDeadline("expression evaluation")
            let mp = many[i].points, op1 = one[j].points
            var pts: [Point] = []
            var a = 0, c = 0
            while a < mp.count && c < op1.count {
                let ta = mp[a].t, tc = op1[c].t
                if ta < tc { a += 1; continue }
                if tc < ta { c += 1; continue }
                let (vl, vr) = swapped ? (op1[c].v, mp[a].v) : (mp[a].v, op1[c].v)
                var (value, keep) = vectorElemBinop(op, vl, vr)
                if b.returnBool {
                    value = keep ? 1 : 0
                    keep = true
                }
                if keep { pts.append(Point(t: ta, v: value)) }
                a += 1
                c += 1
            }
            if pts.isEmpty { continue }
            total += pts.count
            out.append(Series(labels: labels, points: pts, dropName: b.returnBool))
        }
        shared.currentSamples -= lhs.reduce(0) { $0 + $1.sampleCount } + rhs.reduce(0) { $0 + $1.sampleCount }
        try shared.add(total)
        return try mergeCollisions(out)
    }
}

import StrataCore

/// Binary operators: scalar/scalar, vector/scalar and vector/vector with Prometheus's
/// matching rules (on/ignoring, group_left/right, set operators, `bool`).
extension Evaluator {
    func evalBinary(_ b: BinaryExpr) throws -> [Series] {
        let lt = b.lhs.type, rt = b.rhs.type
        switch (lt, rt) {
        case (.scalar, .scalar):
            return try rangeEval([b.lhs, b.rhs]) { inp in
                let v = scalarBinop(b.op, inp.vectors[0][0].v, inp.vectors[1][0].v)
                return [Sample(labels: Labels(), t: inp.ts, v: v)]
            }
        case (.vector, .vector):
            let matching = b.matching ?? VectorMatching(card: .oneToOne, matchingLabels: [], on: false, include: [])
            let sig = signatureFunction(matching)
            var cache = ResultMetricCache(compat: shared.compat)
            let lhs = try eval(b.lhs).matrix, rhs = try eval(b.rhs).matrix
            if let joined = try vectorBinopColumns(b, lhs, rhs, matching, sig) { return joined }
            return try rangeEval(matrices: [lhs, rhs], prep: sig) { inp in
                switch b.op {
                case .and: return vectorAnd(inp)
                case .or: return vectorOr(inp)
                case .unless: return vectorUnless(inp)
                default: return try vectorBinop(b, inp, matching, &cache)
                }
            }
        case (.vector, .scalar):
            let vec = try eval(b.lhs).matrix
            let scalars = try scalarValues(b.rhs)
            return try vectorScalarSeries(b, vec, scalars, swap: false)
        default:
            let scalars = try scalarValues(b.lhs)
            let vec = try eval(b.rhs).matrix
            return try vectorScalarSeries(b, vec, scalars, swap: true)
        }
    }

    /// The join key of a series: the `on` labels, or all labels but the `ignoring` ones and
    /// the metric name.
    func signatureFunction(_ m: VectorMatching) -> (Labels) -> String {
        if m.on {
            let names = Set(m.matchingLabels)
            return { l in labelsKey(l.pairs.filter { names.contains($0.name) }) }
        }
        let names = Set(m.matchingLabels + [metricNameLabel])
        return { l in labelsKey(l.pairs.filter { !names.contains($0.name) }) }
    }

    func vectorAnd(_ inp: StepInput) -> [Sample] {
        let lhs = inp.vectors[0], rhs = inp.vectors[1]
        if lhs.isEmpty || rhs.isEmpty { return [] }
        let right = Set(inp.keys[1])
        var out: [Sample] = []
        for (i, s) in lhs.enumerated() where right.contains(inp.keys[0][i]) { out.append(s) }
        return out
    }

    func vectorOr(_ inp: StepInput) -> [Sample] {
        let lhs = inp.vectors[0], rhs = inp.vectors[1]
        if lhs.isEmpty { return rhs }
        if rhs.isEmpty { return lhs }
        let left = Set(inp.keys[0])
        var out = lhs
        for (j, s) in rhs.enumerated() where !left.contains(inp.keys[1][j]) { out.append(s) }
        return out
    }

    func vectorUnless(_ inp: StepInput) -> [Sample] {
        let lhs = inp.vectors[0], rhs = inp.vectors[1]
        if lhs.isEmpty || rhs.isEmpty { return lhs }
        let right = Set(inp.keys[1])
        var out: [Sample] = []
        for (i, s) in lhs.enumerated() where !right.contains(inp.keys[0][i]) { out.append(s) }
        return out
    }

    func vectorBinop(_ b: BinaryExpr, _ inp: StepInput, _ matching: VectorMatching,
                     _ cache: inout ResultMetricCache) throws -> [Sample] {
        let op = b.op, returnBool = b.returnBool, v3 = shared.compat == .v3_14
        var lhs = inp.vectors[0], rhs = inp.vectors[1]
        var lkeys = inp.keys[0], rkeys = inp.keys[1]
        let fills = matching.fillLeft != nil || matching.fillRight != nil
        if lhs.isEmpty && rhs.isEmpty { return [] }
        if (lhs.isEmpty || rhs.isEmpty) && !fills { return [] }
        if fills { return try vectorBinopFilled(op, inp, matching, returnBool, &cache) }
        if matching.card == .oneToMany {
            swap(&lhs, &rhs)
            swap(&lkeys, &rkeys)
        }
        var rightSigs: [Int: Int] = [:]
        rightSigs.reserveCapacity(rhs.count)
        for (j, rs) in rhs.enumerated() {
            if let dup = rightSigs[rkeys[j]] {
                let side = matching.card == .oneToMany ? "left" : "right"
                let matched = matchLabels(rs.labels, matching)
                var pair = ["\(rs.labels)", "\(rhs[dup].labels)"]
                // 3.x orders the two so the message is the same on every run.
                if v3 && pair[0] > pair[1] { pair.swapAt(0, 1) }
                throw fail("found duplicate series for the match group \(matched) on the \(side) hand-side of the operation: [\(pair[0]), \(pair[1])];many-to-many matching not allowed: matching labels must be unique on one side")
            }
            rightSigs[rkeys[j]] = j
        }
        var matchedOne = Set<Int>()
        var matchedMany: [Int: Set<Labels>] = [:]
        var out: [Sample] = []
        for (i, ls) in lhs.enumerated() {
            let sig = lkeys[i]
            guard let j = rightSigs[sig] else { continue }
            let rs = rhs[j]
            var vl = ls.v, vr = rs.v
            var hl = ls.h, hr = rs.h
            if matching.card == .oneToMany {
                swap(&vl, &vr)
                swap(&hl, &hr)
            }
            var value: Double, keep: Bool
            var hvalue: FloatHistogram?
            if hl != nil || hr != nil || op.isTrim {
                let r = histogramElemBinop(op, vl, vr, hl, hr)
                if noteBinop(r, b) { continue }
                (value, hvalue, keep) = (r.v, r.h, r.keep)
            } else {
                (value, keep) = vectorElemBinop(op, vl, vr)
            }
            if returnBool {
                value = keep ? 1 : 0
                hvalue = nil
            } else if !keep && !v3 {
                // 2.42 filters before checking the match; 3.x checks every match first.
                continue
            }
            var metric = cache.resultMetric(ls.labels, rs.labels, op, matching)
            if returnBool { metric = nameDropped(metric) }
            if matching.card == .oneToOne {
                if matchedOne.contains(sig) {
                    throw fail("multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)")
                }
                matchedOne.insert(sig)
            } else {
                if matchedMany[sig, default: []].insert(metric).inserted == false {
                    throw fail("multiple matches for labels: grouping labels must ensure unique matches")
                }
            }
            if !keep && !returnBool { continue }
            out.append(Sample(labels: metric, t: inp.ts, v: value, h: hvalue, dropName: returnBool))
        }
        return out
    }

    func matchLabels(_ l: Labels, _ m: VectorMatching) -> Labels {
        if m.on { return l.keeping(Set(m.matchingLabels)) }
        return l.removing(Set(m.matchingLabels + [metricNameLabel]))
    }

    /// Vector/scalar operators series by series (Prometheus's VectorscalarBinop per step).
    func vectorScalarSeries(_ b: BinaryExpr, _ vec: [Series], _ scalars: [Double], swap: Bool) throws -> [Series] {
        let op = b.op, returnBool = b.returnBool
        let dropName = op.dropsMetricName(shared.compat) || returnBool
        // Histogram samples: × and ÷ (and the trim operators) keep them; anything else drops
        // the sample with an info, even with `bool`.
        let hf: (FloatHistogram, Int) -> (Double, FloatHistogram?)? = { h, step in
            let s = scalars[step]
            let r = swap ? histogramElemBinop(op, s, 0, nil, h) : histogramElemBinop(op, 0, s, h, nil)
            if self.noteBinop(r, b) { return nil }
            if returnBool { return (r.keep ? 1 : 0, nil) }
            if !r.keep { return nil }
            return op.isComparison && swap ? (0, h) : (r.v, r.h)
        }
        return try mapSeries(vec, dropsName: dropName, histograms: hf) { v, step in
            var lv = v, rv = scalars[step]
            if swap { Swift.swap(&lv, &rv) }
            if op.isTrim {
                // Trimming applies to histograms only: a float is dropped with an info.
                _ = self.noteBinop(histogramElemBinop(op, lv, rv, nil, nil), b)
                return nil
            }
            var (value, keep) = vectorElemBinop(op, lv, rv)
            if op.isComparison && swap { value = rv }
            if returnBool {
                value = keep ? 1 : 0
                keep = true
            }
            return keep ? value : nil
        }
    }
}

/// Caches the result label set per (lhs, rhs) pair across steps (Prometheus's resultMetric).
struct ResultMetricCache {
    struct Key: Hashable {
        let l: Labels
        let r: Labels
    }
    var cache: [Key: Labels] = [:]
    let compat: PromQLCompat

    init(compat: PromQLCompat) { self.compat = compat }

    mutating func resultMetric(_ lhs: Labels, _ rhs: Labels, _ op: BinaryOp, _ m: VectorMatching) -> Labels {
        let key = Key(l: lhs, r: rhs)
        if let hit = cache[key] { return hit }
        var pairs = lhs.pairs
        if op.dropsMetricName(compat) {
            if compat == .v3_14 {
                pairs.removeAll { metricMetadataLabels.contains($0.name) }
            } else {
                pairs.removeAll { $0.name == metricNameLabel }
            }
        }
        if m.card == .oneToOne {
            if m.on {
                let keep = Set(m.matchingLabels)
                pairs.removeAll { !keep.contains($0.name) }
            } else {
                let drop = Set(m.matchingLabels)
                pairs.removeAll { drop.contains($0.name) }
            }
        }
        var result = Labels(sortedPairs: pairs)
        for name in m.include {
            result = result.setting(name, rhs[name])
        }
        cache[key] = result
        return result
    }
}

/// A collision-free string key of label pairs (names and values cannot contain 0xFF bytes in
/// valid UTF-8, so it separates unambiguously).
func labelsKey(_ pairs: [Label]) -> String {
    labelsKey(pairs) { _ in true }
}

/// The key of the pairs `include` accepts, written in one pass (no filtered copy).
func labelsKey(_ pairs: [Label], _ include: (Label) -> Bool) -> String {
    var s = ""
    for p in pairs where include(p) {
        s += p.name
        s += "\u{FFFF}"
        s += p.value
        s += "\u{FFFE}"
    }
    return s
}

func btos(_ b: Bool) -> Double { b ? 1 : 0 }

func scalarBinop(_ op: BinaryOp, _ l: Double, _ r: Double) -> Double {
    switch op {
    case .add: return l + r
    case .sub: return l - r
    case .mul: return l * r
    case .div: return l / r
    case .pow: return goPow(l, r)
    case .mod: return goMod(l, r)
    case .eql: return btos(l == r)
    case .neq: return btos(l != r)
    case .gtr: return btos(l > r)
    case .lss: return btos(l < r)
    case .gte: return btos(l >= r)
    case .lte: return btos(l <= r)
    case .atan2: return atan2Go(l, r)
    case .and, .or, .unless, .trimUpper, .trimLower: return .nan
    }
}

func vectorElemBinop(_ op: BinaryOp, _ l: Double, _ r: Double) -> (Double, Bool) {
    switch op {
    case .add: return (l + r, true)
    case .sub: return (l - r, true)
    case .mul: return (l * r, true)
    case .div: return (l / r, true)
    case .pow: return (goPow(l, r), true)
    case .mod: return (goMod(l, r), true)
    case .eql: return (l, l == r)
    case .neq: return (l, l != r)
    case .gtr: return (l, l > r)
    case .lss: return (l, l < r)
    case .gte: return (l, l >= r)
    case .lte: return (l, l <= r)
    case .atan2: return (atan2Go(l, r), true)
    case .and, .or, .unless, .trimUpper, .trimLower: return (.nan, false)
    }
}

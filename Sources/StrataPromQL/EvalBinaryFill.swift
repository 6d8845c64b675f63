import StrataCore

/// Vector matching with 3.x fill modifiers: as `vectorBinop`, but a left sample without a
/// match meets `fillRight`, and (afterwards) a right sample nobody matched meets `fillLeft`,
/// each stand-in carrying the matching labels of the sample it pairs with. A pair counts as
/// matched before the comparison filters it, as in Prometheus 3.
extension Evaluator {
    func vectorBinopFilled(_ op: BinaryOp, _ inp: StepInput, _ matching: VectorMatching, _ returnBool: Bool,
                           _ cache: inout ResultMetricCache) throws -> [Sample] {
        var lhs = inp.vectors[0], rhs = inp.vectors[1]
        var lkeys = inp.keys[0], rkeys = inp.keys[1]
        if matching.card == .oneToMany {
            swap(&lhs, &rhs)
            swap(&lkeys, &rkeys)
        }
        var rightSigs: [Int: Int] = [:]
        for (j, rs) in rhs.enumerated() {
            if let dup = rightSigs[rkeys[j]] {
                let side = matching.card == .oneToMany ? "left" : "right"
                let matched = matchLabels(rs.labels, matching)
                throw fail("found duplicate series for the match group \(matched) on the \(side) hand-side of the operation: [\(rs.labels), \(rhs[dup].labels)];many-to-many matching not allowed: matching labels must be unique on one side")
            }
            rightSigs[rkeys[j]] = j
        }
        var matchedOne = Set<Int>()
        var matchedMany: [Int: Set<Labels>] = [:]
        var out: [Sample] = []
        func apply(_ ls: Sample, _ rs: Sample, _ sig: Int) throws {
            var vl = ls.v, vr = rs.v
            if matching.card == .oneToMany { swap(&vl, &vr) }
            var (value, keep) = vectorElemBinop(op, vl, vr)
            if returnBool { value = keep ? 1 : 0 }
            var metric = cache.resultMetric(ls.labels, rs.labels, op, matching)
            if returnBool { metric = nameDropped(metric) }
            if matching.card == .oneToOne {
                if !matchedOne.insert(sig).inserted {
                    throw fail("multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)")
                }
            } else if matchedMany[sig, default: []].insert(metric).inserted == false {
                throw fail("multiple matches for labels: grouping labels must ensure unique matches")
            }
            if keep || returnBool { out.append(Sample(labels: metric, t: inp.ts, v: value, dropName: returnBool)) }
        }
        for (i, ls) in lhs.enumerated() {
            let sig = lkeys[i]
            if let j = rightSigs[sig] {
                try apply(ls, rhs[j], sig)
            } else if let fill = matching.fillRight {
                try apply(ls, Sample(labels: matchLabels(ls.labels, matching), t: inp.ts, v: fill), sig)
            }
        }
        if let fill = matching.fillLeft {
            for (j, rs) in rhs.enumerated() {
                let sig = rkeys[j]
                let matched = matching.card == .oneToOne ? matchedOne.contains(sig) : !(matchedMany[sig]?.isEmpty ?? true)
                if matched { continue }
                try apply(Sample(labels: matchLabels(rs.labels, matching), t: inp.ts, v: fill), rs, sig)
            }
        }
        return out
    }
}

import StrataCore

/// The fast path for `sum`, `avg`, `count`, `group`, `min`, `max`, `stddev` and `stdvar`
/// without a parameter over float series: instead of building an instant vector per step
/// (a Sample, with its labels, per series and step), each series is assigned its group once
/// and its points are folded into per-(group, step) accumulators. The series are visited in
/// matrix order and each series' points in time order, so every accumulator sees its samples
/// in the order Prometheus's per-step loop does: the results are bit-identical, Kahan terms
/// included. Histogram series, and accumulators too large for memory, take the general path.
extension Evaluator {
    /// One group's per-step state, flat arrays indexed by step.
    private struct Accumulators {
        var value: [Double]
        var mean: [Double]
        var kahanC: [Double]
        var count: [Int]
        var incremental: [Bool]

        init(_ n: Int, needsMean: Bool, needsKahan: Bool) {
            value = [Double](repeating: 0, count: n)
            count = [Int](repeating: 0, count: n)
            mean = needsMean ? [Double](repeating: 0, count: n) : []
            kahanC = needsKahan ? [Double](repeating: 0, count: n) : []
            incremental = needsMean && needsKahan ? [Bool](repeating: false, count: n) : []
        }
    }

    /// At most this many accumulators (groups × steps); beyond it the per-step path, whose
    /// memory grows with the groups alone, is used.
    static let maxColumnAccumulators = 4_000_000

    func aggregateColumns(_ op: AggregateOp, _ grouping: [String], without: Bool, _ input: [Series],
                          _ keyFn: (Labels) -> String) throws -> [Series]? {
        switch op {
        case .sum, .avg, .count, .group, .min, .max, .stddev, .stdvar: break
        default: return nil
        }
        if !shared.columnar || input.contains(where: { !$0.histograms.isEmpty }) { return nil }
        // Groups in order of first appearance, as the per-step loop meets them.
        var ids: [String: Int] = [:]
        var members: [[Int]] = []
        for (i, s) in input.enumerated() {
            let key = keyFn(s.labels)
            if let g = ids[key] {
                members[g].append(i)
            } else {
                ids[key] = members.count
                members.append([i])
            }
        }
        let steps = numSteps
        guard members.count * steps <= Self.maxColumnAccumulators else { return nil }
        let v3 = shared.compat == .v3_14
        let needsMean = op == .avg || op == .stddev || op == .stdvar, needsKahan = v3 && (op == .sum || op == .avg)
        let (start, interval, deadline) = (self.start, self.interval, shared.deadline)
        // Groups are independent, and each folds its own members in matrix order whichever
        // core it runs on: spread over the cores by group, bit-identical to one loop (the
        // fold was a fifth of a store's CPU on a day of `sum by (le, job) (rate(…))`).
        let parallel = shared.columnar && members.count > 1 && input.count * steps >= Self.parallelWindowThreshold
        let groups = members
        let folded: [[Point]?] = concurrentMap(members.count, parallel: parallel) { g in
            // Checked per group: the workers cannot reach the query's task.
            if ContinuousClock.now > deadline { return nil }
            var acc = Accumulators(steps, needsMean: needsMean, needsKahan: needsKahan)
            for i in groups[g] {
                for p in input[i].points { Self.fold(op, v3, p.v, &acc, Int((p.t - start) / interval)) }
            }
            var pts: [Point] = []
            pts.reserveCapacity(steps)
            for step in 0..<steps where acc.count[step] > 0 {
                pts.append(Point(t: start + Int64(step) * interval, v: Self.finish(op, v3, acc, step)))
            }
            return pts
        }
        try shared.checkDeadline("expression evaluation")

        let labeler = GroupLabeler(grouping, without: without)
        var out: [Series] = []
        out.reserveCapacity(members.count)
        var total = 0
        for (g, group) in members.enumerated() {
            guard let pts = folded[g] else { throw QueryError.timeout("expression evaluation") }
            if pts.isEmpty { continue }
            total += pts.count
            out.append(Series(labels: labeler.labels(of: input[group[0]].labels), points: pts,
                              dropName: group.contains { input[$0].dropName }))
        }
        shared.currentSamples -= input.reduce(0) { $0 + $1.sampleCount }
        try shared.add(total)
        return out
    }

    /// One sample into accumulator `k`, exactly as `aggregate` adds it to a group.
    @inline(__always)
    private static func fold(_ op: AggregateOp, _ v3: Bool, _ v: Double, _ acc: inout Accumulators, _ k: Int) {
        let n = acc.count[k] + 1
        acc.count[k] = n
        if n == 1 {
            switch op {
            case .stddev, .stdvar:
                acc.value[k] = v3 && !v.isFinite ? .nan : 0
                acc.mean[k] = v
            case .avg:
                acc.value[k] = v
                acc.mean[k] = v
            default:
                acc.value[k] = v
            }
            return
        }
        switch op {
        case .sum:
            if v3 {
                (acc.value[k], acc.kahanC[k]) = KahanSum.inc(v, acc.value[k], acc.kahanC[k])
            } else {
                acc.value[k] += v
            }
        case .avg where v3:
            let count = Double(n)
            if !acc.incremental[k] {
                let (sum, c) = KahanSum.inc(v, acc.value[k], acc.kahanC[k])
                if !sum.isInfinite {
                    (acc.value[k], acc.kahanC[k]) = (sum, c)
                    return
                }
                acc.incremental[k] = true
                acc.mean[k] = acc.value[k] / (count - 1)
                acc.kahanC[k] /= count - 1
            }
            let q = (count - 1) / count
            (acc.mean[k], acc.kahanC[k]) = KahanSum.inc(v / count, q * acc.mean[k], q * acc.kahanC[k])
        case .avg:
            let mean = acc.mean[k]
            if mean.isInfinite {
                if v.isInfinite && (mean > 0) == (v > 0) { return }
                if !v.isInfinite && !v.isNaN { return }
            }
            acc.mean[k] = mean + (v / Double(n) - mean / Double(n))
        case .max:
            if acc.value[k] < v || acc.value[k].isNaN { acc.value[k] = v }
        case .min:
            if acc.value[k] > v || acc.value[k].isNaN { acc.value[k] = v }
        case .stddev, .stdvar:
            let delta = v - acc.mean[k]
            acc.mean[k] += delta / Double(n)
            acc.value[k] += delta * (v - acc.mean[k])
        default:
            break
        }
    }

    /// The group's value at one step, as `aggregate` finishes it.
    @inline(__always)
    private static func finish(_ op: AggregateOp, _ v3: Bool, _ acc: Accumulators, _ k: Int) -> Double {
        let n = Double(acc.count[k])
        switch op {
        case .sum: return v3 ? acc.value[k] + acc.kahanC[k] : acc.value[k]
        case .avg where v3:
            return acc.incremental[k] ? acc.mean[k] + acc.kahanC[k] : acc.value[k] / n + acc.kahanC[k] / n
        case .avg: return acc.mean[k]
        case .count: return n
        case .group: return 1
        case .stdvar: return acc.value[k] / n
        case .stddev: return (acc.value[k] / n).squareRoot()
        default: return acc.value[k]
        }
    }
}

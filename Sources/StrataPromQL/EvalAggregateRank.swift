import StrataCore

/// The fast path for `topk` and `bottomk` with a literal k over float series: the general
/// path builds an instant vector per step (a `Sample`, its labels retained, per series and
/// step) and a group object per group and step — 190 ns a sample, most of a store's CPU on a
/// 1-hour `topk(5, …)`. Here each series' group is found once, and each step walks the series
/// in matrix order straight into per-group heaps: the same samples offered in the same order
/// to the same heap code (`rank`), so answers, ties and series order are those of the per-step
/// path (`ColumnarPathTests`). Histogram series, a k given by an expression, and a k the
/// engine warns or fails about take the general path.
extension Evaluator {
    /// `param` and `input` are the evaluated k and series; nil when the general path must run.
    func rankColumns(_ a: AggregateExpr, _ param: [Series], _ input: [Series], _ keyFn: (Labels) -> String) throws -> [Series]? {
        guard a.op == .topk || a.op == .bottomk, shared.columnar, let p = a.param,
              case .number(let f) = p.unwrapped, f >= 1, f < 0x1p53,
              !input.contains(where: { !$0.histograms.isEmpty }) else { return nil }
        let k = Int(f), top = a.op == .topk
        // Inputs count until this node is done, as in rangeEval.
        let inputSamples = param.reduce(0) { $0 + $1.sampleCount } + input.reduce(0) { $0 + $1.sampleCount }
        defer { shared.currentSamples -= inputSamples }

        var interned: [String: Int] = [:]
        let groupOf = Self.keyIDs(input, keyFn, &interned)
        var heaps = [[RankedSample]](repeating: [], count: interned.count)
        var met: [Int] = []
        var cursors = [Int](repeating: 0, count: input.count)
        var outIndex = [Int](repeating: -1, count: input.count)
        var out: [Series] = []
        var total = 0
        let steps = numSteps
        var ts = start
        while ts <= end {
            try shared.checkDeadline("expression evaluation")
            // Groups in the order the step meets them, as the per-step loop orders its output.
            met.removeAll(keepingCapacity: true)
            for i in input.indices {
                let c = cursors[i]
                guard c < input[i].points.count, input[i].points[c].t == ts else { continue }
                cursors[i] = c + 1
                let g = groupOf[i]
                if heaps[g].isEmpty { met.append(g) }
                Self.rank(&heaps[g], RankedSample(v: input[i].points[c].v, index: i), k: k, top: top)
            }
            for g in met {
                goSortReverse(&heaps[g], less: top ? topkLess : bottomkLess)
                for x in heaps[g] {
                    if outIndex[x.index] < 0 {
                        outIndex[x.index] = out.count
                        out.append(Series(labels: input[x.index].labels, points: [], dropName: input[x.index].dropName))
                        out[out.count - 1].points.reserveCapacity(min(steps, input[x.index].points.count))
                    }
                    out[outIndex[x.index]].points.append(Point(t: ts, v: x.v))
                }
                total += heaps[g].count
                heaps[g].removeAll(keepingCapacity: true)
            }
            ts += interval
        }
        try shared.add(total)
        return out
    }
}

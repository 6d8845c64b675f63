import StrataCore

/// Prometheus 3.x reads the histograms of a selector under `histogram_count`, `histogram_sum`
/// or `histogram_avg` with its HistogramStatsIterator: count and sum only (no buckets), and
/// an unknown counter-reset hint replaced on the fly by comparing each histogram with the one
/// read before it. The hints that come out of that are visible: `sum`/`avg`/`sum_over_time`
/// warn about conflicting counter resets when one series says "reset" and another "not
/// reset". This reproduces which histograms the iterator compares, so the same warnings
/// appear (and the same values: hints decide counter resets in `rate` too).
enum HistogramStatsDecoding {
    /// The selectors (by id) whose histograms Prometheus decodes as statistics: below one of
    /// the three functions, and not below a subquery, `histogram_quantile(s)`,
    /// `histogram_fraction` or a trim operator, which need the buckets (detectHistogramStatsDecoding).
    static func selectors(_ e: Expr) -> Set<Int> {
        var out = Set<Int>()
        walk(e, statsOnly: false, &out)
        return out
    }

    private static func walk(_ e: Expr, statsOnly: Bool, _ out: inout Set<Int>) {
        switch e {
        case .vectorSelector(let vs), .matrixSelector(let vs, _):
            if statsOnly { out.insert(vs.id) }
        case .subquery:
            return
        case .call(let c):
            switch c.function.name {
            case "histogram_quantile", "histogram_quantiles", "histogram_fraction": return
            case "histogram_count", "histogram_sum", "histogram_avg":
                for a in c.args { walk(a, statsOnly: true, &out) }
            default:
                for a in c.args { walk(a, statsOnly: statsOnly, &out) }
            }
        case .binary(let b):
            if b.op.isTrim { return }
            walk(b.lhs, statsOnly: statsOnly, &out)
            walk(b.rhs, statsOnly: statsOnly, &out)
        case .aggregate(let a):
            walk(a.expr, statsOnly: statsOnly, &out)
            if let p = a.param { walk(p, statsOnly: statsOnly, &out) }
        case .paren(let x), .stepInvariant(let x), .unary(_, let x):
            walk(x, statsOnly: statsOnly, &out)
        case .number, .string:
            return
        }
    }

    /// `cols` as the statistics iterator yields them when read at `refTimes` (ascending) by
    /// an iterator that looks back `delta` (the lookback for instant selectors, the range for
    /// range selectors). Each read histogram is compared with the previous one read; a seek
    /// past the current sample forgets it, so the first histogram after a gap keeps its hint.
    static func decode(_ cols: HistogramColumns, refTimes: some Sequence<Int64>, delta: Int64) -> HistogramColumns {
        let ts = cols.timestamps, n = ts.count
        guard n > 0 else { return cols }
        var hints = cols.histograms.map(\.counterResetHint)
        var read = [Bool](repeating: false, count: n)
        var last: Int?
        func visit(_ i: Int) {
            if read[i] { return }
            read[i] = true
            let h = cols.histograms[i]
            if isStaleNaN(h.sum) { return }
            if hints[i] == .unknown, let l = last {
                hints[i] = h.detectReset(previous: cols.histograms[l]) ? .counterReset : .notCounterReset
            }
            last = i
        }
        // Prometheus's Memoized/BufferedSeriesIterator over the statistics iterator.
        var pos = 0, lastTime = Int64.min
        steps: for ref in refTimes {
            let t0 = ref - delta
            if t0 > lastTime {
                if t0 > ts[pos] { last = nil }
                while pos < n, ts[pos] < t0 { pos += 1 }
                if pos == n { break }
                lastTime = ts[pos]
            }
            while lastTime < ref {
                visit(pos)
                pos += 1
                if pos == n { break steps }
                lastTime = ts[pos]
            }
            visit(pos)
        }
        var out = cols
        for i in 0..<n {
            let h = cols.histograms[i]
            out.histograms[i] = FloatHistogram(counterResetHint: hints[i], schema: h.schema, count: h.count, sum: h.sum)
        }
        return out
    }
}

extension Evaluator {
    /// The series of `vs`, with histograms decoded as statistics where Prometheus would (see
    /// HistogramStatsDecoding), for reads at every step looking back `delta`.
    func selectedSeries(_ vs: VectorSelector, delta: Int64, offset: Int64, fixedAt: Bool = false) -> [StorageSeries] {
        let series = seriesFor(vs)
        guard shared.statsOnlySelectors.contains(vs.id) else { return series }
        let refTimes = stride(from: start, through: fixedAt ? start : end, by: Int(interval)).map { $0 - offset }
        return series.map { s in
            guard !s.histograms.isEmpty else { return s }
            var d = s
            d.histograms = HistogramStatsDecoding.decode(s.histograms, refTimes: refTimes, delta: delta)
            return d
        }
    }
}

import StrataCore

/// The fast path for element-wise nodes (vector/scalar arithmetic and comparisons, math
/// functions, clamp, round, date functions of a vector): each output sample depends on one
/// input sample and its series' labels only, so each series is mapped once over all steps
/// instead of rebuilding a vector per step. The result is what rangeEval would produce,
/// including the "same labelset" error when two series collide at a step.
extension Evaluator {
    /// `f(value, stepIndex)` returns the output value or nil to drop the sample. Native
    /// histogram samples go through `hf` (a float or a histogram, nil to drop); without
    /// one they are dropped, as float functions do. `dropsName`: the operation changes the
    /// metric's meaning (see `nameDropped`).
    func mapSeries(_ input: [Series], dropsName: Bool,
                   histograms hf: ((FloatHistogram, Int) -> (Double, FloatHistogram?)?)? = nil,
                   _ f: (Double, Int) -> Double?) throws -> [Series] {
        var out: [Series] = []
        out.reserveCapacity(input.count)
        var total = 0
        for s in input {
            try shared.checkDeadline("expression evaluation")
            var pts: [Point] = []
            pts.reserveCapacity(s.points.count)
            for p in s.points {
                let step = Int((p.t - start) / interval)
                if let v = f(p.v, step) { pts.append(Point(t: p.t, v: v)) }
            }
            var hists: [HPoint] = []
            if let hf, !s.histograms.isEmpty {
                var floats: [Point] = []
                for p in s.histograms {
                    guard let (v, h) = hf(p.h, Int((p.t - start) / interval)) else { continue }
                    if let h { hists.append(HPoint(t: p.t, h: h)) } else { floats.append(Point(t: p.t, v: v)) }
                }
                if !floats.isEmpty {
                    pts = (pts + floats).sorted { $0.t < $1.t }
                }
            }
            if pts.isEmpty && hists.isEmpty { continue }
            total += pts.count + hists.reduce(0) { $0 + $1.h.sampleWeight }
            out.append(Series(labels: dropsName ? nameDropped(s.labels) : s.labels, points: pts, histograms: hists,
                              dropName: dropsName || s.dropName))
        }
        let inputSamples = input.reduce(0) { $0 + $1.sampleCount }
        shared.currentSamples -= inputSamples
        try shared.add(total)
        return try mergeCollisions(out)
    }

    /// Series that ended up with the same labels become one series, unless they have a
    /// sample at the same step (then the vector at that step would hold the labelset twice).
    func mergeCollisions(_ series: [Series]) throws -> [Series] {
        var index: [Labels: Int] = [:]
        index.reserveCapacity(series.count)
        var out: [Series] = []
        var merged = Set<Int>()
        for s in series {
            if let i = index[s.labels] {
                if start == end { throw fail("vector cannot contain metrics with the same labelset") }
                out[i].dropName = out[i].dropName || s.dropName
                out[i].points.append(contentsOf: s.points)
                out[i].histograms.append(contentsOf: s.histograms)
                merged.insert(i)
            } else {
                index[s.labels] = out.count
                out.append(s)
            }
        }
        for i in merged {
            out[i].points.sort { $0.t < $1.t }
            out[i].histograms.sort { $0.t < $1.t }
            var times = Set<Int64>()
            for p in out[i].points where !times.insert(p.t).inserted { throw fail("vector cannot contain metrics with the same labelset") }
            for p in out[i].histograms where !times.insert(p.t).inserted { throw fail("vector cannot contain metrics with the same labelset") }
        }
        return out
    }

    /// One value per step of a scalar expression (scalars have a sample at every step).
    func scalarValues(_ e: Expr) throws -> [Double] {
        let m = try eval(e).matrix
        var vals = [Double](repeating: .nan, count: numSteps)
        if let s = m.first {
            for p in s.points { vals[Int((p.t - start) / interval)] = p.v }
        }
        return vals
    }
}

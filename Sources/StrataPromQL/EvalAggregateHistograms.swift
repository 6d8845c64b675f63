import StrataCore

/// Native histograms in `sum` and `avg` (Kahan-compensated like floats; `avg` switches to
/// the incremental mean when the running sum would overflow), and in the aggregations that
/// ignore them (Prometheus's aggregation()).
extension Evaluator {
    /// Histogram state of an aggregation group.
    struct HistogramAggregate {
        var value: FloatHistogram?
        var mean: FloatHistogram?
        var compensation: FloatHistogram?
        var incremental = false
        var incompatible = false
        var counterResetSeen = false
        var notCounterResetSeen = false

        mutating func noteHint(_ h: FloatHistogram) {
            if h.counterResetHint == .counterReset { counterResetSeen = true }
            if h.counterResetHint == .notCounterReset { notCounterResetSeen = true }
        }
    }

    /// Whether `op` leaves histogram samples out (with an info), as min, max, stddev, stdvar,
    /// quantile, topk and bottomk do.
    static func ignoresHistograms(_ op: AggregateOp) -> Bool {
        switch op {
        case .min, .max, .stddev, .stdvar, .quantile, .topk, .bottomk: return true
        default: return false
        }
    }

    /// Adds histogram `h` to a `sum` or `avg` group holding `count` samples (this one
    /// included); marks the group incompatible when the two cannot be added.
    func addHistogram(_ op: AggregateOp, _ g: inout HistogramAggregate, _ h: FloatHistogram, count: Double,
                      metric: String, pos: SourcePos?) {
        // A group that started with floats is invalid anyway; no point adding.
        guard var value = g.value else { return }
        g.noteHint(h)
        do {
            if op == .sum {
                let info = try value.kahanAdd(h, compensation: &g.compensation)
                g.value = value
                if info.nhcbBoundsReconciled { shared.annotations.info(AnnotationText.mismatchedCustomBuckets("aggregation"), pos) }
                return
            }
            if !g.incremental {
                var c = g.compensation
                let info = try value.kahanAdd(h, compensation: &c)
                if info.nhcbBoundsReconciled { shared.annotations.info(AnnotationText.mismatchedCustomBuckets("aggregation"), pos) }
                if !value.hasOverflow {
                    g.value = value
                    g.compensation = c
                    return
                }
                g.incremental = true
                var mean = g.value!
                mean.div(count - 1)
                g.mean = mean
                g.compensation?.div(count - 1)
            }
            let q = (count - 1) / count
            g.compensation?.mul(q)
            var toAdd = h
            toAdd.div(count)
            var mean = g.mean!
            mean.mul(q)
            let info = try mean.kahanAdd(toAdd, compensation: &g.compensation)
            g.mean = mean
            if info.nhcbBoundsReconciled { shared.annotations.info(AnnotationText.mismatchedCustomBuckets("aggregation"), pos) }
        } catch {
            if error == .mixedSchemas { shared.annotations.warn(AnnotationText.mixedExponentialCustom(metric), pos) }
            g.incompatible = true
        }
    }

    /// The group's result histogram, or nil when it has none.
    func finishHistogram(_ op: AggregateOp, _ g: HistogramAggregate, count: Double, pos: SourcePos?) -> FloatHistogram? {
        guard !g.incompatible, var value = g.value else { return nil }
        if g.counterResetSeen && g.notCounterResetSeen {
            shared.annotations.warn(AnnotationText.counterResetCollision("aggregation"), pos)
        }
        if op == .avg {
            if g.incremental {
                value = g.mean!
                if let c = g.compensation { _ = try? value.add(c) }
            } else {
                value.div(count)
                if var c = g.compensation {
                    c.div(count)
                    _ = try? value.add(c)
                }
            }
        } else if let c = g.compensation {
            _ = try? value.add(c)
        }
        value.compact(maxEmptyBuckets: 0)
        return value
    }
}

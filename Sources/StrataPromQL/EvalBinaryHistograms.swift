import StrataCore

/// Binary operators where a native histogram is involved (Prometheus's vectorElemBinop):
/// histogram × scalar, histogram ÷ scalar, histogram ± histogram (the difference is a
/// gauge), `==`/`!=` between histograms; every other combination yields nothing and an
/// info between vectors.
struct HistogramElemResult {
    var v: Double = 0
    var h: FloatHistogram?
    var keep: Bool
    var info: String?
    /// The histograms could not be combined (exponential and custom buckets).
    var incompatible = false
    var warning: String?
}

func histogramElemBinop(_ op: BinaryOp, _ lv: Double, _ rv: Double, _ lh: FloatHistogram?, _ rh: FloatHistogram?) -> HistogramElemResult {
    func incompatibleTypes() -> HistogramElemResult {
        HistogramElemResult(keep: false, info: AnnotationText.incompatibleTypes(lh == nil ? "float" : "histogram", op.rawValue,
                                                                                rh == nil ? "float" : "histogram"))
    }
    switch (lh, rh) {
    case (nil, let r?):
        guard op == .mul else { return incompatibleTypes() }
        var h = r
        h.mul(lv)
        h.compact(maxEmptyBuckets: 0)
        return HistogramElemResult(h: h, keep: true)
    case (let l?, nil):
        if op.isTrim { return HistogramElemResult(h: l.trimBuckets(rv, upper: op == .trimUpper), keep: true) }
        guard op == .mul || op == .div else { return incompatibleTypes() }
        var h = l
        if op == .mul { h.mul(rv) } else { h.div(rv) }
        h.compact(maxEmptyBuckets: 0)
        return HistogramElemResult(h: h, keep: true)
    case (let l?, let r?):
        switch op {
        case .add, .sub:
            var h = l
            let info: HistogramCombineInfo
            do {
                info = op == .add ? try h.add(r) : try h.sub(r)
            } catch {
                return HistogramElemResult(keep: false, incompatible: true)
            }
            if op == .sub { h.counterResetHint = .gauge }
            h.compact(maxEmptyBuckets: 0)
            let operation = op == .add ? "addition" : "subtraction"
            return HistogramElemResult(h: h, keep: true,
                                       info: info.nhcbBoundsReconciled ? AnnotationText.mismatchedCustomBuckets(operation) : nil,
                                       warning: info.counterResetCollision ? AnnotationText.counterResetCollision(operation) : nil)
        case .eql: return HistogramElemResult(h: l, keep: l.equals(r))
        case .neq: return HistogramElemResult(h: l, keep: !l.equals(r))
        default: return incompatibleTypes()
        }
    case (nil, nil):
        // Only the trim operators come here with two floats: they apply to histograms only.
        return incompatibleTypes()
    }
}

extension Evaluator {
    /// Records what a vector/vector element operation reported and returns whether it produced
    /// a sample (the annotations of Prometheus's handleVectorBinopError).
    func noteBinop(_ r: HistogramElemResult, _ b: BinaryExpr) {
        if r.incompatible { shared.annotations.warn(AnnotationText.incompatibleBucketLayout(b.op.rawValue), b.pos) }
        if let w = r.warning { shared.annotations.warn(w, b.pos) }
        if let i = r.info { shared.annotations.info(i, b.pos) }
    }
}

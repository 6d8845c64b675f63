import StrataCore

/// Binary operators where a native histogram is involved (Prometheus's vectorElemBinop):
/// histogram × scalar, histogram ÷ scalar, histogram ± histogram (the difference is a
/// gauge), `==`/`!=` between histograms; every other combination yields nothing and an
/// info between vectors.
struct HistogramElemResult {
    var v: Double = 0
    var h: FloatHistogram?
    var keep: Bool
    /// The operation failed: no sample, whatever `bool` says, and this annotation
    /// (Prometheus returns these as the error of vectorElemBinop).
    var failure: (warning: Bool, text: String)?
    /// Mismatched custom bounds were reconciled (the sample is kept).
    var info: String?
}

func histogramElemBinop(_ op: BinaryOp, _ lv: Double, _ rv: Double, _ lh: FloatHistogram?, _ rh: FloatHistogram?) -> HistogramElemResult {
    func incompatibleTypes() -> HistogramElemResult {
        HistogramElemResult(keep: false, failure: (false, AnnotationText.incompatibleTypes(lh == nil ? "float" : "histogram", op.rawValue,
                                                                                          rh == nil ? "float" : "histogram")))
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
                return HistogramElemResult(keep: false, failure: (true, AnnotationText.incompatibleBucketLayout(op.rawValue)))
            }
            let operation = op == .add ? "addition" : "subtraction"
            if info.counterResetCollision {
                return HistogramElemResult(keep: false, failure: (true, AnnotationText.counterResetCollision(operation)))
            }
            if op == .sub { h.counterResetHint = .gauge }
            h.compact(maxEmptyBuckets: 0)
            return HistogramElemResult(h: h, keep: true,
                                       info: info.nhcbBoundsReconciled ? AnnotationText.mismatchedCustomBuckets(operation) : nil)
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
    /// Records what an element operation reported; true when it produced no sample.
    func noteBinop(_ r: HistogramElemResult, _ b: BinaryExpr) -> Bool {
        if let i = r.info { shared.annotations.info(i, b.pos) }
        guard let f = r.failure else { return false }
        if f.warning { shared.annotations.warn(f.text, b.pos) } else { shared.annotations.info(f.text, b.pos) }
        return true
    }
}

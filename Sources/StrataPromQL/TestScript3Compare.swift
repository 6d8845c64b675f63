import StrataCore

/// Comparing a query result with an eval's expectations, as promqltest's compareResult does
/// (values within a relative 1e-6; stale markers equal only stale markers).
extension TestScript3 {
    static func compare(_ ev: Eval, _ res: QueryResult) -> String? {
        switch res {
        case .string(_, let v):
            guard let exp = ev.expectedString else { return "unexpected string result \(goQuote(v))" }
            return exp == v ? nil : "expected string \"\(exp)\" but got \"\(v)\""
        case .scalar(_, let v):
            guard case .float(let exp)? = ev.scalar else { return "expected vector or matrix result, but got scalar \(formatGoFloat(v))" }
            return almostEqual(exp, v) ? nil : "expected scalar \(formatGoFloat(exp)) but got \(formatGoFloat(v))"
        case .vector(let vec):
            if ev.scalar != nil { return "expected scalar result, but got vector" }
            var seen = Set<Labels>()
            for (pos, s) in vec.enumerated() {
                guard let exp = ev.expected[s.labels] else {
                    return "unexpected metric \(s.labels) in result, has value \(describe(s))"
                }
                if ev.isOrdered && exp.pos != pos + 1 {
                    return "expected metric \(s.labels) at position \(exp.pos) but was at \(pos + 1)"
                }
                switch (exp.values.first, s.h) {
                case (.float(let v)?, nil):
                    if !almostEqual(v, s.v) { return "expected \(formatGoFloat(v)) for \(s.labels) but got \(formatGoFloat(s.v))" }
                case (.histogram(let want, let hintGiven)?, let got?):
                    if !histogramsMatch(want, got, hintGiven: hintGiven) {
                        return "expected \(want.testNotation) for \(s.labels) but got \(got.testNotation)"
                    }
                default:
                    return "expected \(exp.values.first.map(describe) ?? "no value") for \(s.labels) but got \(describe(s))"
                }
                seen.insert(s.labels)
            }
            for labels in ev.expected.keys where !seen.contains(labels) { return "expected metric \(labels) not found" }
            return nil
        case .matrix(let mat):
            if ev.isOrdered { return "expected ordered result, but query returned a matrix" }
            if ev.scalar != nil { return "expected scalar result, but got matrix" }
            for k in mat.indices.dropFirst() where mat[k].labels < mat[k - 1].labels {
                return "matrix results should always be sorted by labels"
            }
            var seen = Set<Labels>()
            for s in mat {
                guard let exp = ev.expected[s.labels] else {
                    return "unexpected metric \(s.labels) in result, has \(s.points.count) float points and \(s.histograms.count) histogram points"
                }
                seen.insert(s.labels)
                var want: [Point] = []
                var wantH: [(t: Int64, h: FloatHistogram, hintGiven: Bool)] = []
                for (i, v) in exp.values.enumerated() {
                    let t = ev.start + Int64(i) * ev.step
                    if t > ev.end {
                        return "expected \(exp.values.count) points for \(s.labels), but query time range cannot return this many points"
                    }
                    switch v {
                    case .float(let f): want.append(Point(t: t, v: f))
                    case .histogram(let h, let hintGiven): wantH.append((t, h, hintGiven))
                    case .omitted: break
                    }
                }
                if want.count != s.points.count || wantH.count != s.histograms.count {
                    return "expected \(want.count) float points and \(wantH.count) histogram points for \(s.labels), but got \(s.points.count) and \(s.histograms.count): \(describe(s.points))"
                }
                for (w, got) in zip(wantH, s.histograms) {
                    if w.t != got.t { return "expected histogram timestamp \(w.t) for \(s.labels), but got \(got.t)" }
                    if !histogramsMatch(w.h, got.h, hintGiven: w.hintGiven) {
                        return "expected \(w.h.testNotation) at t=\(w.t) for \(s.labels) but got \(got.h.testNotation)"
                    }
                }
                for (w, got) in zip(want, s.points) {
                    if w.t != got.t { return "expected timestamp \(w.t) for \(s.labels), but got \(got.t): \(describe(s.points))" }
                    if !almostEqual(w.v, got.v) {
                        return "expected \(formatGoFloat(w.v)) at t=\(w.t) for \(s.labels) but got \(formatGoFloat(got.v)): \(describe(s.points))"
                    }
                }
            }
            for labels in ev.expected.keys where !seen.contains(labels) { return "expected metric \(labels) not found" }
            return nil
        }
    }

    static func describe(_ s: Sample) -> String { s.h?.testNotation ?? formatGoFloat(s.v) }

    static func describe(_ v: SeriesLine3.Value) -> String {
        switch v {
        case .float(let f): return formatGoFloat(f)
        case .histogram(let h, _): return h.testNotation
        case .omitted: return "_"
        }
    }

    /// promqltest's compareNativeHistogram on both sides compacted: schema, custom bounds,
    /// zero threshold and spans exactly (empty spans aside), counts and sum almost equal,
    /// the counter reset hint only when the expectation wrote one.
    static func histogramsMatch(_ a0: FloatHistogram, _ b0: FloatHistogram, hintGiven: Bool) -> Bool {
        var a = a0, b = b0
        a.compact(maxEmptyBuckets: 0)
        b.compact(maxEmptyBuckets: 0)
        func bucketsMatch(_ x: [Double], _ y: [Double]) -> Bool {
            x.count == y.count && zip(x, y).allSatisfy { almostEqual($0, $1) }
        }
        func spans(_ s: [HistogramSpan]) -> [HistogramSpan] {
            // Zero-length spans only shift the next one.
            var out: [HistogramSpan] = []
            var carry: Int32 = 0
            for sp in s {
                if sp.length == 0 { carry += sp.offset; continue }
                out.append(HistogramSpan(offset: sp.offset + carry, length: sp.length))
                carry = 0
            }
            return out
        }
        guard a.schema == b.schema, almostEqual(a.count, b.count), almostEqual(a.sum, b.sum) else { return false }
        if a.usesCustomBuckets && a.customValues != b.customValues { return false }
        guard a.zeroThreshold == b.zeroThreshold, almostEqual(a.zeroCount, b.zeroCount) else { return false }
        guard spans(a.negativeSpans) == spans(b.negativeSpans), bucketsMatch(a.negativeBuckets, b.negativeBuckets),
              spans(a.positiveSpans) == spans(b.positiveSpans), bucketsMatch(a.positiveBuckets, b.positiveBuckets) else { return false }
        return !hintGiven || a.counterResetHint == b.counterResetHint
    }

    static func describe(_ points: [Point]) -> String {
        points.prefix(12).map { "\(formatGoFloat($0.v)) @\($0.t)" }.joined(separator: ", ") + (points.count > 12 ? ", …" : "")
    }

    /// almost.Equal of Prometheus 3: stale markers equal only stale markers, any other NaN
    /// equals NaN, else a relative difference below 1e-6.
    static func almostEqual(_ a: Double, _ b: Double) -> Bool { goAlmostEqual(a, b, 0.000001) }
}

import Foundation
import StrataCore

/// Per-node state of instant-vector functions, kept across steps (compiled regexes, caches).
struct FunctionState {
    /// Which label names are valid (label_replace, label_join).
    var compat = PromQLCompat.v3_14
    /// Delayed name removal: `dropName` keeps the name; the samples are marked instead.
    var delayNameRemoval = false
    var labelRegex: CaptureRegex?
    /// label_replace, label_join: output labels per input labels, and whether the regex matched.
    var labelCache: [Labels: (labels: Labels, matched: Bool)] = [:]
    var dropNameCache: [Labels: Labels] = [:]
    /// histogram_quantile: per input series, its bucket group and upper bound (nil: no
    /// valid `le`); the groups' keys and output labels.
    /// Indexed by input series; nil: not seen yet, .some(nil): no valid `le`.
    var bucketOf: [(group: Int, upper: Double)??] = []
    var bucketGroups: [String: Int] = [:]
    /// One step's buckets per group, reused from step to step.
    var stepBuckets: [[Bucket]] = []
    var bucketGroupLabels: [Labels] = []
    /// Warnings and infos of this node, merged into the query's when the node is done.
    var annotations = Annotations()

    /// The labels of a function's output sample whose meaning changed (see
    /// `Evaluator.nameDropped`); the sample is marked `dropName` as well.
    mutating func dropName(_ l: Labels) -> Labels {
        if delayNameRemoval { return l }
        if let hit = dropNameCache[l] { return hit }
        let d = l.droppingName(compat)
        dropNameCache[l] = d
        return d
    }
}

/// Functions whose arguments are instant vectors and scalars (no range vector), called once
/// per step with each argument's vector at that step.
enum InstantFunctions {
    static let math: [String: @Sendable (Double) -> Double] = [
        "abs": { Swift.abs($0) },
        "ceil": { Foundation.ceil($0) },
        "floor": { Foundation.floor($0) },
        "exp": { GoLibm.exp($0) },
        "sqrt": { $0.squareRoot() },
        "ln": { GoLibm.log($0) },
        "log2": { GoLibm.log2($0) },
        "log10": { GoLibm.log10($0) },
        "sin": { GoLibm.sin($0) },
        "cos": { GoLibm.cos($0) },
        "tan": { GoLibm.tan($0) },
        "asin": { GoLibm.asin($0) },
        "acos": { GoLibm.acos($0) },
        "atan": { GoLibm.atan($0) },
        "sinh": { GoLibm.sinh($0) },
        "cosh": { GoLibm.cosh($0) },
        "tanh": { GoLibm.tanh($0) },
        "asinh": { GoLibm.asinh($0) },
        "acosh": { GoLibm.acosh($0) },
        "atanh": { GoLibm.atanh($0) },
        "rad": { $0 * Double.pi / 180 },
        "deg": { $0 * 180 / Double.pi },
        "sgn": { $0 < 0 ? -1 : ($0 > 0 ? 1 : $0) },
    ]

    static let date: [String: @Sendable (GoTime) -> Double] = [
        "year": { Double($0.date.year) },
        "month": { Double($0.date.month) },
        "day_of_month": { Double($0.date.day) },
        "day_of_week": { Double($0.weekday) },
        "day_of_year": { Double($0.date.yday + 1) },
        "days_in_month": { Double($0.daysInMonth) },
        "hour": { Double($0.hour) },
        "minute": { Double($0.minute) },
    ]

    static func call(_ c: Call, _ inp: Evaluator.StepInput, _ st: inout FunctionState) throws -> [Sample] {
        let name = c.function.name
        let ts = inp.ts
        func arg(_ i: Int) -> [Sample] { inp.vectors[i] }
        func scalarArg(_ i: Int) -> Double { inp.vectors[i].first?.v ?? .nan }
        // Float functions leave native histograms out (Prometheus's simpleFloatFunc).
        func simple(_ f: (Double) -> Double) -> [Sample] {
            arg(0).compactMap { $0.h != nil ? nil : Sample(labels: st.dropName($0.labels), t: ts, v: f($0.v), dropName: true) }
        }
        func floatsOnly(_ v: [Sample]) -> [Sample] { v.filter { $0.h == nil } }
        if let f = math[name] { return simple(f) }
        if let f = date[name] {
            if c.args.isEmpty {
                return [Sample(labels: Labels(), t: ts, v: f(GoTime(unixSeconds: ts / 1000)))]
            }
            return simple { v in f(GoTime(unixSeconds: goInt64(v))) }
        }
        switch name {
        case "time": return [Sample(labels: Labels(), t: ts, v: Double(ts) / 1000)]
        case "min_of": return [Sample(labels: Labels(), t: ts, v: goMin(scalarArg(0), scalarArg(1)))]
        case "max_of": return [Sample(labels: Labels(), t: ts, v: goMax(scalarArg(0), scalarArg(1)))]
        case "pi": return [Sample(labels: Labels(), t: ts, v: Double.pi)]
        case "vector": return [Sample(labels: Labels(), t: ts, v: scalarArg(0))]
        case "scalar":
            let v = floatsOnly(arg(0))
            return [Sample(labels: Labels(), t: ts, v: v.count == 1 ? v[0].v : .nan)]
        case "timestamp":
            return arg(0).map { Sample(labels: st.dropName($0.labels), t: ts, v: Double($0.t) / 1000, dropName: true) }
        case "clamp":
            let lo = scalarArg(1), hi = scalarArg(2)
            if hi < lo { return [] }
            return simple { goMax(lo, goMin(hi, $0)) }
        case "clamp_max":
            let hi = scalarArg(1)
            return simple { goMin(hi, $0) }
        case "clamp_min":
            let lo = scalarArg(1)
            return simple { goMax(lo, $0) }
        case "round":
            let toNearest = c.args.count >= 2 ? scalarArg(1) : 1
            let inverse = 1.0 / toNearest
            return simple { Foundation.floor($0 * inverse + 0.5) / inverse }
        case "sort":
            var v = floatsOnly(arg(0))
            goSortReverse(&v, less: bottomkLess)
            return v
        case "sort_desc":
            var v = floatsOnly(arg(0))
            goSortReverse(&v, less: topkLess)
            return v
        case "sort_by_label", "sort_by_label_desc":
            var labels: [String] = []
            for a in c.args.dropFirst() { if case .string(let s) = a.unwrapped { labels.append(s) } }
            return sortByLabel(arg(0), labels, descending: name == "sort_by_label_desc")
        case "absent":
            if !arg(0).isEmpty { return [] }
            return [Sample(labels: absentLabels(c.args[0]), t: ts, v: 1)]
        case "histogram_quantile", "histogram_quantiles", "histogram_fraction", "histogram_count", "histogram_sum",
             "histogram_avg", "histogram_stddev", "histogram_stdvar":
            return try histogramFunction(c, inp, &st)
        case "label_replace":
            return try labelReplace(c, arg(0), ts, &st)
        case "label_join":
            return try labelJoin(c, arg(0), ts, &st)
        default:
            throw QueryError.execution("function \(goQuote(name)) cannot be applied to instant vectors")
        }
    }

    /// `sort_by_label(_desc)`: by the given labels' values in natural order, ties by the
    /// whole label set in the same direction.
    static func sortByLabel(_ v: [Sample], _ labels: [String], descending: Bool) -> [Sample] {
        v.sorted { a, b in
            for l in labels {
                let x = a.labels[l], y = b.labels[l]
                if x == y { continue }
                return NaturalSort.less(x, y) != descending
            }
            return descending ? b.labels < a.labels : a.labels < b.labels
        }
    }

    /// Go's int64(float64) on amd64 (truncation; NaN and out-of-range give math.MinInt64).
    static func goInt64(_ v: Double) -> Int64 {
        if v.isNaN || v >= 9_223_372_036_854_775_808.0 || v < -9_223_372_036_854_775_808.0 { return Int64.min }
        return Int64(v)
    }

    /// The labels `absent(sel)` reports: the selector's equality matchers, unless a name is
    /// matched more than once (Prometheus's createLabelsForAbsentFunction).
    static func absentLabels(_ arg: Expr) -> Labels {
        var e = arg
        while case .paren(let inner) = e { e = inner }
        let matchers: [Matcher]
        switch e {
        case .vectorSelector(let vs): matchers = vs.matchers
        case .matrixSelector(let vs, _): matchers = vs.matchers
        default: return Labels()
        }
        var out: [String: String] = [:]
        var has = Set<String>()
        for m in matchers where m.name != metricNameLabel {
            if m.type == .equal && !has.contains(m.name) {
                out[m.name] = m.value
                has.insert(m.name)
            } else {
                out[m.name] = nil
            }
        }
        return Labels(out)
    }

    /// Applies `f` to the buckets of each classic histogram in `vec`: buckets grouped by
    /// their labels without `le`. What a series contributes (its group and bound) is worked
    /// out once per series and kept in `st` for the following steps. Native histogram
    /// samples are left out; `badBucket` is called for buckets without a valid `le`.
    static func classicHistograms(_ vec: [Sample], _ sources: [Int], _ ts: Int64, _ st: inout FunctionState,
                                  badBucket: (Sample) -> Void = { _ in },
                                  _ f: ([Bucket]) -> Double) -> [Sample] {
        var order: [Int] = []
        for (i, s) in vec.enumerated() where s.h == nil {
            let si = i < sources.count ? sources[i] : -1
            let entry: (group: Int, upper: Double)?
            if si >= 0, si < st.bucketOf.count, let cached = st.bucketOf[si] {
                entry = cached
            } else {
                if let upper = parseGoFloat(s.labels["le"]) {
                    let key = labelsKey(s.labels.pairs.filter { $0.name != "le" })
                    let g: Int
                    if let known = st.bucketGroups[key] {
                        g = known
                    } else {
                        g = st.bucketGroupLabels.count
                        st.bucketGroups[key] = g
                        st.bucketGroupLabels.append(st.dropName(s.labels.removing(["le"])))
                    }
                    entry = (g, upper)
                } else {
                    entry = nil
                }
                if si >= 0 {
                    if si >= st.bucketOf.count { st.bucketOf += repeatElement(nil, count: si + 1 - st.bucketOf.count) }
                    st.bucketOf[si] = .some(entry)
                }
            }
            guard let (g, upper) = entry else {
                badBucket(s)
                continue
            }
            if g >= st.stepBuckets.count { st.stepBuckets += repeatElement([], count: g + 1 - st.stepBuckets.count) }
            if st.stepBuckets[g].isEmpty { order.append(g) }
            st.stepBuckets[g].append(Bucket(upperBound: upper, count: s.v))
        }
        defer { for g in order { st.stepBuckets[g].removeAll(keepingCapacity: true) } }
        return order.map { g in Sample(labels: st.bucketGroupLabels[g], t: ts, v: f(st.stepBuckets[g]), dropName: true) }
    }

    static func stringArg(_ e: Expr) -> String {
        if case .string(let s) = e.unwrapped { return s }
        return ""
    }

    static func labelReplace(_ c: Call, _ vec: [Sample], _ ts: Int64, _ st: inout FunctionState) throws -> [Sample] {
        let dst = stringArg(c.args[1]), repl = stringArg(c.args[2])
        let src = stringArg(c.args[3]), regexStr = stringArg(c.args[4])
        if st.labelRegex == nil {
            let flags = st.compat.regexDotMatchesNewline ? "s" : ""
            guard let re = try? CaptureRegex("^(?" + flags + ":" + regexStr + ")$") else {
                throw QueryError.execution("invalid regular expression in label_replace(): \(regexStr)")
            }
            if !isValidLabelName(dst, st.compat) {
                throw QueryError.execution("invalid destination label name in label_replace(): \(dst)")
            }
            st.labelRegex = re
        }
        let re = st.labelRegex!
        var out: [Sample] = []
        out.reserveCapacity(vec.count)
        for el in vec {
            let metric: Labels, matched: Bool
            if let hit = st.labelCache[el.labels] {
                (metric, matched) = hit
            } else {
                let srcVal = el.labels[src]
                if let m = re.match(srcVal) {
                    let res = re.expand(repl, srcVal, m)
                    (metric, matched) = (el.labels.setting(dst, res), true)
                } else {
                    (metric, matched) = (el.labels, false)
                }
                st.labelCache[el.labels] = (metric, matched)
            }
            // A name written by label_replace is kept (only when the regex matched).
            let keepsName = matched && dst == metricNameLabel
            out.append(Sample(labels: metric, t: ts, v: el.v, h: el.h, dropName: el.dropName && !keepsName))
        }
        return out
    }

    static func labelJoin(_ c: Call, _ vec: [Sample], _ ts: Int64, _ st: inout FunctionState) throws -> [Sample] {
        let dst = stringArg(c.args[1]), sep = stringArg(c.args[2])
        var srcLabels: [String] = []
        for a in c.args.dropFirst(3) {
            let s = stringArg(a)
            if !isValidLabelName(s, st.compat) { throw QueryError.execution("invalid source label name in label_join(): \(s)") }
            srcLabels.append(s)
        }
        if !isValidLabelName(dst, st.compat) { throw QueryError.execution("invalid destination label name in label_join(): \(dst)") }
        var out: [Sample] = []
        for el in vec {
            let metric: Labels
            if let hit = st.labelCache[el.labels] {
                metric = hit.labels
            } else {
                let joined = srcLabels.map { el.labels[$0] }.joined(separator: sep)
                metric = el.labels.setting(dst, joined)
                st.labelCache[el.labels] = (metric, true)
            }
            out.append(Sample(labels: metric, t: ts, v: el.v, h: el.h, dropName: el.dropName && dst != metricNameLabel))
        }
        return out
    }
}

/// Go's strconv.ParseFloat for `le` label values: decimal, exponent, Inf/NaN in any case,
/// optional sign.
func parseGoFloat(_ s: String) -> Double? {
    if s.isEmpty { return nil }
    var body = Substring(s)
    var neg = false
    if body.hasPrefix("-") { neg = true; body = body.dropFirst() } else if body.hasPrefix("+") { body = body.dropFirst() }
    switch body.lowercased() {
    case "inf", "infinity": return neg ? -.infinity : .infinity
    case "nan": return .nan
    default: break
    }
    guard let f = body.first, f.isNumber || f == "." else { return nil }
    guard let v = Double(body) else { return nil }
    return neg ? -v : v
}

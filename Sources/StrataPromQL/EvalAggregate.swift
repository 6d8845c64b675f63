import StrataCore

/// Aggregation operators, step by step (Prometheus's aggregation()).
extension Evaluator {
    func evalAggregate(_ a: AggregateExpr) throws -> [Series] {
        let grouping = a.grouping.sorted(by: bytewiseLess)
        let keyFn = groupingKeyFunction(grouping, without: a.without)
        if a.op == .limitk || a.op == .limitRatio { return try evalLimit(a, keyFn) }
        var groupLabels: [Int: Labels] = [:]
        if let p = a.param, case .string(let label) = p.unwrapped {
            return try rangeEval([nil, a.expr], prep: keyFn) { inp in
                try aggregate(a, grouping, a.without, .string(label), &inp, &groupLabels)
            }
        }
        if a.param == nil {
            let input = try eval(a.expr).matrix
            if let done = try aggregateColumns(a.op, grouping, without: a.without, input, keyFn) { return done }
            return try rangeEval(matrices: [[], input], prep: keyFn) { inp in
                try aggregate(a, grouping, a.without, .number(0), &inp, &groupLabels)
            }
        }
        let param = try a.param.map { try eval($0).matrix } ?? [], input = try eval(a.expr).matrix
        if let done = try rankColumns(a, param, input, keyFn) { return done }
        return try rangeEval(matrices: [param, input], prep: keyFn) { inp in
            let param = inp.vectors[0].first?.v ?? .nan
            return try aggregate(a, grouping, a.without, .number(param), &inp, &groupLabels)
        }
    }

    func groupingKeyFunction(_ grouping: [String], without: Bool) -> (Labels) -> String {
        // Runs once per input series: a handful of names compared directly (hashing every
        // label name, and a filtered copy of the labels, cost more than the comparisons).
        if without {
            let drop = grouping + [metricNameLabel]
            return { l in labelsKey(l.pairs) { !drop.contains($0.name) } }
        }
        if grouping.isEmpty { return { _ in "" } }
        return { l in labelsKey(l.pairs) { grouping.contains($0.name) } }
    }

    enum AggParam {
        case number(Double)
        case string(String)
    }

    final class Group {
        var labels: Labels
        var value: Double
        var mean: Double
        var count: Int
        /// topk, bottomk, quantile: the step's candidates, by index into the step's vector.
        var heap: [RankedSample] = []
        /// 3.x: Kahan compensation of `value` (sum, avg) or `mean` (avg once incremental).
        var kahanC = 0.0
        /// 3.x avg: switched from sum/count to the incremental mean when the sum overflowed.
        var incremental = false
        /// sum/avg: native histograms seen, floats seen.
        var hist = HistogramAggregate()
        var hasFloat = false
        var hasHistogram = false
        /// Delayed name removal: a member was marked, so the output is (`by (__name__)`).
        var dropName = false

        init(labels: Labels, value: Double) {
            self.labels = labels
            self.value = value
            self.mean = value
            self.count = 1
        }
    }

    /// One step of an aggregation over `inp.vectors[1]`, grouped by `inp.keys[1]`. Group
    /// labels are built once per group for the whole query (`groupLabels`); operators with
    /// one output per group report the group ids as `inp.outputIDs`.
    func aggregate(_ a: AggregateExpr, _ grouping0: [String], _ without: Bool, _ param: AggParam,
                   _ inp: inout StepInput, _ groupLabels: inout [Int: Labels]) throws -> [Sample] {
        let op = a.op
        let vec = inp.vectors[1], keys = inp.keys[1], ts = inp.ts
        var grouping = grouping0
        var k = 0
        let v3 = shared.compat == .v3_14
        if v3, op == .topk || op == .bottomk, case .number(let f) = param {
            // 3.x's checks and wording (before looking at the input).
            if f.isNaN { throw fail("Parameter value is NaN") }
            if f < 1 { return [] }
            if f >= 9.223372036854775807e18 { throw fail("Scalar value \(formatGoFloat(f)) overflows int64") }
        }
        if op == .topk || op == .bottomk {
            guard case .number(let f) = param else { return [] }
            guard f.isFinite || f.isNaN, f.isNaN || (f >= -9.223372036854775808e18 && f < 9.223372036854775807e18) else {
                throw fail("Scalar value \(formatGoFloat(f)) overflows int64")
            }
            if f.isNaN { throw fail("Scalar value NaN overflows int64") }
            k = Int(f)
            if k < 1 { return [] }
        }
        var q = 0.0
        if op == .quantile, case .number(let f) = param {
            q = f
            if v3, q.isNaN || q < 0 || q > 1 { shared.annotations.warn(AnnotationText.invalidQuantile(q), a.paramPos) }
        }
        var valueLabel = ""
        var recompute = false
        if op == .countValues {
            guard case .string(let s) = param else { return [] }
            valueLabel = s
            if !isValidLabelName(valueLabel, shared.compat) { throw fail("invalid label name \(goQuote(valueLabel))") }
            if !without {
                grouping.append(valueLabel)
                grouping.sort(by: bytewiseLess)
            }
            recompute = true
        }
        let keyFn = recompute ? groupingKeyFunction(grouping, without: without) : nil

        var groups: [Int: Group] = [:]
        var ordered: [Group] = []
        var orderedIDs: [Int] = []
        var recomputed: [String: Int] = [:]
        let labeler = GroupLabeler(grouping, without: without)
        func groupLabelsOf(_ metric: Labels) -> Labels { labeler.labels(of: metric) }
        for (si, s) in vec.enumerated() {
            var metric = s.labels
            if op == .countValues { metric = metric.setting(valueLabel, s.h.map(histogramString) ?? formatGoFloat(s.v)) }
            let key: Int
            if let keyFn {
                let k = keyFn(metric)
                if let id = recomputed[k] { key = id } else { key = recomputed.count; recomputed[k] = key }
            } else {
                key = keys[si]
            }
            if s.h != nil, Self.ignoresHistograms(op) {
                shared.annotations.info(AnnotationText.ignoredInAggregation(op.rawValue), op == .topk || op == .bottomk ? a.pos : a.exprPos)
                continue
            }
            guard let g = groups[key] else {
                let m: Labels
                if recompute {
                    m = groupLabelsOf(metric)
                } else if let cached = groupLabels[key] {
                    m = cached
                } else {
                    m = groupLabelsOf(metric)
                    groupLabels[key] = m
                }
                let g = Group(labels: m, value: s.v)
                g.dropName = s.dropName
                if let h = s.h, op == .sum || op == .avg {
                    g.value = 0
                    g.mean = 0
                    g.hasHistogram = true
                    g.hist.value = h
                    g.hist.noteHint(h)
                } else {
                    g.hasFloat = s.h == nil
                }
                switch op {
                case .stddev, .stdvar: g.value = v3 && !s.v.isFinite ? .nan : 0
                case .topk, .quantile, .bottomk:
                    g.heap = [RankedSample(v: s.v, index: si)]
                case .group: g.value = 1
                default: break
                }
                groups[key] = g
                ordered.append(g)
                orderedIDs.append(key)
                continue
            }
            if s.dropName { g.dropName = true }
            if g.hist.incompatible { continue }
            if let h = s.h, op == .sum || op == .avg {
                if op == .avg { g.count += 1 }
                g.hasHistogram = true
                addHistogram(op, &g.hist, h, count: Double(g.count), metric: s.labels.metricName, pos: a.exprPos)
                continue
            }
            if op == .sum || op == .avg { g.hasFloat = true }
            switch op {
            case .sum:
                if v3 {
                    (g.value, g.kahanC) = KahanSum.inc(s.v, g.value, g.kahanC)
                } else {
                    g.value += s.v
                }
            case .avg where v3:
                // 3.x: Kahan sum / count while the sum is finite, then the incremental mean.
                g.count += 1
                let n = Double(g.count)
                if !g.incremental {
                    let (sum, c) = KahanSum.inc(s.v, g.value, g.kahanC)
                    if !sum.isInfinite {
                        (g.value, g.kahanC) = (sum, c)
                        break
                    }
                    g.incremental = true
                    g.mean = g.value / (n - 1)
                    g.kahanC /= n - 1
                }
                let q = (n - 1) / n
                (g.mean, g.kahanC) = KahanSum.inc(s.v / n, q * g.mean, q * g.kahanC)
            case .avg:
                g.count += 1
                if g.mean.isInfinite {
                    if s.v.isInfinite && (g.mean > 0) == (s.v > 0) { break }
                    if !s.v.isInfinite && !s.v.isNaN { break }
                }
                g.mean += s.v / Double(g.count) - g.mean / Double(g.count)
            case .group:
                break
            case .max:
                if g.value < s.v || g.value.isNaN { g.value = s.v }
            case .min:
                if g.value > s.v || g.value.isNaN { g.value = s.v }
            case .count, .countValues:
                g.count += 1
            case .stddev, .stdvar:
                g.count += 1
                let delta = s.v - g.mean
                g.mean += delta / Double(g.count)
                g.value += delta * (s.v - g.mean)
            case .topk, .bottomk:
                Self.rank(&g.heap, RankedSample(v: s.v, index: si), k: k, top: op == .topk)
            case .quantile:
                g.heap.append(RankedSample(v: s.v, index: si))
            case .limitk, .limitRatio:
                preconditionFailure("limitk and limit_ratio are evaluated by evalLimit")
            }
        }

        var out: [Sample] = []
        // topk/bottomk output input series: their matrix index identifies them across steps.
        var sourceIDs: [Int] = []
        func emit(_ ranked: [RankedSample]) {
            for x in ranked {
                let s = vec[x.index]
                out.append(Sample(labels: s.labels, t: ts, v: x.v, dropName: s.dropName))
                sourceIDs.append(inp.sources[1][x.index])
            }
        }
        for g in ordered {
            if op == .sum || op == .avg, g.hasHistogram {
                if g.hasFloat {
                    shared.annotations.warn(AnnotationText.mixedFloatsHistogramsAggregation, a.exprPos)
                    continue
                }
                if let h = finishHistogram(op, g.hist, count: Double(g.count), pos: a.exprPos) {
                    out.append(Sample(labels: g.labels, t: ts, v: 0, h: h, dropName: g.dropName))
                }
                continue
            }
            switch op {
            case .avg where v3:
                g.value = g.incremental ? g.mean + g.kahanC : g.value / Double(g.count) + g.kahanC / Double(g.count)
            case .avg: g.value = g.mean
            case .sum where v3: g.value += g.kahanC
            case .count, .countValues: g.value = Double(g.count)
            case .stdvar: g.value = g.value / Double(g.count)
            case .stddev: g.value = (g.value / Double(g.count)).squareRoot()
            case .topk:
                var h = g.heap
                goSortReverse(&h, less: topkLess)
                emit(h)
                continue
            case .bottomk:
                var h = g.heap
                goSortReverse(&h, less: bottomkLess)
                emit(h)
                continue
            case .quantile:
                g.value = quantile(q, g.heap.map(\.v))
            default: break
            }
            out.append(Sample(labels: g.labels, t: ts, v: g.value, dropName: g.dropName))
        }
        if op == .topk || op == .bottomk {
            if sourceIDs.count == out.count { inp.outputIDs = sourceIDs }
        } else if !recompute {
            inp.outputIDs = orderedIDs
        }
        return out
    }
}

extension Evaluator {
    /// One sample offered to a topk (`top`) or bottomk group's heap of at most `k`, as
    /// Prometheus's aggregation() does it (the heap's order on ties included).
    @inline(__always)
    static func rank(_ heap: inout [RankedSample], _ item: RankedSample, k: Int, top: Bool) {
        guard heap.count < k || (top ? heap[0].v < item.v : heap[0].v > item.v) || heap[0].v.isNaN else { return }
        if heap.count == k {
            if k == 1 {
                heap[0] = item
                return
            }
            _ = GoHeap.pop(&heap, less: top ? topkLess : bottomkLess)
        }
        GoHeap.push(&heap, item, less: top ? topkLess : bottomkLess)
    }
}

/// A sample ranked by topk, bottomk or quantile: its value and where it is in the step's
/// vector (cheap to move around in a heap, unlike a Sample with its labels).
struct RankedSample: Valued {
    var v: Double
    var index: Int
}

/// What topk/bottomk order: a value.
protocol Valued {
    var v: Double { get }
}

extension Sample: Valued {}

/// vectorByValueHeap.Less: NaN sorts first, then ascending.
func topkLess<T: Valued>(_ a: T, _ b: T) -> Bool {
    if a.v.isNaN { return true }
    return a.v < b.v
}

/// vectorByReverseValueHeap.Less: NaN first, then descending.
func bottomkLess<T: Valued>(_ a: T, _ b: T) -> Bool {
    if a.v.isNaN { return true }
    return a.v > b.v
}

/// A valid label name for `compat`: 3.x accepts any non-empty valid UTF-8 name (quoted where
/// it is not a legacy name), 2.42 only `[a-zA-Z_][a-zA-Z0-9_]*`. Swift strings cannot hold
/// invalid UTF-8: a literal's invalid bytes (`"\xff"`) arrive as U+FFFD, so that character
/// counts as invalid (a name really containing U+FFFD is rejected too; Go would accept it).
func isValidLabelName(_ s: String, _ compat: PromQLCompat) -> Bool {
    compat.quotedNames ? !s.isEmpty && !s.unicodeScalars.contains("\u{FFFD}") : isLegacyLabelName(s)
}

func isLegacyLabelName(_ s: String) -> Bool {
    let u = Array(s.utf8)
    guard let f = u.first, f == 95 || (f >= 65 && f <= 90) || (f >= 97 && f <= 122) else { return false }
    for c in u.dropFirst() where !(c == 95 || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57)) {
        return false
    }
    return true
}

/// The labels of an aggregation group: the `by` labels, or all but the `without` labels and
/// the metric name.
struct GroupLabeler {
    let without: Bool
    let names: Set<String>

    init(_ grouping: [String], without: Bool) {
        self.without = without
        names = without ? Set(grouping + [metricNameLabel]) : Set(grouping)
    }

    func labels(of metric: Labels) -> Labels {
        if without { return Labels(sortedPairs: metric.pairs.filter { !names.contains($0.name) }) }
        if names.isEmpty { return Labels() }
        return Labels(sortedPairs: metric.pairs.filter { names.contains($0.name) })
    }
}

import StrataCore

/// State shared by an evaluator and the child evaluators of its subqueries: the prefetched
/// series, the sample budget and the deadline. One query, one task: not shared across tasks.
final class EvalShared {
    let series: [Int: [StorageSeries]]
    let maxSamples: Int
    let lookbackDelta: Int64
    let deadline: ContinuousClock.Instant
    let noStepSubqueryInterval: @Sendable (Int64) -> Int64
    let compat: PromQLCompat
    /// `promql-delayed-name-removal` (3.x only): names are marked for removal, removed at the end.
    let delayNameRemoval: Bool
    /// A sample at `t` is older than the lookback window at `ref` when `t <= ref - lookbackCut`:
    /// 2.42's window includes `ref - lookbackDelta`, 3.x's excludes it.
    let lookbackCut: Int64
    /// Added to `maxt - range` to get a range window's first included timestamp: 0 for 2.42's
    /// closed windows, 1 for 3.x's left-open ones.
    let windowStartShift: Int64
    var currentSamples = 0
    private var checks = 0
    /// Warnings and infos of the query so far (Prometheus's annotations).
    var annotations = Annotations()
    /// 3.x: selectors whose histograms are read as count and sum only (HistogramStatsDecoding).
    var statsOnlySelectors = Set<Int>()
    /// `EngineOptions.columnar`.
    var columnar = true

    init(series: [Int: [StorageSeries]], maxSamples: Int, lookbackDelta: Int64, deadline: ContinuousClock.Instant,
         noStepSubqueryInterval: @escaping @Sendable (Int64) -> Int64, compat: PromQLCompat, delayNameRemoval: Bool = false) {
        self.series = series
        self.compat = compat
        self.delayNameRemoval = delayNameRemoval && compat == .v3_14
        lookbackCut = compat.leftOpenWindows ? lookbackDelta : lookbackDelta + 1
        windowStartShift = compat.leftOpenWindows ? 1 : 0
        self.maxSamples = maxSamples
        self.lookbackDelta = lookbackDelta
        self.deadline = deadline
        self.noStepSubqueryInterval = noStepSubqueryInterval
    }

    /// Throws on Task cancellation or when the deadline passed. Cheap enough per step.
    func checkDeadline(_ env: String) throws {
        if Task.isCancelled { throw QueryError.canceled(env) }
        checks &+= 1
        if checks & 63 == 0 || checks < 64, ContinuousClock.now > deadline { throw QueryError.timeout(env) }
    }

    func add(_ n: Int) throws {
        currentSamples += n
        if currentSamples > maxSamples { throw QueryError.tooManySamples("query execution") }
    }
}

/// The result of evaluating one node: a matrix (instant vectors are matrices with one point
/// per step) or a string literal.
enum EvalValue {
    case matrix([Series])
    case string(String)

    var matrix: [Series] {
        if case .matrix(let m) = self { return m }
        return []
    }
}

/// Evaluates an expression over all steps [start, end] at once, node by node, like
/// Prometheus's evaluator: each node's series are selected once and every step reuses the
/// same buffers.
final class Evaluator {
    let start: Int64
    let end: Int64
    let interval: Int64
    let shared: EvalShared

    init(start: Int64, end: Int64, interval: Int64, shared: EvalShared) {
        self.start = start
        self.end = end
        self.interval = interval
        self.shared = shared
    }

    var numSteps: Int { Int((end - start) / interval) + 1 }

    func fail(_ msg: String) -> QueryError { .execution(msg) }

    /// The offset a selector or subquery is evaluated with: `@ t` turns into an offset
    /// relative to this evaluator's start (Prometheus's setOffsetForAtModifier).
    func effectiveOffset(_ offset: Int64, _ at: AtModifier?) -> Int64 {
        if case .timestamp(let t) = at { return offset + (start - t) }
        return offset
    }

    func eval(_ e: Expr) throws -> EvalValue {
        try shared.checkDeadline("expression evaluation")
        switch e {
        case .number(let v):
            var pts: [Point] = []
            pts.reserveCapacity(numSteps)
            var ts = start
            while ts <= end {
                pts.append(Point(t: ts, v: v))
                ts += interval
            }
            try shared.add(pts.count)
            return .matrix([Series(labels: Labels(), points: pts)])
        case .string(let s):
            return .string(s)
        case .paren(let inner):
            return try eval(inner)
        case .unary(let op, let inner):
            var mat = try eval(inner).matrix
            if op == .minus {
                for k in mat.indices {
                    mat[k].labels = nameDropped(mat[k].labels)
                    mat[k].dropName = true
                    for j in mat[k].points.indices { mat[k].points[j].v = -mat[k].points[j].v }
                    for j in mat[k].histograms.indices { mat[k].histograms[j].h.mul(-1) }
                }
                // 3.x merges series whose names differed if they never meet at a step.
                switch (shared.delayNameRemoval, shared.compat) {
                case (true, _): break
                case (false, .v3_14): mat = try mergeCollisions(mat)
                case (false, .v2_42): try checkNoDuplicateLabelsets(mat)
                }
            }
            return .matrix(mat)
        case .vectorSelector(let vs):
            if vs.smoothed { return .matrix(try evalSmoothedSelector(vs, pos: vs.pos)) }
            return .matrix(try evalVectorSelector(vs))
        case .matrixSelector(let vs, let range):
            guard start == end else { throw fail("cannot do range evaluation of matrix selector") }
            if vs.anchored || vs.smoothed { return .matrix(try evalExtendedMatrixSelector(vs, range: range)) }
            return .matrix(try evalMatrixSelector(vs, range: range))
        case .subquery(let sq):
            return .matrix(try evalSubquery(sq))
        case .binary(let b):
            return .matrix(try evalBinary(b))
        case .aggregate(let a):
            return .matrix(try evalAggregate(a))
        case .call(let c):
            return .matrix(try evalCall(c))
        case .stepInvariant(let inner):
            return try evalStepInvariant(inner)
        }
    }

    /// The labels of a series an operation changed the meaning of: without its name (and
    /// `__type__`, `__unit__` in 3.x), or unchanged under delayed name removal, where the
    /// series' `dropName` mark has the name removed at the end (`finalNames`).
    func nameDropped(_ l: Labels) -> Labels {
        shared.delayNameRemoval ? l : l.droppingName(shared.compat)
    }

    /// The end of delayed name removal: marked series lose their name; series that now share
    /// a labelset become one, or fail the query where they meet at a step (Prometheus's
    /// cleanupMetricLabels).
    func finalNames(_ mat: [Series]) throws -> [Series] {
        guard shared.delayNameRemoval, mat.contains(where: \.dropName) else { return mat }
        var out = mat
        for i in out.indices where out[i].dropName {
            out[i].labels = out[i].labels.removing(metricMetadataLabels)
            out[i].dropName = false
        }
        return try mergeCollisions(out)
    }

    func checkNoDuplicateLabelsets(_ mat: [Series]) throws {
        var seen = Set<Labels>()
        seen.reserveCapacity(mat.count)
        for s in mat where !seen.insert(s.labels).inserted {
            throw fail("vector cannot contain metrics with the same labelset")
        }
    }

    func evalStepInvariant(_ inner: Expr) throws -> EvalValue {
        switch inner {
        case .number, .string: return try eval(inner)
        default: break
        }
        let child = Evaluator(start: start, end: start, interval: interval, shared: shared)
        let res = try child.eval(inner)
        switch inner.unwrapped {
        case .matrixSelector, .subquery: return res
        default: break
        }
        guard case .matrix(var mat) = res else { return res }
        if end == start { return .matrix(mat) }
        for k in mat.indices {
            if let first = mat[k].points.first {
                var ts = start + interval
                mat[k].points.reserveCapacity(numSteps)
                while ts <= end {
                    mat[k].points.append(Point(t: ts, v: first.v))
                    ts += interval
                }
            } else if let first = mat[k].histograms.first {
                var ts = start + interval
                mat[k].histograms.reserveCapacity(numSteps)
                while ts <= end {
                    mat[k].histograms.append(HPoint(t: ts, h: first.h))
                    ts += interval
                }
                try shared.add((numSteps - 1) * first.h.sampleWeight)
                continue
            } else {
                continue
            }
            try shared.add(numSteps - 1)
        }
        return .matrix(mat)
    }

    // MARK: selectors

    func seriesFor(_ vs: VectorSelector) -> [StorageSeries] { shared.series[vs.id] ?? [] }

    /// The latest non-stale sample at or before `refTime` within the lookback delta, moving
    /// `cursor` forward (refTime never decreases across steps).
    @inline(__always)
    func sampleAt(_ cols: SampleColumns, _ refTime: Int64, _ cursor: inout Int) -> (Int64, Double)? {
        Self.sampleAt(cols, refTime, &cursor, lookbackCut: shared.lookbackCut)
    }

    /// A float series' value at each step (the latest sample within the lookback delta).
    static func stepPoints(_ cols: SampleColumns, _ start: Int64, _ end: Int64, _ interval: Int64, _ offset: Int64,
                           _ cut: Int64) -> [Point] {
        var pts: [Point] = []
        var cursor = 0
        var ts = start
        while ts <= end {
            if let (_, v) = sampleAt(cols, ts - offset, &cursor, lookbackCut: cut) { pts.append(Point(t: ts, v: v)) }
            ts += interval
        }
        return pts
    }

    /// `sampleAt` without the evaluator, for workers.
    @inline(__always)
    static func sampleAt(_ cols: SampleColumns, _ refTime: Int64, _ cursor: inout Int, lookbackCut: Int64) -> (Int64, Double)? {
        let ts = cols.timestamps
        while cursor < ts.count, ts[cursor] <= refTime { cursor += 1 }
        let j = cursor - 1
        if j < 0 { return nil }
        let t = ts[j]
        if t <= refTime - lookbackCut { return nil }
        let v = cols.values[j]
        if isStaleNaN(v) { return nil }
        return (t, v)
    }

    /// The latest sample of a series holding native histograms at or before `refTime` within
    /// the lookback delta: a float, a histogram, or nothing when the latest is a stale marker.
    /// Both cursors move forward only.
    func mixedSampleAt(_ s: StorageSeries, _ refTime: Int64, _ fc: inout Int, _ hc: inout Int) -> (t: Int64, v: Double, h: FloatHistogram?)? {
        let fts = s.samples.timestamps, hts = s.histograms.timestamps
        while fc < fts.count, fts[fc] <= refTime { fc += 1 }
        while hc < hts.count, hts[hc] <= refTime { hc += 1 }
        let ft = fc > 0 ? fts[fc - 1] : Int64.min
        let ht = hc > 0 ? hts[hc - 1] : Int64.min
        if ft == Int64.min && ht == Int64.min { return nil }
        if ht > ft {
            if ht <= refTime - shared.lookbackCut { return nil }
            let h = s.histograms.histograms[hc - 1]
            if isStaleNaN(h.sum) { return nil }
            return (ht, 0, h)
        }
        if ft <= refTime - shared.lookbackCut { return nil }
        let v = s.samples.values[fc - 1]
        if isStaleNaN(v) { return nil }
        return (ft, v, nil)
    }

    func evalVectorSelector(_ vs: VectorSelector) throws -> [Series] {
        let offset = effectiveOffset(vs.offset, vs.at)
        let selected = selectedSeries(vs, delta: shared.lookbackDelta, offset: offset)
        // Each float series' steps depend on that series alone: with enough of them, the
        // series are split over the cores (results joined in input order, as one core gives).
        // Only when every point fits under `max_samples`: otherwise the series go one by one,
        // so that the query fails before holding more than the limit.
        let (start, end, interval, cut) = (self.start, self.end, self.interval, shared.lookbackCut)
        let most = selected.count * numSteps
        let parallel = shared.columnar && most >= Self.parallelWindowThreshold && shared.currentSamples + most <= shared.maxSamples
        let floatPoints = concurrentMap(parallel ? selected.count : 0, parallel: true) { i -> [Point] in
            selected[i].histograms.isEmpty ? Self.stepPoints(selected[i].samples, start, end, interval, offset, cut) : []
        }
        var mat: [Series] = []
        for (i, s) in selected.enumerated() {
            try shared.checkDeadline("expression evaluation")
            if !s.histograms.isEmpty {
                var out = Series(labels: s.labels, points: [])
                var fc = 0, hc = 0
                var ts = start
                while ts <= end {
                    if let x = mixedSampleAt(s, ts - offset, &fc, &hc) {
                        if let h = x.h { out.histograms.append(HPoint(t: ts, h: h)) } else { out.points.append(Point(t: ts, v: x.v)) }
                    }
                    ts += interval
                }
                if out.sampleCount > 0 {
                    try shared.add(out.sampleCount)
                    mat.append(out)
                }
                continue
            }
            let pts = parallel ? floatPoints[i] : Self.stepPoints(s.samples, start, end, interval, offset, cut)
            if !pts.isEmpty {
                try shared.add(pts.count)
                mat.append(Series(labels: s.labels, points: pts))
            }
        }
        return mat
    }

    /// The instant vector of `vs` at one step, with the samples' own timestamps
    /// (for `timestamp()`).
    func vectorSelectorAt(_ vs: VectorSelector, _ ts: Int64, offset: Int64) -> [Sample] {
        var out: [Sample] = []
        for s in seriesFor(vs) {
            if !s.histograms.isEmpty {
                var fc = 0, hc = 0
                if let x = mixedSampleAt(s, ts - offset, &fc, &hc) { out.append(Sample(labels: s.labels, t: x.t, v: x.v, h: x.h)) }
                continue
            }
            var cursor = s.samples.firstIndex(atOrAfter: ts - offset)
            if let (t, v) = sampleAt(s.samples, ts - offset, &cursor) {
                out.append(Sample(labels: s.labels, t: t, v: v))
            }
        }
        return out
    }

    /// Appends the non-stale points of `cols` within [mint, maxt] to `out`.
    @inline(__always)
    func window(_ cols: SampleColumns, _ mint: Int64, _ maxt: Int64, _ out: inout [Point]) {
        var k = cols.firstIndex(atOrAfter: mint)
        let ts = cols.timestamps, vs = cols.values
        while k < ts.count, ts[k] <= maxt {
            let v = vs[k]
            if !isStaleNaN(v) { out.append(Point(t: ts[k], v: v)) }
            k += 1
        }
    }

    /// Appends the histograms of `cols` within [mint, maxt] to `out`.
    func histogramWindow(_ cols: HistogramColumns, _ mint: Int64, _ maxt: Int64, _ out: inout [HPoint]) {
        var k = cols.firstIndex(atOrAfter: mint)
        while k < cols.timestamps.count, cols.timestamps[k] <= maxt {
            let h = cols.histograms[k]
            if !isStaleNaN(h.sum) { out.append(HPoint(t: cols.timestamps[k], h: h)) }
            k += 1
        }
    }

    func evalMatrixSelector(_ vs: VectorSelector, range: Int64) throws -> [Series] {
        let offset = effectiveOffset(vs.offset, vs.at)
        let maxt = start - offset, mint = maxt - range + shared.windowStartShift
        var mat: [Series] = []
        for s in seriesFor(vs) {
            try shared.checkDeadline("expression evaluation")
            var out = Series(labels: s.labels, points: [])
            window(s.samples, mint, maxt, &out.points)
            if !s.histograms.isEmpty { histogramWindow(s.histograms, mint, maxt, &out.histograms) }
            if out.sampleCount > 0 {
                try shared.add(out.sampleCount)
                mat.append(out)
            }
        }
        return mat
    }

    // MARK: subqueries

    func evalSubquery(_ sq: SubqueryExpr) throws -> [Series] {
        let offset = effectiveOffset(sq.offset, sq.at)
        let step = sq.step != 0 ? sq.step : shared.noStepSubqueryInterval(sq.range)
        let newEnd = end - offset
        let lowest = start - offset - sq.range
        var newStart = step * (lowest / step)
        // The first step-aligned time in the window: 3.x's subquery windows are left-open too.
        if newStart < lowest || (shared.compat.leftOpenWindows && newStart == lowest) { newStart += step }
        let child = Evaluator(start: newStart, end: newEnd, interval: step, shared: shared)
        if newStart > newEnd { return [] }
        return try child.eval(sq.expr).matrix
    }

    // MARK: step-wise evaluation

    /// Per-step input for `rangeEval` callbacks: the instant vector of each argument at the
    /// step, each sample's series index in its argument's matrix (for per-series caches),
    /// and the per-series keys computed once by `prep`, interned as small integers so the
    /// per-step work hashes integers, not label strings.
    struct StepInput {
        var ts: Int64 = 0
        var vectors: [[Sample]]
        var sources: [[Int]]
        var keys: [[Int]]
        /// Set by a callback whose outputs have a stable identity across steps (an
        /// aggregation's group): one id per output sample, unique within the step. Lets
        /// rangeEval skip hashing labels to assemble series and to check for duplicates.
        var outputIDs: [Int] = []
    }

    /// Evaluates `exprs` (nil or string-typed entries are skipped), then calls `fn` once per
    /// step with each argument's instant vector, and assembles the outputs into series
    /// (Prometheus's rangeEval). `prep` computes a key per input series once (grouping keys,
    /// matching signatures); equal keys get equal integer ids across all arguments.
    func rangeEval(_ exprs: [Expr?], prep: ((Labels) -> String)? = nil,
                   _ fn: (inout StepInput) throws -> [Sample]) throws -> [Series] {
        var mats: [[Series]] = []
        for e in exprs {
            if let e, e.type != .string { mats.append(try eval(e).matrix) } else { mats.append([]) }
        }
        return try rangeEval(matrices: mats, prep: prep, fn)
    }

    /// Each series' key (`key`) as an integer id, equal keys equal ids, numbered in order of
    /// first appearance across calls sharing `interned`.
    static func keyIDs(_ series: [Series], _ key: (Labels) -> String, _ interned: inout [String: Int]) -> [Int] {
        series.map { s in
            let k = key(s.labels)
            if let id = interned[k] { return id }
            interned[k] = interned.count
            return interned.count - 1
        }
    }

    /// `rangeEval` over arguments already evaluated (empty for skipped ones).
    func rangeEval(matrices mats: [[Series]], prep: ((Labels) -> String)? = nil,
                   _ fn: (inout StepInput) throws -> [Sample]) throws -> [Series] {
        var seriesKeys: [[Int]]?
        if let prep {
            var interned: [String: Int] = [:]
            seriesKeys = mats.map { Self.keyIDs($0, prep, &interned) }
        }
        var walk = StepWalk(mats, from: start)
        var input = StepInput(matrices: mats)
        // The inputs are released when this node is done; give their budget back.
        let inputSamples = mats.reduce(0) { $0 + $1.reduce(0) { $0 + $1.sampleCount } }
        defer { shared.currentSamples -= inputSamples }
        var assembly = StepAssembly(steps: numSteps)
        var ts = start
        while ts <= end {
            try shared.checkDeadline("expression evaluation")
            walk.fill(&input, at: ts, keys: seriesKeys)
            input.outputIDs.removeAll(keepingCapacity: true)
            let result = try fn(&input)
            let ids = input.outputIDs.count == result.count ? input.outputIDs : nil
            if start == end {
                try admit(result, ids: ids)
                return result.map { Series(sample: $0, at: ts) }
            }
            try admit(result, ids: ids)
            assembly.add(result, ids: ids, at: ts)
            ts += interval
        }
        return assembly.out
    }

    /// One step's output checked as rangeEval checks it: no two samples with one label set
    /// (unless the callback vouched for distinct ids), and its samples counted.
    func admit(_ result: [Sample], ids: [Int]?) throws {
        if result.count > 1 && ids == nil {
            var seen = Set<Labels>()
            for r in result where !seen.insert(r.labels).inserted {
                throw fail("vector cannot contain metrics with the same labelset")
            }
        }
        try shared.add(result.reduce(0) { $0 + ($1.h?.sampleWeight ?? 1) })
    }
}

extension Evaluator.StepInput {
    init(matrices mats: [[Series]]) {
        self.init(vectors: mats.map { _ in [] }, sources: mats.map { _ in [] }, keys: mats.map { _ in [] })
        for k in mats.indices {
            vectors[k].reserveCapacity(mats[k].count)
            sources[k].reserveCapacity(mats[k].count)
        }
    }
}

/// Walks the arguments' series step by step from a starting time: each series' next float
/// and histogram point (found by binary search at the start, so a walk may begin mid-range).
struct StepWalk {
    let mats: [[Series]]
    var cursors: [[Int]]
    var hcursors: [[Int]]

    init(_ mats: [[Series]], from t: Int64) {
        self.mats = mats
        cursors = mats.map { $0.map { s in Self.first(s.points, atOrAfter: t) { $0.t } } }
        hcursors = mats.map { $0.map { s in Self.first(s.histograms, atOrAfter: t) { $0.t } } }
    }

    static func first<P>(_ points: [P], atOrAfter t: Int64, _ time: (P) -> Int64) -> Int {
        var lo = 0, hi = points.count
        while lo < hi {
            let mid = (lo + hi) >> 1
            if time(points[mid]) < t { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// Each argument's instant vector at `ts` (steps must come in increasing order).
    mutating func fill(_ input: inout Evaluator.StepInput, at ts: Int64, keys: [[Int]]?) {
        input.ts = ts
        // Unwrapped once: binding the optional per sample retained the array each time.
        let withKeys = keys != nil, seriesKeys = keys ?? []
        for k in mats.indices {
            input.vectors[k].removeAll(keepingCapacity: true)
            input.sources[k].removeAll(keepingCapacity: true)
            input.keys[k].removeAll(keepingCapacity: true)
            for (si, s) in mats[k].enumerated() {
                let c = cursors[k][si]
                if c < s.points.count, s.points[c].t == ts {
                    input.vectors[k].append(Sample(labels: s.labels, t: ts, v: s.points[c].v, dropName: s.dropName))
                    input.sources[k].append(si)
                    if withKeys { input.keys[k].append(seriesKeys[k][si]) }
                    cursors[k][si] = c + 1
                } else if !s.histograms.isEmpty, hcursors[k][si] < s.histograms.count, s.histograms[hcursors[k][si]].t == ts {
                    input.vectors[k].append(Sample(labels: s.labels, t: ts, v: 0, h: s.histograms[hcursors[k][si]].h, dropName: s.dropName))
                    input.sources[k].append(si)
                    if withKeys { input.keys[k].append(seriesKeys[k][si]) }
                    hcursors[k][si] += 1
                }
            }
        }
    }
}

/// Step outputs gathered into series in order of first appearance (by the callback's ids
/// when it gave them, else by label set), each reserved for all steps.
struct StepAssembly {
    let steps: Int
    var outIndex: [Labels: Int] = [:]
    var outIndexByID: [Int: Int] = [:]
    var out: [Series] = []

    init(steps: Int) { self.steps = steps }

    mutating func add(_ result: [Sample], ids: [Int]?, at ts: Int64) {
        if let ids {
            for (i, r) in result.enumerated() {
                if let idx = outIndexByID[ids[i]] {
                    out[idx].append(r, at: ts)
                } else {
                    outIndexByID[ids[i]] = out.count
                    out.append(Series(sample: r, at: ts, capacity: steps))
                }
            }
            return
        }
        for r in result {
            if let idx = outIndex[r.labels] {
                out[idx].append(r, at: ts)
            } else {
                outIndex[r.labels] = out.count
                out.append(Series(sample: r, at: ts, capacity: steps))
            }
        }
    }
}

extension Series {
    /// A series holding one step's output sample (float or histogram) at `t`.
    init(sample r: Sample, at t: Int64, capacity: Int = 1) {
        self.init(labels: r.labels, points: [], dropName: r.dropName)
        append(r, at: t, capacity: capacity)
    }

    @inline(__always)
    mutating func append(_ r: Sample, at t: Int64, capacity: Int = 0) {
        // A group's output is marked if any of its steps was (Prometheus marks the group).
        if r.dropName { dropName = true }
        if let h = r.h {
            if histograms.isEmpty && capacity > 1 { histograms.reserveCapacity(capacity) }
            histograms.append(HPoint(t: t, h: h))
        } else {
            if points.isEmpty && capacity > 1 { points.reserveCapacity(capacity) }
            points.append(Point(t: t, v: r.v))
        }
    }
}

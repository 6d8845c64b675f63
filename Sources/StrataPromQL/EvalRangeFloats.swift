import StrataCore

/// The window loop of range-vector functions over float series. Each series' output depends
/// on that series alone, so when there is enough work the series are split over the cores
/// (contiguous slices, joined back in input order) — the answer is the one the sequential
/// loop gives, bit for bit. Histogram series go through `mixedRangeSeries` instead.
extension Evaluator {
    /// What the loop needs, fixed for one call.
    struct FloatWindowJob: @unchecked Sendable {
        let fn: RangeFunctions.Fn
        /// The call's arguments at each step, `args` per step (the range argument's slot unused).
        let scalarsByStep: [Double]
        let args: Int
        let range: Int64
        let offset: Int64
        let fixedWindow: Bool
        let shift: Int64
        let checkQuantile: Bool
        /// rate/increase/delta read straight from the columns (`directRates`), else nil.
        var rate: DirectRate? = nil
    }

    /// rate, increase or delta, computed without copying windows or calling through the
    /// function table; the same operations in the same order as `RangeFunctions(3)`.
    struct DirectRate: Sendable {
        let isCounter: Bool
        let isRate: Bool
        let v3: Bool

        init?(function: String, compat: PromQLCompat) {
            switch function {
            case "rate": (isCounter, isRate) = (true, true)
            case "increase": (isCounter, isRate) = (true, false)
            case "delta": (isCounter, isRate) = (false, false)
            default: return nil
            }
            v3 = compat == .v3_14
        }
    }

    /// One series' output points and the out-of-range quantiles its windows met (3.x warns).
    typealias FloatWindowResult = Result<(points: [Point], badQuantiles: [Double]), Error>

    /// Below this many (series × steps) one core does it: splitting costs more than it saves.
    static let parallelWindowThreshold = 50_000

    func scalarsByStep(_ scalarArgs: [[Series]], matrixIndex mi: Int, count: Int) -> [Double] {
        var out = [Double](repeating: .nan, count: numSteps * count)
        for j in 0..<count where j != mi {
            guard let s = scalarArgs[j].first else { continue }
            for step in 0..<min(numSteps, s.points.count) { out[step * count + j] = s.points[step].v }
        }
        return out
    }

    /// Results for every float series of `input` (histogram series get an empty result).
    func floatWindows(_ input: [StorageSeries], _ job: FloatWindowJob) throws -> [FloatWindowResult] {
        let grid = StepGrid(start: start, end: end, interval: interval)
        let deadline = shared.deadline
        let results = concurrentMap(input.count, parallel: shared.columnar && input.count * numSteps >= Self.parallelWindowThreshold) { i in
            if !input[i].histograms.isEmpty { return FloatWindowResult.success(([], [])) }
            // Checked per series: the workers cannot reach the query's task.
            if ContinuousClock.now > deadline { return .failure(QueryError.timeout("expression evaluation")) }
            return Result { try Self.floatWindowPoints(input[i], job, grid) }
        }
        try shared.checkDeadline("expression evaluation")
        return results
    }

    /// The evaluator's steps.
    struct StepGrid: Sendable {
        let start: Int64
        let end: Int64
        let interval: Int64
    }

    /// Slides the window over one float series; touches no evaluator state, so it may run on
    /// any thread.
    static func floatWindowPoints(_ s: StorageSeries, _ job: FloatWindowJob,
                                  _ grid: StepGrid) throws -> (points: [Point], badQuantiles: [Double]) {
        let (start, end, interval) = (grid.start, grid.end, grid.interval)
        // Thread-local copies: reference counting on objects shared by the workers would make
        // every step contend for the same cache line.
        let fn = job.fn, args = job.args
        var scalars = [Double](repeating: .nan, count: args)
        var pts: [Point] = []
        var bad: [Double] = []
        var ts = start
        var step = 0
        // A pending series is decoded here, on the worker, and its columns freed on return:
        // one series' columns at a time per core rather than the whole selection's.
        let samples = try s.floatSamples()
        if let rate = job.rate {
            return (directRates(samples, rate, job, grid, from: samples.firstIndex(atOrAfter: start - job.offset - job.range)), [])
        }
        // The series' points without stale markers, once: every window is then a range of
        // them, handed to the function as a view (no copy per step).
        var points: [Point] = []
        points.reserveCapacity(samples.count)
        for (t, v) in samples where !isStaleNaN(v) { points.append(Point(t: t, v: v)) }
        try points.withUnsafeBufferPointer { all in
            // Windows only move forward: the first point of each is found from the last one's.
            var lo = 0, hi = 0
            while ts <= end {
                let maxt = (job.fixedWindow ? start : ts) - job.offset, mint = maxt - job.range + job.shift
                while lo < all.count && all[lo].t < mint { lo += 1 }
                if hi < lo { hi = lo }
                while hi < all.count && all[hi].t <= maxt { hi += 1 }
                if hi > lo {
                    for j in 0..<args { scalars[j] = job.scalarsByStep[step * args + j] }
                    if job.checkQuantile, let q = scalars.first, q.isNaN || q < 0 || q > 1,
                       !bad.contains(where: { $0 == q || ($0.isNaN && q.isNaN) }) {
                        bad.append(q)
                    }
                    if let v = try fn(PointWindow(rebasing: all[lo..<hi]), scalars, RangeWindow(ts: ts, range: job.range, offset: job.offset)) {
                        pts.append(Point(t: ts, v: v))
                    }
                }
                ts += interval
                step += 1
            }
        }
        return (pts, bad)
    }
}

extension Evaluator {
    /// `DirectRate` over one series: per step, the window's first and last non-stale samples
    /// and its raw increase (last minus first, plus the value before each counter reset, in
    /// sample order as `rawIncrease` adds them), then the release's extrapolation.
    static func directRates(_ cols: SampleColumns, _ rate: DirectRate, _ job: FloatWindowJob, _ grid: StepGrid,
                            from lo0: Int) -> [Point] {
        var pts: [Point] = []
        pts.reserveCapacity(Int((grid.end - grid.start) / max(grid.interval, 1)) + 1)
        var lo = lo0, hi = lo0
        var ts = grid.start
        cols.timestamps.withUnsafeBufferPointer { tb in
            cols.values.withUnsafeBufferPointer { vb in
                // Without stale markers a window is the index range [lo, hi), both only moving
                // forward, and a counter window with no reset inside needs no pass at all:
                // `resetsUpTo` counts the resets, so only windows holding one are walked. When
                // windows do not overlap (a step at least the range: every sample is in one
                // window at most) walking each window is cheaper than counting first, and so it
                // is for the one window of an instant query.
                let plain = !vb.contains(where: isStaleNaN)
                let overlapping = grid.end > grid.start && (job.fixedWindow || job.range - job.shift > grid.interval)
                var resetsUpTo: [Int32] = []
                if plain && rate.isCounter && overlapping {
                    resetsUpTo = [Int32](unsafeUninitializedCapacity: vb.count) { b, n in
                        var resets: Int32 = 0
                        if !vb.isEmpty { b[0] = 0 }
                        for i in vb.indices.dropFirst() {
                            if vb[i] < vb[i - 1] { resets += 1 }
                            b[i] = resets
                        }
                        n = vb.count
                    }
                }
                while ts <= grid.end {
                    defer { ts += grid.interval }
                    let maxt = (job.fixedWindow ? grid.start : ts) - job.offset, mint = maxt - job.range + job.shift
                    lo = gallop(tb, from: lo, to: mint)
                    var first = -1, last = -1, n = 0
                    if plain {
                        if hi < lo { hi = lo }
                        hi = gallop(tb, from: hi, to: maxt + 1)
                        (first, last, n) = (lo, hi - 1, hi - lo)
                    } else {
                        var k = lo
                        while k < tb.count, tb[k] <= maxt {
                            if !isStaleNaN(vb[k]) {
                                if first < 0 { first = k }
                                last = k
                                n += 1
                            }
                            k += 1
                        }
                    }
                    if n < 2 { continue }
                    var increase = vb[last] - vb[first]
                    if rate.isCounter && (!plain || resetsUpTo.isEmpty || resetsUpTo[last] != resetsUpTo[first]) {
                        var prev = vb[first]
                        for j in (first + 1)...last where !isStaleNaN(vb[j]) {
                            if vb[j] < prev { increase += prev }
                            prev = vb[j]
                        }
                    }
                    let r = RateWindow(count: n, firstT: tb[first], firstV: vb[first], lastT: tb[last], increase: increase)
                    let w = RangeWindow(ts: ts, range: job.range, offset: job.offset)
                    let v = rate.v3 ? RangeFunctions3.extrapolate(r, w, isCounter: rate.isCounter, isRate: rate.isRate)
                        : RangeFunctions.extrapolate(r, w, isCounter: rate.isCounter, isRate: rate.isRate)
                    pts.append(Point(t: ts, v: v))
                }
            }
        }
        return pts
    }
}

import StrataCore

/// Selects every selector's series once, before evaluation (Prometheus's populateSeries), with
/// hints computed from the selector's place in the tree: offsets and ranges of enclosing
/// subqueries, `@`, the enclosing function or aggregation, and its grouping.
struct SeriesPrefetch {
    let start: Int64
    let end: Int64
    let interval: Int64
    let lookbackDelta: Int64
    let noStepSubqueryInterval: @Sendable (Int64) -> Int64

    struct Request {
        var id: Int
        var matchers: [Matcher]
        var hints: SelectHints
    }

    /// Per-path context, accumulated on the way down.
    struct PathContext {
        var subqOffset: Int64 = 0
        var subqRange: Int64 = 0
        var subqAt: Int64?
        var subqStep: Int64?
        var function = ""
        var grouping: [String] = []
        var by = false
    }

    func requests(for e: Expr) -> [Request] {
        var out: [Request] = []
        walk(e, PathContext(), &out)
        return out
    }

    func walk(_ e: Expr, _ ctx: PathContext, _ out: inout [Request]) {
        switch e {
        case .vectorSelector(let vs):
            out.append(request(vs, range: 0, ctx))
        case .matrixSelector(let vs, let r):
            out.append(request(vs, range: r, ctx))
        case .subquery(let sq):
            var c = ctx
            c.subqOffset += sq.offset
            c.subqRange += sq.range
            if case .timestamp(let t) = sq.at {
                c.subqOffset = sq.offset
                c.subqRange = sq.range
                c.subqAt = t
            }
            c.subqStep = sq.step != 0 ? sq.step : noStepSubqueryInterval(sq.range)
            walk(sq.expr, c, &out)
        case .paren(let x), .stepInvariant(let x), .unary(_, let x):
            walk(x, ctx, &out)
        case .binary(let b):
            var c = ctx
            c.function = ""
            c.grouping = []
            c.by = false
            walk(b.lhs, c, &out)
            walk(b.rhs, c, &out)
        case .call(let call):
            var c = ctx
            c.function = call.function.name
            c.grouping = []
            c.by = false
            if let id = call.infoSeriesID {
                // info(): the base vector as usual; the info series over the time range of the
                // base vector's first selector, by name and data-label matchers only (the
                // identifying labels are only known during evaluation).
                let before = out.count
                walk(call.args[0], c, &out)
                guard out.count > before else { return }
                var r = out[before]
                r.id = id
                r.matchers = InfoFunction.infoMatchers(call)
                r.hints.function = "info"
                r.hints.range = 0
                r.hints.decodeLazily = false
                out.append(r)
                return
            }
            for a in call.args { walk(a, c, &out) }
        case .aggregate(let a):
            var c = ctx
            c.function = a.op.rawValue
            c.grouping = a.grouping
            c.by = !a.without
            if let p = a.param { walk(p, c, &out) }
            walk(a.expr, c, &out)
        case .number, .string:
            break
        }
    }

    func request(_ vs: VectorSelector, range: Int64, _ ctx: PathContext) -> Request {
        var s = start, e = end
        if let t = ctx.subqAt {
            s = t
            e = t
        }
        if case .timestamp(let t) = vs.at {
            s = t
            e = t
        } else {
            s = s - ctx.subqOffset - ctx.subqRange
            e = e - ctx.subqOffset
        }
        s -= range == 0 ? lookbackDelta : range
        // Extended range selectors read a lookback delta further back (anchored, smoothed)
        // and ahead (smoothed), as Prometheus's getTimeRangesForSelector does.
        if range > 0 && (vs.anchored || vs.smoothed) { s -= lookbackDelta }
        if vs.smoothed { e += lookbackDelta }
        s -= vs.offset
        e -= vs.offset
        let hints = SelectHints(start: s, end: e, step: ctx.subqStep ?? interval, range: range,
                                function: ctx.function, grouping: ctx.grouping, by: ctx.by,
                                decodeLazily: range > 0 && !vs.anchored && !vs.smoothed && Self.isWindowFunction(ctx.function))
        return Request(id: vs.id, matchers: vs.matchers, hints: hints)
    }

    /// A range selector directly inside one of these is read only by `Evaluator.floatWindows`
    /// (and `mixedRangeSeries` for histograms, which lazy series never hold). `info` and the
    /// anchored/smoothed selectors go their own ways.
    static func isWindowFunction(_ name: String) -> Bool {
        RangeFunctions.table[name] != nil || RangeFunctions3.table[name] != nil
    }
}

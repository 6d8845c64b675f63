/// 3.x's `start()`, `end()`, `range()` and `step()` (experimental): the query's own start,
/// end, length and step in seconds, folded into number literals before evaluation, as
/// Prometheus's foldQueryContextFunctions does (so subqueries see the outer query's values).
/// Duration expressions using `step()`/`range()` are resolved here too.
enum QueryContextFold {
    static let names: Set<String> = ["start", "end", "range", "step"]

    static func fold(_ e: Expr, start: Int64, end: Int64, step: Int64) throws -> Expr {
        func f(_ x: Expr) throws -> Expr { try fold(x, start: start, end: end, step: step) }
        let stepSeconds = start == end ? 0 : Double(step) / 1000, rangeSeconds = Double(end - start) / 1000
        func millis(_ t: DurationTerm, positive: Bool) throws -> Int64 {
            let us = (try t.eval(step: stepSeconds, range: rangeSeconds) * 1_000_000).rounded()
            guard us.isFinite, abs(us) < 9.2e18 else { throw QueryError.badQuery("duration out of range") }
            let ms = Int64(us) / 1000
            if positive && ms <= 0 { throw QueryError.badQuery("duration must be greater than 0") }
            return ms
        }
        func resolve(_ vs0: VectorSelector) throws -> VectorSelector {
            var vs = vs0
            if let t = vs.deferredOffset { vs.offset = try millis(t, positive: false) }
            vs.deferredOffset = nil
            return vs
        }
        switch e {
        case .call(var c):
            switch c.function.name {
            case "start" where c.args.isEmpty: return .number(Double(start) / 1000)
            case "end" where c.args.isEmpty: return .number(Double(end) / 1000)
            case "range" where c.args.isEmpty: return .number(Double(end - start) / 1000)
            case "step" where c.args.isEmpty: return .number(start == end ? 0 : Double(step) / 1000)
            default:
                c.args = try c.args.map(f)
                return .call(c)
            }
        case .binary(var b):
            b.lhs = try f(b.lhs)
            b.rhs = try f(b.rhs)
            return .binary(b)
        case .aggregate(var a):
            a.expr = try f(a.expr)
            if let p = a.param { a.param = try f(p) }
            return .aggregate(a)
        case .unary(let op, let x): return .unary(op, try f(x))
        case .paren(let x): return .paren(try f(x))
        case .stepInvariant(let x): return .stepInvariant(try f(x))
        case .subquery(var sq):
            sq.expr = try f(sq.expr)
            if let t = sq.deferredRange { sq.range = try millis(t, positive: true) }
            if let t = sq.deferredStep { sq.step = try millis(t, positive: true) }
            if let t = sq.deferredOffset { sq.offset = try millis(t, positive: false) }
            (sq.deferredRange, sq.deferredStep, sq.deferredOffset) = (nil, nil, nil)
            return .subquery(sq)
        case .vectorSelector(let vs): return .vectorSelector(try resolve(vs))
        case .matrixSelector(let vs0, var r):
            var vs = try resolve(vs0)
            if let t = vs.deferredRange { r = try millis(t, positive: true) }
            vs.deferredRange = nil
            return .matrixSelector(vs, range: r)
        case .number, .string: return e
        }
    }

    /// Whether `e` calls any of them (the fold is skipped otherwise).
    static func uses(_ e: Expr) -> Bool {
        switch e {
        case .call(let c): return (names.contains(c.function.name) && c.args.isEmpty) || c.args.contains(where: uses)
        case .binary(let b): return uses(b.lhs) || uses(b.rhs)
        case .aggregate(let a): return uses(a.expr) || (a.param.map(uses) ?? false)
        case .unary(_, let x), .paren(let x), .stepInvariant(let x): return uses(x)
        case .subquery(let sq):
            return sq.deferredRange != nil || sq.deferredStep != nil || sq.deferredOffset != nil || uses(sq.expr)
        case .vectorSelector(let vs): return vs.deferredOffset != nil
        case .matrixSelector(let vs, _): return vs.deferredOffset != nil || vs.deferredRange != nil
        case .number, .string: return false
        }
    }
}

/// 3.x's `start()`, `end()`, `range()` and `step()` (experimental): the query's own start,
/// end, length and step in seconds, folded into number literals before evaluation, as
/// Prometheus's foldQueryContextFunctions does (so subqueries see the outer query's values).
enum QueryContextFold {
    static let names: Set<String> = ["start", "end", "range", "step"]

    static func fold(_ e: Expr, start: Int64, end: Int64, step: Int64) -> Expr {
        func f(_ x: Expr) -> Expr { fold(x, start: start, end: end, step: step) }
        switch e {
        case .call(var c):
            switch c.function.name {
            case "start" where c.args.isEmpty: return .number(Double(start) / 1000)
            case "end" where c.args.isEmpty: return .number(Double(end) / 1000)
            case "range" where c.args.isEmpty: return .number(Double(end - start) / 1000)
            case "step" where c.args.isEmpty: return .number(start == end ? 0 : Double(step) / 1000)
            default:
                c.args = c.args.map(f)
                return .call(c)
            }
        case .binary(var b):
            b.lhs = f(b.lhs)
            b.rhs = f(b.rhs)
            return .binary(b)
        case .aggregate(var a):
            a.expr = f(a.expr)
            if let p = a.param { a.param = f(p) }
            return .aggregate(a)
        case .unary(let op, let x): return .unary(op, f(x))
        case .paren(let x): return .paren(f(x))
        case .stepInvariant(let x): return .stepInvariant(f(x))
        case .subquery(var sq):
            sq.expr = f(sq.expr)
            return .subquery(sq)
        case .number, .string, .vectorSelector, .matrixSelector: return e
        }
    }

    /// Whether `e` calls any of them (the fold is skipped otherwise).
    static func uses(_ e: Expr) -> Bool {
        switch e {
        case .call(let c): return (names.contains(c.function.name) && c.args.isEmpty) || c.args.contains(where: uses)
        case .binary(let b): return uses(b.lhs) || uses(b.rhs)
        case .aggregate(let a): return uses(a.expr) || (a.param.map(uses) ?? false)
        case .unary(_, let x), .paren(let x), .stepInvariant(let x): return uses(x)
        case .subquery(let sq): return uses(sq.expr)
        case .number, .string, .vectorSelector, .matrixSelector: return false
        }
    }
}

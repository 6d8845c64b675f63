/// Pins every selector and subquery outside subqueries to `@ t`, as test.go's
/// atModifierTestCases does; nil when the query uses a function whose value depends on the
/// evaluation time.
enum AtModifierVariants {
    static func pin(_ e: Expr, at t: Int64) -> Expr? {
        var unsafe = false
        let out = rewrite(e, t, &unsafe)
        return unsafe ? nil : out
    }

    static func pinned(_ at: AtModifier?, _ t: Int64) -> AtModifier {
        if case .timestamp(let x) = at { return .timestamp(x) }
        return .timestamp(t)
    }

    static func rewrite(_ e: Expr, _ t: Int64, _ unsafe: inout Bool) -> Expr {
        switch e {
        case .vectorSelector(var vs):
            vs.at = pinned(vs.at, t)
            return .vectorSelector(vs)
        case .matrixSelector(var vs, let r):
            vs.at = pinned(vs.at, t)
            return .matrixSelector(vs, range: r)
        case .subquery(var sq):
            sq.at = pinned(sq.at, t)
            return .subquery(sq)
        case .paren(let x): return .paren(rewrite(x, t, &unsafe))
        case .stepInvariant(let x): return .stepInvariant(rewrite(x, t, &unsafe))
        case .unary(let op, let x): return .unary(op, rewrite(x, t, &unsafe))
        case .binary(var b):
            b.lhs = rewrite(b.lhs, t, &unsafe)
            b.rhs = rewrite(b.rhs, t, &unsafe)
            return .binary(b)
        case .call(var c):
            if FunctionSignature.atModifierUnsafe.contains(c.function.name) { unsafe = true }
            c.args = c.args.map { rewrite($0, t, &unsafe) }
            return .call(c)
        case .aggregate(var a):
            a.expr = rewrite(a.expr, t, &unsafe)
            if let p = a.param { a.param = rewrite(p, t, &unsafe) }
            return .aggregate(a)
        case .number, .string:
            return e
        }
    }
}

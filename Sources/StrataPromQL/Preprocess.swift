/// Resolves `@ start()`/`@ end()` and wraps step-invariant sub-trees (fixed by `@`, or
/// literals) in `.stepInvariant`, exactly where Prometheus's PreprocessExpr does: such a
/// sub-tree is evaluated once at the evaluator's start and repeated at every step, which both
/// saves work and defines the (sometimes surprising) semantics of `@` in range queries.
enum Preprocessor {
    static func preprocess(_ e: Expr, start: Int64, end: Int64) -> Expr {
        var e = e
        var next = 0
        renumber(&e, &next)
        if helper(&e, start, end) { return .stepInvariant(e) }
        return e
    }

    /// Gives every selector a fresh id, so trees assembled from separately parsed pieces
    /// (whose ids may collide) still fetch the right series.
    static func renumber(_ e: inout Expr, _ next: inout Int) {
        switch e {
        case .vectorSelector(var vs):
            vs.id = next
            next += 1
            e = .vectorSelector(vs)
        case .matrixSelector(var vs, let r):
            vs.id = next
            next += 1
            e = .matrixSelector(vs, range: r)
        case .subquery(var sq):
            renumber(&sq.expr, &next)
            e = .subquery(sq)
        case .paren(var x):
            renumber(&x, &next)
            e = .paren(x)
        case .stepInvariant(var x):
            renumber(&x, &next)
            e = .stepInvariant(x)
        case .unary(let op, var x):
            renumber(&x, &next)
            e = .unary(op, x)
        case .binary(var b):
            renumber(&b.lhs, &next)
            renumber(&b.rhs, &next)
            e = .binary(b)
        case .call(var c):
            for k in c.args.indices { renumber(&c.args[k], &next) }
            e = .call(c)
        case .aggregate(var a):
            renumber(&a.expr, &next)
            if var p = a.param {
                renumber(&p, &next)
                a.param = p
            }
            e = .aggregate(a)
        case .number, .string:
            break
        }
    }

    static func resolve(_ at: AtModifier?, _ start: Int64, _ end: Int64) -> AtModifier? {
        switch at {
        case .start: return .timestamp(start)
        case .end: return .timestamp(end)
        default: return at
        }
    }

    /// Returns true when `e` is step invariant; rewrites children in place.
    static func helper(_ e: inout Expr, _ start: Int64, _ end: Int64) -> Bool {
        switch e {
        case .vectorSelector(var vs):
            vs.at = resolve(vs.at, start, end)
            e = .vectorSelector(vs)
            return vs.at != nil
        case .matrixSelector(var vs, let r):
            vs.at = resolve(vs.at, start, end)
            e = .matrixSelector(vs, range: r)
            return vs.at != nil
        case .aggregate(var a):
            let inv = helper(&a.expr, start, end)
            if var p = a.param {
                _ = helper(&p, start, end)
                a.param = p
            }
            e = .aggregate(a)
            return inv
        case .binary(var b):
            let l = helper(&b.lhs, start, end)
            let r = helper(&b.rhs, start, end)
            if l && r {
                e = .binary(b)
                return true
            }
            if l { b.lhs = .stepInvariant(b.lhs) }
            if r { b.rhs = .stepInvariant(b.rhs) }
            e = .binary(b)
            return false
        case .call(var c):
            var inv = !FunctionSignature.atModifierUnsafe.contains(c.function.name)
            var flags: [Bool] = []
            for k in c.args.indices {
                let f = helper(&c.args[k], start, end)
                flags.append(f)
                inv = inv && f
            }
            if inv {
                e = .call(c)
                return true
            }
            for (k, f) in flags.enumerated() where f { c.args[k] = .stepInvariant(c.args[k]) }
            e = .call(c)
            return false
        case .subquery(var sq):
            if helper(&sq.expr, start, end) { sq.expr = .stepInvariant(sq.expr) }
            sq.at = resolve(sq.at, start, end)
            e = .subquery(sq)
            return sq.at != nil
        case .paren(var inner):
            let inv = helper(&inner, start, end)
            e = .paren(inner)
            return inv
        case .unary(let op, var inner):
            let inv = helper(&inner, start, end)
            e = .unary(op, inner)
            return inv
        case .number, .string:
            return true
        case .stepInvariant:
            return true
        }
    }
}

import StrataCore

extension Expr {
    /// The distinct matcher sets of the expression's selectors (Prometheus's
    /// `parser.ExtractSelectors`): what the exemplar and metadata APIs select series by.
    public var selectorMatchers: [[Matcher]] {
        var out: [[Matcher]] = []
        var seen = Set<String>()
        func walk(_ e: Expr) {
            switch e {
            case .vectorSelector(let vs), .matrixSelector(let vs, _):
                if seen.insert(vs.matchers.map(\.description).joined(separator: ",")).inserted { out.append(vs.matchers) }
            case .subquery(let sq): walk(sq.expr)
            case .paren(let x), .stepInvariant(let x), .unary(_, let x): walk(x)
            case .binary(let b):
                walk(b.lhs)
                walk(b.rhs)
            case .call(let c): c.args.forEach(walk)
            case .aggregate(let a):
                walk(a.expr)
                if let p = a.param { walk(p) }
            case .number, .string: break
            }
        }
        walk(self)
        return out
    }
}

/// Multi-line PromQL, as Prometheus's `parser.Prettify` (promql/parser/prettier.go) writes it
/// for `/api/v1/format_query`: a node whose one-line text is longer than 100 bytes is split —
/// aggregations and calls put each argument on its own line, binary expressions put the
/// operator on a line between their operands, parentheses put their content on its own
/// line — with two spaces of indentation per level.
extension Expr {
    public var prettified: String { prettified(compat: .v3_14) }

    public func prettified(compat: PromQLCompat) -> String {
        ExprPrettier(printer: ExprPrinter(compat: compat)).pretty(self, 0, base: 0)
    }

    /// With another line limit (Prometheus's tests use 10).
    func prettified(compat: PromQLCompat, maxLineLength: Int) -> String {
        ExprPrettier(printer: ExprPrinter(compat: compat), maxLineLength: maxLineLength).pretty(self, 0, base: 0)
    }
}

struct ExprPrettier {
    let printer: ExprPrinter
    var maxLineLength = 100

    func indent(_ n: Int) -> String { String(repeating: "  ", count: n) }

    /// `e` at indentation `level`; `base` is the query-wide index of its first number literal.
    func pretty(_ e: Expr, _ level: Int, base: Int) -> String {
        let oneLine = printer.string(e, base: base)
        let split = oneLine.utf8.count > maxLineLength
        switch e {
        case .aggregate(let a):
            guard split else { return indent(level) + oneLine }
            var s = indent(level) + printer.aggregateOpString(a) + "(\n"
            var next = base
            if a.op.hasParam, let p = a.param {
                s += pretty(p, level + 1, base: next) + ",\n"
                next += p.numberLiteralCount
            }
            return s + pretty(a.expr, level + 1, base: next) + "\n" + indent(level) + ")"
        case .binary(let b):
            guard split else { return indent(level) + oneLine }
            return pretty(b.lhs, level + 1, base: base) + "\n" + indent(level) + printer.binaryOpString(b) + "\n"
                + pretty(b.rhs, level + 1, base: base + b.lhs.numberLiteralCount)
        case .call(let c):
            guard split else { return indent(level) + oneLine }
            var args: [String] = []
            var next = base
            for arg in c.args {
                args.append(pretty(arg, level + 1, base: next))
                next += arg.numberLiteralCount
            }
            return indent(level) + c.function.name + "(\n" + args.joined(separator: ",\n") + "\n" + indent(level) + ")"
        case .paren(let x):
            guard split else { return indent(level) + oneLine }
            return indent(level) + "(\n" + pretty(x, level + 1, base: base) + "\n" + indent(level) + ")"
        case .stepInvariant(let x):
            return pretty(x, level, base: base)
        case .subquery(let sq):
            // Like Prometheus: an unsplit subquery carries no indentation of its own.
            guard split else { return oneLine }
            return pretty(sq.expr, level, base: base) + printer.subquerySuffix(sq)
        case .unary(let op, let x):
            return indent(level) + op.rawValue + pretty(x, level, base: base).trimmingGoSpace()
        case .number, .string, .vectorSelector, .matrixSelector:
            return indent(level) + oneLine
        }
    }
}

extension String {
    /// Go's `strings.TrimSpace` for the ASCII whitespace the prettifier produces.
    func trimmingGoSpace() -> String {
        let ws: Set<UInt8> = [0x20, 0x09, 0x0A, 0x0D, 0x0B, 0x0C]
        let b = Array(utf8)
        var lo = 0, hi = b.count
        while lo < hi, ws.contains(b[lo]) { lo += 1 }
        while hi > lo, ws.contains(b[hi - 1]) { hi -= 1 }
        return String(decoding: b[lo..<hi], as: UTF8.self)
    }
}

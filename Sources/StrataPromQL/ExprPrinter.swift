import StrataCore

/// PromQL text of an expression tree, as Prometheus's `Node.String()` (promql/parser/printer.go)
/// writes it. The two releases differ: 3.14 quotes label names that are not legacy names,
/// prints numbers in fixed notation (`1048576`, 2.42 writes `1.048576e+06`) and keeps an
/// empty `ignoring ()` when `group_left/right` follows it.
extension Expr {
    /// The expression as Prometheus 3.14 prints it. Number literals print as numbers; use
    /// `PromQL.parseForPrinting` to print those written as durations (`5m`) as Prometheus does.
    public var promQLString: String { promQLString(compat: .v3_14) }

    public func promQLString(compat: PromQLCompat) -> String {
        ExprPrinter(compat: compat).string(self)
    }

    /// Number literals in the tree (in pre-order, which is their order in the query text).
    var numberLiteralCount: Int {
        switch self {
        case .number: return 1
        case .string, .vectorSelector, .matrixSelector: return 0
        case .subquery(let sq): return sq.expr.numberLiteralCount
        case .paren(let x), .unary(_, let x), .stepInvariant(let x): return x.numberLiteralCount
        case .binary(let b): return b.lhs.numberLiteralCount + b.rhs.numberLiteralCount
        case .call(let c): return c.args.reduce(0) { $0 + $1.numberLiteralCount }
        case .aggregate(let a): return (a.param?.numberLiteralCount ?? 0) + a.expr.numberLiteralCount
        }
    }
}

/// A parsed query with what the printer needs beyond the tree.
public struct ParsedQuery: Sendable {
    public let expr: Expr
    public let compat: PromQLCompat
    /// For each number literal, in the tree's pre-order: written as a duration?
    public let durationLiterals: [Bool]

    /// One line, as Prometheus's `String()`.
    public var promQLString: String { ExprPrinter(compat: compat, durationLiterals: durationLiterals).string(expr) }

    /// As `/api/v1/format_query` answers (Prometheus's `Prettify`).
    public var prettified: String {
        ExprPrettier(printer: ExprPrinter(compat: compat, durationLiterals: durationLiterals)).pretty(expr, 0, base: 0)
    }
}

struct ExprPrinter {
    let compat: PromQLCompat
    /// See ParsedQuery; empty when unknown (all numbers print as numbers).
    var durationLiterals: [Bool] = []

    /// `e`, whose first number literal is the query's `base`-th.
    func string(_ e: Expr, base: Int = 0) -> String {
        var i = base
        return write(e, &i)
    }

    func write(_ e: Expr, _ i: inout Int) -> String {
        switch e {
        case .number(let v):
            defer { i += 1 }
            return i < durationLiterals.count && durationLiterals[i] ? durationNumber(v) : number(v)
        case .string(let s): return strconvQuote(s)
        case .vectorSelector(let vs): return selector(vs) + at(vs.at) + extended(vs) + offset(vs.offset, vs.deferredOffset, vs.offsetSyntax)
        case .matrixSelector(let vs, let range):
            let r = duration(range, vs.deferredRange, vs.rangeSyntax)
            return selector(vs) + "[" + r + "]" + extended(vs) + at(vs.at) + offset(vs.offset, vs.deferredOffset, vs.offsetSyntax)
        case .subquery(let sq): return write(sq.expr, &i) + subquerySuffix(sq)
        case .paren(let x): return "(" + write(x, &i) + ")"
        case .unary(let op, let x): return op.rawValue + write(x, &i)
        case .binary(let b):
            let l = write(b.lhs, &i)
            return l + " " + binaryOpString(b) + " " + write(b.rhs, &i)
        case .call(let c):
            var args: [String] = []
            for a in c.args { args.append(write(a, &i)) }
            return c.function.name + "(" + args.joined(separator: ", ") + ")"
        case .aggregate(let a):
            var s = aggregateOpString(a) + "("
            if a.op.hasParam, let p = a.param { s += write(p, &i) + ", " }
            return s + write(a.expr, &i) + ")"
        case .stepInvariant(let x): return write(x, &i)
        }
    }

    // MARK: numbers and durations

    /// 3.14: `strconv.FormatFloat(v, 'f', -1, 64)`; 2.42: `fmt.Sprint(v)` (`%g`, shortest).
    func number(_ v: Double) -> String {
        compat == .v3_14 ? formatGoFloat(v) : formatGoG(v)
    }

    /// A number literal written as a duration (3.x), as Prometheus prints it: `5m`, `-1h`.
    func durationNumber(_ v: Double) -> String {
        guard v.isFinite else { return number(v) }
        let ms = Int64(abs(v) * 1e9) / 1_000_000
        return (v < 0 ? "-" : "") + modelDuration(ms)
    }

    /// `model.Duration.String()`: `1h30m`, `5m`, `1ms`, `0s`; years and weeks only when exact.
    func modelDuration(_ ms0: Int64) -> String {
        if ms0 == 0 { return "0s" }
        var ms = ms0
        var out = ""
        let units: [(String, Int64, Bool)] = [
            ("y", 1000 * 60 * 60 * 24 * 365, true), ("w", 1000 * 60 * 60 * 24 * 7, true),
            ("d", 1000 * 60 * 60 * 24, false), ("h", 1000 * 60 * 60, false), ("m", 1000 * 60, false),
            ("s", 1000, false), ("ms", 1, false),
        ]
        for (unit, mult, exact) in units {
            if exact && ms % mult != 0 { continue }
            let v = ms / mult
            if v > 0 {
                out += "\(v)\(unit)"
                ms -= v * mult
            }
        }
        return out
    }

    /// A `step()`/`range()` duration expression without its DurationSyntax (a tree not made by
    /// the parser): folded constant parts print as durations of their value.
    func durationTerm(_ t: DurationTerm) -> String {
        switch t {
        case .value(let seconds):
            let ms = Int64((seconds * 1000).rounded())
            return ms < 0 ? "-" + modelDuration(-ms) : modelDuration(ms)
        case .step: return "step()"
        case .range: return "range()"
        case .neg(let x): return "-" + durationTerm(x)
        case .binary(let op, let a, let b): return durationTerm(a) + " " + op.rawValue + " " + durationTerm(b)
        case .minOf(let a, let b): return "min_of(" + durationTerm(a) + ", " + durationTerm(b) + ")"
        case .maxOf(let a, let b): return "max_of(" + durationTerm(a) + ", " + durationTerm(b) + ")"
        }
    }

    /// A range or step: as written when it is a duration expression, else its value.
    func duration(_ ms: Int64, _ deferred: DurationTerm?, _ syntax: DurationSyntax?) -> String {
        if let syntax { return durationSyntax(syntax) }
        if let deferred { return durationTerm(deferred) }
        return modelDuration(ms)
    }

    /// Prometheus's DurationExpr.String and, inside one, NumberLiteral.String.
    func durationSyntax(_ s: DurationSyntax) -> String {
        switch s {
        case .number(let v, let isDuration):
            guard isDuration else { return formatGoFloat(v) }
            let ms = Int64(abs(v) * 1e9) / 1_000_000
            return (v < 0 ? "-" : "") + modelDuration(ms)
        case .expr(let op, let lhs, let rhs, let wrapped):
            let l = lhs.map(durationSyntax) ?? "", r = rhs.map(durationSyntax) ?? ""
            var out: String
            switch op {
            case "step", "range": out = op + "()"
            case "min_of", "max_of": out = op + "(" + l + ", " + r + ")"
            default: out = lhs == nil ? (op == "-" ? "-" + r : r) : l + " " + op + " " + r
            }
            return wrapped ? "(" + out + ")" : out
        }
    }

    func offset(_ ms: Int64, _ deferred: DurationTerm?, _ syntax: DurationSyntax?) -> String {
        if let syntax { return " offset " + durationSyntax(syntax) }
        if let deferred { return " offset " + durationTerm(deferred) }
        if ms > 0 { return " offset " + modelDuration(ms) }
        if ms < 0 { return " offset -" + modelDuration(-ms) }
        return ""
    }

    func at(_ at: AtModifier?) -> String {
        switch at {
        case nil: return ""
        case .start: return " @ start()"
        case .end: return " @ end()"
        case .timestamp(let ms): return " @ " + goFixed3(Double(ms) / 1000)
        }
    }

    func extended(_ vs: VectorSelector) -> String {
        vs.anchored ? " anchored" : vs.smoothed ? " smoothed" : ""
    }

    func subquerySuffix(_ sq: SubqueryExpr) -> String {
        let range = duration(sq.range, sq.deferredRange, sq.rangeSyntax)
        let step = sq.step == 0 && sq.deferredStep == nil && sq.stepSyntax == nil ? "" : duration(sq.step, sq.deferredStep, sq.stepSyntax)
        return "[" + range + ":" + step + "]" + at(sq.at) + offset(sq.offset, sq.deferredOffset, sq.offsetSyntax)
    }

    // MARK: selectors

    func selector(_ vs: VectorSelector) -> String {
        // Prometheus has no name for `{__name__="x"}`/`{"x"}`; it prints the matcher.
        let name = vs.nameFromMatcher ? "" : vs.name
        var parts: [String] = []
        for m in vs.matchers {
            if m.name == metricNameLabel && m.type == .equal && m.value == name && (compat == .v2_42 || !m.value.isEmpty) { continue }
            parts.append(matcher(m))
        }
        if parts.isEmpty { return name }
        parts.sort { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        return name + "{" + parts.joined(separator: ",") + "}"
    }

    func matcher(_ m: Matcher) -> String {
        labelName(m.name) + m.type.rawValue + strconvQuote(matcherValue(m))
    }

    /// The value as written: the parser wraps 3.x regexes containing `.` in `(?s:…)` so `.`
    /// matches newlines, which Prometheus does inside its regex engine instead.
    func matcherValue(_ m: Matcher) -> String {
        let value = m.value
        if compat.regexDotMatchesNewline, m.regex != nil, value.hasPrefix("(?s:"), value.hasSuffix(")") {
            let inner = String(value.dropFirst(4).dropLast())
            if inner.contains(".") { return inner }
        }
        return value
    }

    /// 3.14 quotes names that are not legacy label names (`"service.name"`); 2.42 has none.
    func labelName(_ s: String) -> String {
        guard compat == .v3_14 else { return s }
        return isLegacyLabelName(s) ? s : strconvQuote(s)
    }

    func isLegacyLabelName(_ s: String) -> Bool {
        if s.isEmpty { return false }
        for (i, c) in s.unicodeScalars.enumerated() {
            let ok = c == "_" || ("a"..."z").contains(c) || ("A"..."Z").contains(c) || (i > 0 && ("0"..."9").contains(c))
            if !ok { return false }
        }
        return true
    }

    func labelList(_ labels: [String]) -> String { labels.map(labelName).joined(separator: ", ") }

    // MARK: operators

    /// `sum`, `sum by (a) `, `sum without () ` (with the trailing space before the arguments).
    func aggregateOpString(_ a: AggregateExpr) -> String {
        if a.without { return a.op.rawValue + " without (" + labelList(a.grouping) + ") " }
        if !a.grouping.isEmpty { return a.op.rawValue + " by (" + labelList(a.grouping) + ") " }
        return a.op.rawValue
    }

    /// `+`, `> bool`, `/ on (a) group_left (b) fill (0)`.
    func binaryOpString(_ b: BinaryExpr) -> String {
        b.op.rawValue + (b.returnBool ? " bool" : "") + matchingString(b.matching)
    }

    func matchingString(_ vm: VectorMatching?) -> String {
        guard let vm else { return "" }
        var s = ""
        let grouped = vm.card == .manyToOne || vm.card == .oneToMany
        let showMatching = compat == .v3_14 ? (!vm.matchingLabels.isEmpty || vm.on || grouped) : (!vm.matchingLabels.isEmpty || vm.on)
        if showMatching {
            s += (vm.on ? " on (" : " ignoring (") + labelList(vm.matchingLabels) + ")"
            if grouped {
                s += (vm.card == .manyToOne ? " group_left (" : " group_right (") + labelList(vm.include) + ")"
            }
        }
        if vm.fillLeft != nil || vm.fillRight != nil {
            if let l = vm.fillLeft, let r = vm.fillRight, l == r {
                s += " fill (" + formatGoG(l) + ")"
            } else {
                if let l = vm.fillLeft { s += " fill_left (" + formatGoG(l) + ")" }
                if let r = vm.fillRight { s += " fill_right (" + formatGoG(r) + ")" }
            }
        }
        return s
    }
}

/// Go's `strconv.Quote`: like `goQuote`, and non-printable characters beyond ASCII (spaces
/// other than ' ', format and control characters, unassigned code points) as `\uXXXX` or
/// `\UXXXXXXXX`, as Go's `unicode.IsPrint` decides.
func strconvQuote(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        if u.value < 0x80 || u.value == 0xFFFD {
            out += goQuote(String(u)).dropFirst().dropLast()
            continue
        }
        switch u.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
             .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .letterNumber, .otherNumber,
             .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
             .finalPunctuation, .otherPunctuation, .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
            out.unicodeScalars.append(u)
        default:
            let hex = String(u.value, radix: 16)
            let width = u.value < 0x10000 ? 4 : 8
            out += (width == 4 ? "\\u" : "\\U") + String(repeating: "0", count: width - hex.count) + hex
        }
    }
    return out + "\""
}

/// Go's `%.3f`.
func goFixed3(_ v: Double) -> String {
    if v.isNaN { return "NaN" }
    if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
    let scaled = (abs(v) * 1000).rounded(.toNearestOrEven)
    let neg = v < 0 && scaled != 0
    let whole = UInt64(scaled) / 1000, frac = UInt64(scaled) % 1000
    let f = String(frac)
    return (neg ? "-" : "") + "\(whole)." + String(repeating: "0", count: 3 - f.count) + f
}

/// Go's `fmt.Sprint(float64)` / `%v`, i.e. `strconv.FormatFloat(v, 'g', -1, 64)`: the shortest
/// digits, in exponent form when the decimal exponent is below -4 or at least 6
/// (`1.048576e+06`, `100000`, `1e-05`).
public func formatGoG(_ v: Double) -> String {
    if v.isNaN { return "NaN" }
    if v.isInfinite { return v > 0 ? "+Inf" : "-Inf" }
    if v == 0 { return v.sign == .minus ? "-0" : "0" }
    let e = formatGoExponent(v)  // d.ddde±XX
    guard let ePos = e.firstIndex(of: "e") else { return e }
    let exp = Int(e[e.index(after: ePos)...])!
    if exp < -4 || exp >= 6 { return e }
    return formatGoFloat(v)
}

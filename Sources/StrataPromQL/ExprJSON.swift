import StrataCore

/// The syntax tree as `/api/v1/parse_query` answers it: the objects of Prometheus's
/// `translateAST` (web/api/v1/translate_ast.go, 3.14), keys in the sorted order Go's JSON
/// encoder writes map keys in, without source positions.
extension Expr {
    public var astJSON: JSONValue { astJSON(compat: .v3_14) }

    public func astJSON(compat: PromQLCompat) -> JSONValue {
        ExprJSON(printer: ExprPrinter(compat: compat)).translate(self)
    }

    /// The tree's JSON text, floats (fill values) written as Go's encoding/json writes them.
    public func astJSONText(compat: PromQLCompat) -> String {
        ExprJSON.text(astJSON(compat: compat))
    }
}

struct ExprJSON {
    let printer: ExprPrinter

    /// Compact JSON as Go's encoding/json writes it: floats in fixed notation from 1e-6 to
    /// below 1e21, else in exponent form without a leading zero in the exponent (`1e-7`).
    static func text(_ v: JSONValue) -> String {
        switch v {
        case .double(let d):
            guard d.isFinite else { return "null" }
            let a = abs(d)
            guard a != 0 && (a < 1e-6 || a >= 1e21) else { return formatGoFloat(d) }
            var e = formatGoExponent(d)
            if let r = e.range(of: "e-0") { e.replaceSubrange(r, with: "e-") }
            return e
        case .array(let items): return "[" + items.map(text).joined(separator: ",") + "]"
        case .object(let members): return "{" + members.map { goJSONString($0.key) + ":" + text($0.value) }.joined(separator: ",") + "}"
        default: return v.serialized()
        }
    }

    /// An object with Go's key order (sorted bytewise).
    func object(_ members: [(String, JSONValue)]) -> JSONValue {
        .object(members.sorted { Array($0.0.utf8).lexicographicallyPrecedes(Array($1.0.utf8)) }.map { JSONMember($0.0, $0.1) })
    }

    func strings(_ s: [String]) -> JSONValue { .array(s.map { .string($0) }) }

    func translate(_ e: Expr) -> JSONValue {
        switch e {
        case .aggregate(let a):
            return object([
                ("type", .string("aggregation")), ("op", .string(a.op.rawValue)), ("expr", translate(a.expr)),
                ("param", a.param.map(translate) ?? .null), ("grouping", strings(a.grouping)), ("without", .bool(a.without)),
            ])
        case .binary(let b):
            var matching = JSONValue.null
            if let m = b.matching {
                matching = object([
                    ("card", .string(cardinality(m.card))), ("labels", strings(m.matchingLabels)), ("on", .bool(m.on)),
                    ("include", strings(m.include)),
                    ("fillValues", object([("lhs", m.fillLeft.map { .double($0) } ?? .null),
                                           ("rhs", m.fillRight.map { .double($0) } ?? .null)])),
                ])
            }
            return object([
                ("type", .string("binaryExpr")), ("op", .string(b.op.rawValue)), ("lhs", translate(b.lhs)),
                ("rhs", translate(b.rhs)), ("matching", matching), ("bool", .bool(b.returnBool)),
            ])
        case .call(let c):
            let f = c.function
            return object([
                ("type", .string("call")),
                ("func", object([("name", .string(f.name)), ("argTypes", strings(f.argTypes.map(\.rawValue))),
                                 ("variadic", .int(Int64(f.variadic))), ("returnType", .string(f.returnType.rawValue))])),
                ("args", .array(c.args.map(translate))),
            ])
        case .matrixSelector(let vs, let range):
            return object(selectorMembers(vs) + [
                ("type", .string("matrixSelector")),
                ("range", .int(vs.deferredRange == nil && vs.rangeSyntax == nil ? range : 0)),
                ("rangeExpr", durationJSON(vs.deferredRange, vs.rangeSyntax)),
            ])
        case .vectorSelector(let vs):
            return object(selectorMembers(vs) + [("type", .string("vectorSelector"))])
        case .subquery(let sq):
            return object([
                ("type", .string("subquery")), ("expr", translate(sq.expr)),
                ("range", .int(sq.deferredRange == nil && sq.rangeSyntax == nil ? sq.range : 0)),
                ("rangeExpr", durationJSON(sq.deferredRange, sq.rangeSyntax)),
                ("offset", .int(sq.deferredOffset == nil && sq.offsetSyntax == nil ? sq.offset : 0)),
                ("offsetExpr", durationJSON(sq.deferredOffset, sq.offsetSyntax)),
                ("step", .int(sq.deferredStep == nil && sq.stepSyntax == nil ? sq.step : 0)),
                ("stepExpr", durationJSON(sq.deferredStep, sq.stepSyntax)),
                ("timestamp", timestamp(sq.at)), ("startOrEnd", startOrEnd(sq.at)),
            ])
        case .number(let v):
            return object([("type", .string("numberLiteral")), ("val", .string(formatGoFloat(v)))])
        case .string(let s):
            return object([("type", .string("stringLiteral")), ("val", .string(s))])
        case .paren(let x):
            return object([("type", .string("parenExpr")), ("expr", translate(x))])
        case .unary(let op, let x):
            return object([("type", .string("unaryExpr")), ("op", .string(op.rawValue)), ("expr", translate(x))])
        case .stepInvariant(let x):
            return translate(x)
        }
    }

    /// The members vector and matrix selectors share.
    func selectorMembers(_ vs: VectorSelector) -> [(String, JSONValue)] {
        let matchers: [JSONValue] = vs.matchers.map { m in
            object([("name", .string(m.name)), ("value", .string(printer.matcherValue(m))), ("type", .string(m.type.rawValue))])
        }
        return [
            ("name", .string(vs.nameFromMatcher ? "" : vs.name)),
            ("offset", .int(vs.deferredOffset == nil && vs.offsetSyntax == nil ? vs.offset : 0)),
            ("offsetExpr", durationJSON(vs.deferredOffset, vs.offsetSyntax)),
            ("matchers", .array(matchers)), ("timestamp", timestamp(vs.at)), ("startOrEnd", startOrEnd(vs.at)),
            ("anchored", .bool(vs.anchored)), ("smoothed", .bool(vs.smoothed)),
        ]
    }

    /// A duration expression as written; null for a plain duration.
    func durationJSON(_ deferred: DurationTerm?, _ syntax: DurationSyntax?) -> JSONValue {
        if let syntax { return self.syntax(syntax) }
        return deferred.map(duration) ?? .null
    }

    func syntax(_ s: DurationSyntax) -> JSONValue {
        switch s {
        case .number(let v, let isDuration):
            return object([("type", .string("numberLiteral")), ("val", .string(formatGoFloat(v))), ("duration", .bool(isDuration))])
        case .expr(let op, let lhs, let rhs, let wrapped):
            return object([("type", .string("durationExpr")), ("op", .string(op)), ("lhs", lhs.map(syntax) ?? .null),
                           ("rhs", rhs.map(syntax) ?? .null), ("wrapped", .bool(wrapped))])
        }
    }

    /// A `step()`/`range()` duration expression without its text (trees built by hand);
    /// constant parts appear as duration literals of their value.
    func duration(_ t: DurationTerm) -> JSONValue {
        func expr(_ op: String, _ lhs: JSONValue, _ rhs: JSONValue) -> JSONValue {
            object([("type", .string("durationExpr")), ("op", .string(op)), ("lhs", lhs), ("rhs", rhs), ("wrapped", .bool(false))])
        }
        switch t {
        case .value(let seconds):
            return object([("type", .string("numberLiteral")), ("val", .string(formatGoFloat(seconds))), ("duration", .bool(true))])
        case .step: return expr("step", .null, .null)
        case .range: return expr("range", .null, .null)
        case .neg(let x): return expr("-", .null, duration(x))
        case .binary(let op, let a, let b): return expr(op.rawValue, duration(a), duration(b))
        case .minOf(let a, let b): return expr("min_of", duration(a), duration(b))
        case .maxOf(let a, let b): return expr("max_of", duration(a), duration(b))
        }
    }

    func timestamp(_ at: AtModifier?) -> JSONValue {
        if case .timestamp(let ms) = at { return .int(ms) }
        return .null
    }

    func startOrEnd(_ at: AtModifier?) -> JSONValue {
        switch at {
        case .start: return .string("start")
        case .end: return .string("end")
        default: return .null
        }
    }

    func cardinality(_ c: VectorMatchCardinality) -> String {
        switch c {
        case .oneToOne: return "one-to-one"
        case .manyToOne: return "many-to-one"
        case .oneToMany: return "one-to-many"
        case .manyToMany: return "many-to-many"
        }
    }
}

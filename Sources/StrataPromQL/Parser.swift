import StrataCore

/// PromQL parser: recursive descent with precedence climbing, following the precedence and
/// associativity of Prometheus's yacc grammar (`^` right-associative; `offset`, `@`, `[...]`
/// bind tightest; unary minus binds like `*`), and the type checks of its checkAST.
public enum PromQL {
    /// Parses and type-checks `query` as the `compat` release does. Errors are `ParseError`
    /// with Prometheus's positions.
    public static func parse(_ query: String, compat: PromQLCompat = .v3_14, features: PromQLFeatures = []) throws -> Expr {
        try parseForPrinting(query, compat: compat, features: features).expr
    }

    /// Parses like `parse`, also noting which number literals were written as durations
    /// (3.x `foo + 5m`), which Prometheus prints as durations.
    public static func parseForPrinting(_ query: String, compat: PromQLCompat = .v3_14, features: PromQLFeatures = []) throws -> ParsedQuery {
        var p = Parser(query: query, tokens: try Lexer.tokenize(query, compat: compat), compat: compat,
                       features: compat == .v3_14 ? features : [])
        if p.cur.kind == .eof { throw ParseError(position: 0, message: "no expression found in input", query: query) }
        let (e, _) = try p.parseExpr(0)
        if p.cur.kind != .eof { throw p.unexpected("") }
        return ParsedQuery(expr: e, compat: compat, durationLiterals: p.numberLiteralDurations)
    }

    /// A series selector such as `up{job="api"}` (the API's `match[]`), as its matchers with
    /// the metric name as a `__name__` matcher.
    public static func parseMetricSelector(_ text: String, compat: PromQLCompat = .v3_14) throws -> [Matcher] {
        let expr = try parse(text, compat: compat)
        guard case .vectorSelector(let vs) = expr else {
            throw ParseError(position: 0, message: "expected a series selector, got \(expr.type.documented)", query: text)
        }
        return vs.matchers
    }
}

struct Parser {
    let query: String
    let tokens: [Token]
    let compat: PromQLCompat
    let features: PromQLFeatures
    var i = 0
    var nextSelectorID = 0
    /// Set while parsing info()'s data-label selector, which may match empty values only.
    var bypassEmptyMatcherCheck = false
    /// For each number literal in source order (which is the tree's pre-order): written as a
    /// duration (`5m`)?
    var numberLiteralDurations: [Bool] = []

    init(query: String, tokens: [Token], compat: PromQLCompat, features: PromQLFeatures) {
        self.query = query
        self.tokens = tokens
        self.compat = compat
        self.features = features
    }

    var cur: Token { tokens[i] }
    func peekKind(_ off: Int = 1) -> TokenKind { tokens[min(i + off, tokens.count - 1)].kind }

    mutating func advance() -> Token {
        let t = tokens[i]
        if i < tokens.count - 1 { i += 1 }
        return t
    }

    func error(_ pos: Int, _ msg: String) -> ParseError { ParseError(position: pos, message: msg, query: query) }

    /// The line:column of byte `offset`, as annotations print it.
    func sourcePos(_ offset: Int) -> SourcePos { SourcePos(offset: offset, in: Array(query.utf8)) }

    func unexpected(_ context: String, expected: String = "") -> ParseError {
        var msg = "unexpected \(cur.describe)"
        if !context.isEmpty { msg += " in \(context)" }
        if !expected.isEmpty { msg += ", expected \(expected)" }
        return error(cur.start, msg)
    }

    mutating func expect(_ kind: TokenKind, _ context: String, _ what: String) throws -> Token {
        guard cur.kind == kind else { throw unexpected(context, expected: what) }
        return advance()
    }

    // MARK: binary expressions

    func binaryOp(_ k: TokenKind) -> BinaryOp? {
        switch k {
        case .add: return .add
        case .sub: return .sub
        case .mul: return .mul
        case .div: return .div
        case .mod: return .mod
        case .pow: return .pow
        case .eqlc: return .eql
        case .neq: return .neq
        case .gtr: return .gtr
        case .lss: return .lss
        case .gte: return .gte
        case .lte: return .lte
        case .trimUpper: return .trimUpper
        case .trimLower: return .trimLower
        case .keyword(.and): return .and
        case .keyword(.or): return .or
        case .keyword(.unless): return .unless
        case .keyword(.atan2): return .atan2
        default: return nil
        }
    }

    /// Parses an expression; returns it with the byte offset where it starts (errors about a
    /// whole node point there, as Prometheus's PositionRange does).
    mutating func parseExpr(_ minPrec: Int) throws -> (Expr, Int) {
        var (lhs, lhsStart) = try parseUnary()
        while let op = binaryOp(cur.kind), op.precedence >= minPrec {
            let opTok = advance()
            var returnBool = false
            if cur.kind == .keyword(.bool) {
                _ = advance()
                returnBool = true
            }
            var matching = VectorMatching(card: .oneToOne, matchingLabels: [], on: false, include: [])
            var sawOnIgnoring = false
            if cur.kind == .keyword(.on) || cur.kind == .keyword(.ignoring) {
                matching.on = advance().kind == .keyword(.on)
                matching.matchingLabels = try parseGroupingLabels()
                sawOnIgnoring = true
                if cur.kind == .keyword(.groupLeft) || cur.kind == .keyword(.groupRight) {
                    matching.card = advance().kind == .keyword(.groupLeft) ? .manyToOne : .oneToMany
                    if cur.kind == .leftParen { matching.include = try parseGroupingLabels() }
                }
            }
            _ = sawOnIgnoring
            if compat == .v3_14 { try parseFillModifiers(&matching, opTok) }
            let (rhs, rhsStart) = try parseExpr(op.rightAssociative ? op.precedence : op.precedence + 1)
            lhs = try makeBinary(op, opTok, lhs, rhs, returnBool, matching, lhsStart, rhsStart)
        }
        return (lhs, lhsStart)
    }

    func makeBinary(_ op: BinaryOp, _ opTok: Token, _ lhs: Expr, _ rhs: Expr, _ returnBool: Bool,
                    _ matching0: VectorMatching, _ start: Int, _ rhsStart: Int) throws -> Expr {
        var matching = matching0
        let lt = lhs.type, rt = rhs.type
        if returnBool && !op.isComparison {
            throw error(opTok.start, "bool modifier can only be used on comparison operators")
        }
        if op.isComparison && !returnBool && lt == .scalar && rt == .scalar {
            throw error(opTok.start, "comparisons between scalars must use BOOL modifier")
        }
        if op.isSetOperator && matching.card == .oneToOne { matching.card = .manyToMany }
        if matching.on {
            for l in matching.matchingLabels where matching.include.contains(l) {
                throw error(opTok.start, "label \(goQuote(l)) must not occur in ON and GROUP clause at once")
            }
        }
        if lt != .scalar && lt != .vector {
            throw error(start, "binary expression must contain only scalar and instant vector types")
        }
        if rt != .scalar && rt != .vector {
            throw error(rhsStart, "binary expression must contain only scalar and instant vector types")
        }
        var finalMatching: VectorMatching? = matching
        if lt != .vector || rt != .vector {
            if !matching.matchingLabels.isEmpty {
                throw error(start, "vector matching only allowed between instant vectors")
            }
            finalMatching = nil
        } else if op.isSetOperator {
            if matching.card == .oneToMany || matching.card == .manyToOne {
                throw error(start, "no grouping allowed for \"\(op.rawValue)\" operation")
            }
        }
        let fills = matching.fillLeft != nil || matching.fillRight != nil
        if fills && (lt != .vector || rt != .vector) {
            throw error(start, "filling in missing series only allowed between instant vectors")
        }
        if fills && op.isSetOperator { throw error(start, "filling in missing series not allowed for set operators") }
        if (lt == .scalar || rt == .scalar) && op.isSetOperator {
            throw error(start, "set operator \"\(op.rawValue)\" not allowed in binary scalar expression")
        }
        return .binary(BinaryExpr(op: op, lhs: lhs, rhs: rhs, matching: finalMatching, returnBool: returnBool,
                                  pos: sourcePos(start)))
    }

    /// `fill(v)`, `fill_left(v)`, `fill_right(v)`, or `fill_left(v) fill_right(w)` in either
    /// order, after the matching modifiers (3.x, behind promql-binop-fill-modifiers).
    mutating func parseFillModifiers(_ m: inout VectorMatching, _ opTok: Token) throws {
        func isFill(_ t: Token) -> Bool {
            t.kind == .identifier && ["fill", "fill_left", "fill_right"].contains(t.text.lowercased()) && peekKind() == .leftParen
        }
        var seen: Set<String> = []
        while isFill(cur) {
            let t = advance()
            let name = t.text.lowercased()
            if !features.contains(.binopFillModifiers) {
                throw error(t.start, "binop fill modifiers are experimental and not enabled")
            }
            if seen.contains(name) || seen.contains("fill") || (name == "fill" && !seen.isEmpty) {
                throw error(t.start, "unexpected \(name) modifier")
            }
            seen.insert(name)
            _ = try expect(.leftParen, "fill modifier", "\"(\"")
            var sign = 1.0
            if cur.kind == .sub || cur.kind == .add { sign = advance().kind == .sub ? -1 : 1 }
            let v: Double
            switch cur.kind {
            case .number: v = try numberValue(advance())
            case .duration: v = Double(try parseDurationToken(advance())) / 1000
            default: throw unexpected("fill modifier", expected: "number")
            }
            _ = try expect(.rightParen, "fill modifier", "\")\"")
            switch name {
            case "fill": (m.fillLeft, m.fillRight) = (sign * v, sign * v)
            case "fill_left": m.fillLeft = sign * v
            default: m.fillRight = sign * v
            }
        }
    }

    // MARK: unary and postfix

    mutating func parseUnary() throws -> (Expr, Int) {
        if cur.kind == .add || cur.kind == .sub {
            let tok = advance()
            let (operand, _) = try parseExpr(BinaryOp.pow.precedence)
            if case .number(let v) = operand {
                return (.number(tok.kind == .sub ? -v : v), tok.start)
            }
            let t = operand.type
            if t != .scalar && t != .vector {
                throw error(tok.start, "unary expression only allowed on expressions of type scalar or instant vector, got \"\(t.documented)\"")
            }
            return (.unary(tok.kind == .sub ? .minus : .plus, operand), tok.start)
        }
        let start = cur.start
        var e = try parsePrimary()
        try parsePostfix(&e, start)
        return (e, start)
    }

    mutating func parsePostfix(_ e: inout Expr, _ start: Int) throws {
        while true {
            switch cur.kind {
            case .leftBracket:
                let open = advance()
                var range: Int64
                var deferredRange: DurationTerm?, deferredStep: DurationTerm?
                var rangeSyntax: DurationSyntax?, stepSyntax: DurationSyntax?
                if compat == .v3_14 {
                    let from = i
                    (range, deferredRange) = try positiveDurationOrDeferred()
                    rangeSyntax = durationSyntax(from: from, to: i)
                } else {
                    range = try durationValue(try expect(.duration, "", "duration"))
                }
                if cur.kind == .colon {
                    _ = advance()
                    var step: Int64 = 0
                    if compat == .v3_14 {
                        if cur.kind != .rightBracket {
                            let from = i
                            (step, deferredStep) = try positiveDurationOrDeferred()
                            stepSyntax = durationSyntax(from: from, to: i)
                        }
                    } else if cur.kind == .duration {
                        step = try durationValue(advance())
                    }
                    _ = try expect(.rightBracket, "subquery selector", "\"]\"")
                    if e.type != .vector {
                        throw error(start, "subquery is only allowed on instant vector, got \(e.type.rawValue) instead")
                    }
                    var sq = SubqueryExpr(expr: e, range: range, step: step, offset: 0, at: nil,
                                          deferredRange: deferredRange, deferredStep: deferredStep)
                    sq.rangeSyntax = rangeSyntax
                    sq.stepSyntax = stepSyntax
                    e = .subquery(sq)
                } else {
                    _ = try expect(.rightBracket, "matrix selector", "\"]\"")
                    guard case .vectorSelector(let vs) = e else {
                        throw error(open.start, "ranges only allowed for vector selectors")
                    }
                    if vs.offset != 0 { throw error(open.start, "no offset modifiers allowed before range") }
                    if vs.at != nil { throw error(open.start, "no @ modifiers allowed before range") }
                    var ranged = vs
                    ranged.deferredRange = deferredRange
                    ranged.rangeSyntax = rangeSyntax
                    e = .matrixSelector(ranged, range: range)
                }
            case .keyword(.offset):
                _ = advance()
                if compat == .v3_14 {
                    // A number, duration, parenthesised duration expression or min_of/max_of,
                    // optionally signed (3.x).
                    let p = cur.start, from = i
                    let term = try parseDurationUnary(offsetOperand: true)
                    if term.isConstant {
                        try setOffset(&e, try durationMillis(try term.eval(step: 0, range: 0), p), start)
                    } else {
                        try setDeferredOffset(&e, term, start)
                    }
                    if let syntax = durationSyntax(from: from, to: i) { setOffsetSyntax(&e, syntax) }
                    continue
                }
                var neg = false
                if cur.kind == .sub { _ = advance(); neg = true }
                let d = try durationValue(try expect(.duration, "offset", "duration"))
                try setOffset(&e, neg ? -d : d, start)
            case .at:
                _ = advance()
                let at: AtModifier
                if cur.kind == .keyword(.start) || cur.kind == .keyword(.end) {
                    let which = advance()
                    _ = try expect(.leftParen, "@", "\"(\"")
                    _ = try expect(.rightParen, "@", "\")\"")
                    at = which.kind == .keyword(.start) ? .start : .end
                } else {
                    var sign = 1.0
                    if cur.kind == .sub || cur.kind == .add {
                        sign = advance().kind == .sub ? -1 : 1
                    }
                    let ts: Double
                    if compat == .v3_14, cur.kind == .duration {
                        // `@ 100s` (3.x): a duration is seconds since the epoch.
                        ts = sign * Double(try parseDurationToken(advance())) / 1000
                    } else {
                        ts = sign * (try numberValue(try expect(.number, "@", "timestamp")))
                    }
                    if !ts.isFinite || ts >= 9.223372036854775807e18 || ts <= -9.223372036854775808e18 {
                        throw error(start, "timestamp out of bounds for @ modifier: \(goFixed6(ts))")
                    }
                    at = .timestamp(Int64((ts * 1000).rounded()))
                }
                try setAt(&e, at, start)
            case .identifier where compat == .v3_14 && (cur.text == "anchored" || cur.text == "smoothed"):
                try setExtendedRange(&e, anchored: advance().text == "anchored", start)
            default:
                return
            }
        }
    }

    func setOffset(_ e: inout Expr, _ d: Int64, _ pos: Int) throws {
        switch e {
        case .vectorSelector(var vs):
            if vs.offset != 0 { throw error(pos, "offset may not be set multiple times") }
            vs.offset = d
            e = .vectorSelector(vs)
        case .matrixSelector(var vs, let r):
            if vs.offset != 0 { throw error(pos, "offset may not be set multiple times") }
            vs.offset = d
            e = .matrixSelector(vs, range: r)
        case .subquery(var sq):
            if sq.offset != 0 { throw error(pos, "offset may not be set multiple times") }
            sq.offset = d
            e = .subquery(sq)
        default:
            throw error(pos, "offset modifier must be preceded by an instant vector selector or range vector selector or a subquery")
        }
    }

    /// `offset step()` and the like: the offset is resolved with the query (3.x).
    func setOffsetSyntax(_ e: inout Expr, _ syntax: DurationSyntax) {
        switch e {
        case .vectorSelector(var vs):
            vs.offsetSyntax = syntax
            e = .vectorSelector(vs)
        case .matrixSelector(var vs, let r):
            vs.offsetSyntax = syntax
            e = .matrixSelector(vs, range: r)
        case .subquery(var sq):
            sq.offsetSyntax = syntax
            e = .subquery(sq)
        default:
            break
        }
    }

    func setDeferredOffset(_ e: inout Expr, _ t: DurationTerm, _ pos: Int) throws {
        try setOffset(&e, 0, pos)
        switch e {
        case .vectorSelector(var vs):
            if vs.deferredOffset != nil { throw error(pos, "offset may not be set multiple times") }
            vs.deferredOffset = t
            e = .vectorSelector(vs)
        case .matrixSelector(var vs, let r):
            if vs.deferredOffset != nil { throw error(pos, "offset may not be set multiple times") }
            vs.deferredOffset = t
            e = .matrixSelector(vs, range: r)
        case .subquery(var sq):
            if sq.deferredOffset != nil { throw error(pos, "offset may not be set multiple times") }
            sq.deferredOffset = t
            e = .subquery(sq)
        default: break
        }
    }

    /// `anchored` / `smoothed` after a selector (Prometheus's setAnchored/setSmoothed).
    func setExtendedRange(_ e: inout Expr, anchored: Bool, _ pos: Int) throws {
        let name = anchored ? "anchored" : "smoothed"
        guard features.contains(.extendedRangeSelectors) else { throw error(pos, "\(name) modifier is experimental and not enabled") }
        func set(_ vs: inout VectorSelector) throws {
            if anchored { vs.anchored = true } else { vs.smoothed = true }
            if vs.anchored && vs.smoothed { throw error(pos, "anchored and smoothed modifiers cannot be used together") }
        }
        switch e {
        case .vectorSelector(var vs):
            try set(&vs)
            e = .vectorSelector(vs)
        case .matrixSelector(var vs, let r):
            try set(&vs)
            e = .matrixSelector(vs, range: r)
        case .subquery:
            throw error(pos, "\(name) modifier is not supported for subqueries")
        default:
            throw error(pos, "\(name) modifier not implemented")
        }
    }

    func setAt(_ e: inout Expr, _ at: AtModifier, _ pos: Int) throws {
        switch e {
        case .vectorSelector(var vs):
            if vs.at != nil { throw error(pos, "@ <timestamp> may not be set multiple times") }
            vs.at = at
            e = .vectorSelector(vs)
        case .matrixSelector(var vs, let r):
            if vs.at != nil { throw error(pos, "@ <timestamp> may not be set multiple times") }
            vs.at = at
            e = .matrixSelector(vs, range: r)
        case .subquery(var sq):
            if sq.at != nil { throw error(pos, "@ <timestamp> may not be set multiple times") }
            sq.at = at
            e = .subquery(sq)
        default:
            throw error(pos, "@ modifier must be preceded by an instant vector selector or range vector selector or a subquery")
        }
    }

    /// A duration expression's value in milliseconds, which must be positive (ranges, steps).
    mutating func positiveDuration(_ parse: (inout Parser) throws -> Double) throws -> Int64 {
        let p = cur.start
        let ms = try durationMillis(try parse(&self), p)
        if ms <= 0 { throw error(p, "duration must be greater than 0") }
        return ms
    }

    func durationValue(_ t: Token) throws -> Int64 {
        do {
            let d = try parseDuration(t.text)
            if d == 0 { throw error(t.start, "duration must be greater than 0") }
            return d
        } catch let e as ParseError {
            throw e
        } catch {
            throw self.error(t.start, "\(error)")
        }
    }

    func numberValue(_ t: Token) throws -> Double {
        if let v = parseGoNumber(t.text) { return v }
        throw error(t.start, "error parsing number: strconv.ParseFloat: parsing \(goQuote(t.text)): invalid syntax")
    }
}

/// Go's number parsing as Prometheus applies it: `strconv.ParseInt(s, 0, 64)` first (so
/// `0x1F` and octal `017` work), then `strconv.ParseFloat` (which accepts Inf and NaN).
func parseGoNumber(_ s: String) -> Double? {
    var body = Substring(s)
    var neg = false
    if body.hasPrefix("-") { neg = true; body = body.dropFirst() } else if body.hasPrefix("+") { body = body.dropFirst() }
    let lower = body.lowercased()
    if lower.hasPrefix("0x"), let v = UInt64(lower.dropFirst(2), radix: 16), v <= UInt64(Int64.max) {
        return neg ? -Double(v) : Double(v)
    }
    if lower.count > 1, lower.hasPrefix("0"), lower.allSatisfy({ $0 >= "0" && $0 <= "7" }), let v = Int64(lower, radix: 8) {
        return neg ? -Double(v) : Double(v)
    }
    switch lower {
    case "inf", "infinity": return neg ? -.infinity : .infinity
    case "nan": return .nan
    default: break
    }
    if lower.isEmpty || lower.contains("_") { return nil }
    if let v = Double(lower) { return neg ? -v : v }
    return nil
}

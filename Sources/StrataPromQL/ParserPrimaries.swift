import StrataCore

/// Primary expressions: literals, parentheses, selectors, function calls and aggregations,
/// with Prometheus's type checks for arguments.
extension Parser {
    static let metricNameKeywords: Set<Keyword> = [
        .avg, .bottomk, .by, .count, .countValues, .group, .and, .or, .unless, .max, .min, .offset,
        .quantile, .stddev, .stdvar, .sum, .topk, .without, .start, .end,
    ]

    mutating func parsePrimary() throws -> Expr {
        let t = cur
        switch t.kind {
        case .number:
            _ = advance()
            numberLiteralDurations.append(false)
            return .number(try numberValue(t))
        case .string:
            _ = advance()
            return .string(try unquote(t))
        case .duration where compat == .v3_14:
            // 3.x: a duration where a number is expected is its length in seconds.
            _ = advance()
            numberLiteralDurations.append(true)
            return .number(Double(try parseDurationToken(t)) / 1000)
        case .leftParen:
            _ = advance()
            let (inner, _) = try parseExpr(0)
            _ = try expect(.rightParen, "paren expression", "\")\"")
            return .paren(inner)
        case .leftBrace:
            return try parseSelector(name: nil, nameTok: t)
        case .identifier:
            _ = advance()
            if cur.kind == .leftParen { return try parseCall(t) }
            return try parseSelector(name: t.text, nameTok: t)
        case .metricIdentifier:
            _ = advance()
            return try parseSelector(name: t.text, nameTok: t)
        case .keyword(let k):
            if compat == .v3_14, k == .start || k == .end, peekKind() == .leftParen {
                // `start()`, `end()` as functions (3.x, experimental).
                _ = advance()
                return try parseCall(t)
            }
            if let op = k.aggregateOp {
                let next = peekKind()
                if next == .leftParen || next == .keyword(.by) || next == .keyword(.without) {
                    _ = advance()
                    return try parseAggregate(op, t)
                }
            }
            if Parser.metricNameKeywords.contains(k) || k == .limitk || k == .limitRatio {
                _ = advance()
                return try parseSelector(name: t.text, nameTok: t)
            }
            throw unexpected("")
        case .eof:
            throw error(t.start, "unexpected end of input")
        default:
            throw unexpected("")
        }
    }

    func unquote(_ t: Token) throws -> String {
        do { return try unquoteGo(t.text) } catch {
            throw self.error(t.start, "error unquoting string \(goQuote(t.text)): \(error)")
        }
    }

    mutating func parseSelector(name: String?, nameTok: Token) throws -> Expr {
        var matchers: [Matcher] = []
        if cur.kind == .leftBrace {
            _ = advance()
            while cur.kind != .rightBrace {
                if compat.quotedNames, cur.kind == .string, peekKind() == .comma || peekKind() == .rightBrace {
                    // `{"http.server.duration", …}`: a lone quoted string names the metric (3.x).
                    let quoted = advance()
                    let value = try unquote(quoted)
                    if let prev = matchers.first(where: { $0.name == metricNameLabel && $0.type == .equal }) {
                        throw error(quoted.start, "metric name must not be set twice: \(goQuote(prev.value)) or \(goQuote(value))")
                    }
                    matchers.append(try Matcher(.equal, metricNameLabel, value))
                    if cur.kind == .comma { _ = advance() }
                    continue
                }
                guard cur.kind == .identifier || (compat.quotedNames && cur.kind == .string) else {
                    throw unexpected("label matching", expected: "identifier or \"}\"")
                }
                let label = advance()
                let labelName = label.kind == .string ? try unquote(label) : label.text
                let opTok = advance()
                let type: MatchType
                switch opTok.kind {
                case .eql: type = .equal
                case .neq: type = .notEqual
                case .eqlRegex: type = .regexMatch
                case .neqRegex: type = .regexNoMatch
                default:
                    i -= 1
                    throw unexpected("label matching", expected: "label matching operator")
                }
                guard cur.kind == .string else { throw unexpected("label matching", expected: "string") }
                let valTok = advance()
                let value = try unquote(valTok)
                do {
                    var m = try Matcher(type, labelName, value)
                    if compat.regexDotMatchesNewline, m.regex != nil, value.contains(".") {
                        // 3.x regexes match `.` against newlines. The flag travels in the pattern
                        // itself, so stores applying this matcher (Strata's or Thanos's) agree.
                        m = try Matcher(type, labelName, "(?s:" + value + ")")
                    }
                    matchers.append(m)
                } catch {
                    throw self.error(label.start, goRegexErrorMessage(error))
                }
                if cur.kind == .comma { _ = advance(); continue }
                if cur.kind != .rightBrace { throw unexpected("label matching", expected: "\",\" or \"}\"") }
            }
            _ = advance()
        }
        if let name {
            for m in matchers where m.name == metricNameLabel {
                throw error(nameTok.start, "metric name must not be set twice: \(goQuote(name)) or \(goQuote(m.value))")
            }
            matchers.append(try Matcher(.equal, metricNameLabel, name))
        }
        if !bypassEmptyMatcherCheck && !matchers.contains(where: { !$0.matchesEmpty }) {
            throw error(nameTok.start, "vector selector must contain at least one non-empty matcher")
        }
        let id = nextSelectorID
        nextSelectorID += 1
        let selectorName = name ?? (compat.quotedNames ? matchers.first { $0.name == metricNameLabel && $0.type == .equal }?.value : nil)
        var vs = VectorSelector(name: selectorName ?? "", matchers: matchers, offset: 0, at: nil, id: id)
        vs.pos = sourcePos(nameTok.start)
        vs.nameFromMatcher = name == nil
        return .vectorSelector(vs)
    }

    mutating func parseGroupingLabels() throws -> [String] {
        _ = try expect(.leftParen, "grouping opts", "\"(\"")
        var labels: [String] = []
        while cur.kind != .rightParen {
            switch cur.kind {
            case .identifier, .keyword:
                let t = advance()
                labels.append(t.text)
            case .string where compat.quotedNames:
                // `by ("service.name")`, `on ("a.b")` (3.x).
                let t = advance()
                let name = try unquote(t)
                if name.isEmpty { throw error(t.start, "invalid label name \"\"") }
                labels.append(name)
            default:
                throw unexpected("grouping opts", expected: "label")
            }
            if cur.kind == .comma { _ = advance(); continue }
            if cur.kind != .rightParen { throw unexpected("grouping opts", expected: "\",\" or \")\"") }
        }
        _ = advance()
        return labels
    }

    mutating func parseArgs(labelSelectorArg: Int? = nil) throws -> [(Expr, Int)] {
        _ = try expect(.leftParen, "function call", "\"(\"")
        var args: [(Expr, Int)] = []
        while cur.kind != .rightParen {
            bypassEmptyMatcherCheck = args.count == labelSelectorArg
            defer { bypassEmptyMatcherCheck = false }
            args.append(try parseExpr(0))
            if cur.kind == .comma {
                let comma = advance()
                if cur.kind == .rightParen { throw error(comma.start, "trailing commas not allowed in function call args") }
                continue
            }
            if cur.kind != .rightParen { throw unexpected("function call", expected: "\",\" or \")\"") }
        }
        _ = advance()
        return args
    }

    mutating func parseCall(_ nameTok: Token) throws -> Expr {
        guard let fn = FunctionSignature.table(for: compat)[nameTok.text] else {
            throw error(nameTok.start, "unknown function with name \(goQuote(nameTok.text))")
        }
        if fn.experimental && !features.contains(.experimentalFunctions) {
            throw error(nameTok.start, "function \(goQuote(nameTok.text)) is not enabled")
        }
        let argsWithPos = try parseArgs(labelSelectorArg: fn.name == "info" ? 1 : nil)
        let args = argsWithPos.map(\.0)
        let nargs = fn.argTypes.count
        if fn.variadic == 0 {
            if nargs != args.count {
                throw error(nameTok.start, "expected \(nargs) argument(s) in call to \(goQuote(fn.name)), got \(args.count)")
            }
        } else {
            let na = nargs - 1
            if na > args.count {
                throw error(nameTok.start, "expected at least \(na) argument(s) in call to \(goQuote(fn.name)), got \(args.count)")
            } else if fn.variadic > 0, na + fn.variadic < args.count {
                throw error(nameTok.start, "expected at most \(na + fn.variadic) argument(s) in call to \(goQuote(fn.name)), got \(args.count)")
            }
        }
        for (k, arg) in args.enumerated() {
            var idx = k
            if idx >= nargs {
                if fn.variadic == 0 { break }
                idx = nargs - 1
            }
            try expectType(arg, fn.argTypes[idx], "call to function \(goQuote(fn.name))", argsWithPos[k].1)
        }
        var call = Call(function: fn, args: args, pos: sourcePos(nameTok.start), argPos: argsWithPos.map { sourcePos($0.1) })
        if fn.name == "info" {
            if args.count > 1 {
                // Only label matchers: the data labels to add (Prometheus's checkAST).
                guard case .vectorSelector(let vs) = args[1] else { throw error(argsWithPos[1].1, "expected label selectors only") }
                if !vs.nameFromMatcher { throw error(argsWithPos[1].1, "expected label selectors only, got vector selector instead") }
            }
            call.infoSeriesID = nextSelectorID
            nextSelectorID += 1
        }
        return .call(call)
    }

    func expectType(_ e: Expr, _ want: ValueType, _ context: String, _ pos: Int) throws {
        let t = e.type
        if t != want {
            throw error(pos, "expected type \(want.documented) in \(context), got \(t.documented)")
        }
    }

    mutating func parseAggregate(_ op: AggregateOp, _ opTok: Token) throws -> Expr {
        var grouping: [String] = []
        var without = false
        var sawModifier = false
        if cur.kind == .keyword(.by) || cur.kind == .keyword(.without) {
            without = advance().kind == .keyword(.without)
            grouping = try parseGroupingLabels()
            sawModifier = true
        }
        let argsWithPos = try parseArgs()
        let args = argsWithPos.map(\.0)
        if !sawModifier, cur.kind == .keyword(.by) || cur.kind == .keyword(.without) {
            without = advance().kind == .keyword(.without)
            grouping = try parseGroupingLabels()
        }
        if args.isEmpty { throw error(opTok.start, "no arguments for aggregate expression provided") }
        if (op == .limitk || op == .limitRatio) && !features.contains(.experimentalFunctions) {
            throw error(opTok.start, "\(op.rawValue)() is experimental and must be enabled with --enable-feature=promql-experimental-functions")
        }
        let hasParam = op.hasParam
        let desired = hasParam ? 2 : 1
        if args.count != desired {
            throw error(opTok.start, "wrong number of arguments for aggregate expression provided, expected \(desired), got \(args.count)")
        }
        let expr = args[desired - 1]
        try expectType(expr, .vector, "aggregation expression", argsWithPos[desired - 1].1)
        var param: Expr?
        if hasParam {
            param = args[0]
            try expectType(args[0], op == .countValues ? .string : .scalar, "aggregation parameter", argsWithPos[0].1)
        }
        return .aggregate(AggregateExpr(op: op, expr: expr, param: param, grouping: grouping, without: without,
                                        pos: sourcePos(opTok.start), exprPos: sourcePos(argsWithPos[desired - 1].1),
                                        paramPos: hasParam ? sourcePos(argsWithPos[0].1) : nil))
    }
}

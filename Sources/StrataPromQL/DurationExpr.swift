import StrataCore

/// A duration expression of Prometheus 3.x, in seconds: numbers and durations combined with
/// `+ - * / % ^`, parentheses, `min_of`/`max_of`, and the query's `step()` and `range()`.
/// Constant ones are folded at parse time; the others when the query's step is known.
public indirect enum DurationTerm: Sendable {
    case value(Double)
    case step
    case range
    case neg(DurationTerm)
    case binary(BinaryOp, DurationTerm, DurationTerm)
    case minOf(DurationTerm, DurationTerm)
    case maxOf(DurationTerm, DurationTerm)

    var isConstant: Bool {
        switch self {
        case .value: return true
        case .step, .range: return false
        case .neg(let x): return x.isConstant
        case .binary(_, let a, let b), .minOf(let a, let b), .maxOf(let a, let b): return a.isConstant && b.isConstant
        }
    }

    /// Seconds, given the query's step and range in seconds; throws on division by zero.
    func eval(step: Double, range: Double) throws -> Double {
        switch self {
        case .value(let v): return v
        case .step: return step
        case .range: return range
        case .neg(let x): return -(try x.eval(step: step, range: range))
        case .minOf(let a, let b): return Swift.min(try a.eval(step: step, range: range), try b.eval(step: step, range: range))
        case .maxOf(let a, let b): return Swift.max(try a.eval(step: step, range: range), try b.eval(step: step, range: range))
        case .binary(let op, let a0, let b0):
            let a = try a0.eval(step: step, range: range), b = try b0.eval(step: step, range: range)
            switch op {
            case .add: return a + b
            case .sub: return a - b
            case .mul: return a * b
            case .div:
                if b == 0 { throw QueryError.badQuery("division by zero") }
                return a / b
            case .mod:
                if b == 0 { throw QueryError.badQuery("modulo by zero") }
                return goMod(a, b)
            default: return goPow(a, b)
            }
        }
    }
}

extension Parser {
    mutating func parseDurationExpr(_ minPrec: Int = 0) throws -> Double {
        let t = try parseDurationTerm(minPrec)
        guard t.isConstant else { throw error(cur.start, "step() and range() are not allowed here") }
        do { return try t.eval(step: 0, range: 0) } catch { throw self.error(cur.start, "\(error)") }
    }

    /// A duration expression (step() and range() left unresolved).
    mutating func parseDurationTerm(_ minPrec: Int = 0) throws -> DurationTerm {
        var lhs = try parseDurationUnary()
        while let op = durationOp(cur.kind), op.prec >= minPrec {
            let opTok = advance()
            let rhs = try parseDurationTerm(op.rightAssoc ? op.prec : op.prec + 1)
            lhs = .binary(binaryOp(opTok.kind)!, lhs, rhs)
            if lhs.isConstant {
                do { lhs = .value(try lhs.eval(step: 0, range: 0)) } catch { throw self.error(opTok.start, "\(error)") }
            }
        }
        return lhs
    }

    func durationOp(_ k: TokenKind) -> (prec: Int, rightAssoc: Bool)? {
        switch k {
        case .add, .sub: return (1, false)
        case .mul, .div, .mod: return (2, false)
        case .pow: return (3, true)
        default: return nil
        }
    }

    /// `offsetOperand`: after `offset` a sign applies to the literal, parenthesised expression
    /// or min_of/max_of that follows only (`x offset -2 ^ 2` is `(x offset -2) ^ 2`).
    mutating func parseDurationUnary(offsetOperand: Bool = false) throws -> DurationTerm {
        if cur.kind == .sub || cur.kind == .add {
            let neg = advance().kind == .sub
            let v = offsetOperand ? try parseDurationUnary(offsetOperand: true) : try parseDurationTerm(3)
            if case .value(let x) = v { return .value(neg ? -x : x) }
            return neg ? .neg(v) : v
        }
        let t = cur
        switch t.kind {
        case .number:
            _ = advance()
            return .value(try numberValue(t))
        case .duration:
            _ = advance()
            return .value(Double(try parseDurationToken(t)) / 1000)
        case .leftParen:
            _ = advance()
            let v = try parseDurationTerm()
            _ = try expect(.rightParen, "duration expression", "\")\"")
            return v
        case .identifier where t.text.lowercased() == "min_of" || t.text.lowercased() == "max_of":
            _ = advance()
            _ = try expect(.leftParen, "duration expression", "\"(\"")
            let a = try parseDurationTerm()
            _ = try expect(.comma, "duration expression", "\",\"")
            let b = try parseDurationTerm()
            _ = try expect(.rightParen, "duration expression", "\")\"")
            let m: DurationTerm = t.text.lowercased() == "min_of" ? .minOf(a, b) : .maxOf(a, b)
            return m.isConstant ? .value(try m.eval(step: 0, range: 0)) : m
        case .identifier where t.text.lowercased() == "step" || t.text.lowercased() == "range":
            _ = advance()
            _ = try expect(.leftParen, "duration expression", "\"(\"")
            _ = try expect(.rightParen, "duration expression", "\")\"")
            return t.text.lowercased() == "step" ? .step : .range
        default:
            throw unexpected("duration expression", expected: "duration")
        }
    }

    /// A positive duration in ms, or — when it uses `step()`/`range()` — a placeholder of 1 ms
    /// and the term to resolve once the query is known.
    mutating func positiveDurationOrDeferred() throws -> (Int64, DurationTerm?) {
        let p = cur.start
        let t = try parseDurationTerm()
        if !t.isConstant { return (1, t) }
        let ms = try durationMillis(try t.eval(step: 0, range: 0), p)
        if ms <= 0 { throw error(p, "duration must be greater than 0") }
        return (ms, nil)
    }

    /// A duration token's milliseconds, allowing 0 (the caller checks the sign).
    func parseDurationToken(_ t: Token) throws -> Int64 {
        do { return try parseDuration(t.text) } catch { throw self.error(t.start, "\(error)") }
    }

    /// Seconds to whole milliseconds, truncated like Go's `time.Duration` conversion; rounded
    /// to the microsecond first so a literal such as `1001ms` (1.001 s) stays 1001 ms.
    func durationMillis(_ seconds: Double, _ pos: Int) throws -> Int64 {
        let us = (seconds * 1_000_000).rounded()
        guard us.isFinite, abs(us) < 9.2e18 else { throw error(pos, "duration out of range: \(formatGoFloat(seconds))s") }
        return Int64(us) / 1000
    }
}

/// A 3.x duration expression as written, in the shape of Prometheus's DurationExpr and
/// NumberLiteral nodes (no folding; parentheses kept as `wrapped`), for the printer and
/// `/api/v1/parse_query`. The parser keeps one only where Prometheus keeps a DurationExpr:
/// a plain (possibly signed or parenthesised) number or duration folds to its value there too.
public indirect enum DurationSyntax: Sendable, Equatable {
    /// Seconds; `duration` when written with a unit (`5m`), printed as one.
    case number(Double, duration: Bool)
    /// `op` as Prometheus names it: `+ - * / % ^`, `step`, `range`, `min_of`, `max_of`;
    /// unary minus has no `lhs`.
    case expr(op: String, lhs: DurationSyntax?, rhs: DurationSyntax?, wrapped: Bool)
}

extension Parser {
    /// The duration expression in tokens `from..<to` (already parsed and checked by
    /// `parseDurationTerm`/`parseDurationUnary`), or nil when Prometheus would hold a plain
    /// number there.
    func durationSyntax(from: Int, to: Int) -> DurationSyntax? {
        var r = DurationSyntaxReader(parser: self, pos: from, end: to)
        guard let s = try? r.expr(0), r.pos == to, case .expr = s else { return nil }
        return s
    }
}

/// Re-reads a duration expression's tokens with Prometheus's grammar (generated_parser.y,
/// 3.14: `duration_expr`, `paren_duration_expr`, `applyUnaryOpToDurationExpr`).
struct DurationSyntaxReader {
    struct Malformed: Error {}

    let parser: Parser
    var pos: Int
    let end: Int

    var cur: Token? { pos < end ? parser.tokens[pos] : nil }

    mutating func next() throws -> Token {
        guard pos < end else { throw Malformed() }
        defer { pos += 1 }
        return parser.tokens[pos]
    }

    mutating func expr(_ minPrec: Int) throws -> DurationSyntax {
        var lhs = try unary()
        while let t = cur, let op = parser.durationOp(t.kind), op.prec >= minPrec, let bop = parser.binaryOp(t.kind) {
            pos += 1
            let rhs = try expr(op.rightAssoc ? op.prec : op.prec + 1)
            lhs = .expr(op: bop.rawValue, lhs: lhs, rhs: rhs, wrapped: false)
        }
        return lhs
    }

    mutating func unary() throws -> DurationSyntax {
        if let t = cur, t.kind == .sub || t.kind == .add {
            pos += 1
            let v = try expr(3)
            guard t.kind == .sub else { return v }
            switch v {
            case .number(let x, let d): return .number(-x, duration: d)
            case .expr: return .expr(op: "-", lhs: nil, rhs: v, wrapped: false)
            }
        }
        let t = try next()
        switch t.kind {
        case .number:
            return .number(try parser.numberValue(t), duration: false)
        case .duration:
            return .number(Double(try parser.parseDurationToken(t)) / 1000, duration: true)
        case .leftParen:
            let v = try expr(0)
            _ = try next()
            if case .expr(let op, let l, let r, _) = v { return .expr(op: op, lhs: l, rhs: r, wrapped: true) }
            return v
        case .identifier:
            let name = t.text.lowercased()
            _ = try next()  // (
            if name == "step" || name == "range" {
                _ = try next()  // )
                return .expr(op: name, lhs: nil, rhs: nil, wrapped: false)
            }
            let a = try expr(0)
            _ = try next()  // ,
            let b = try expr(0)
            _ = try next()  // )
            return .expr(op: name, lhs: a, rhs: b, wrapped: false)
        default:
            throw Malformed()
        }
    }
}

import StrataCore

/// Prometheus 3.x duration expressions in ranges, subquery steps, `offset` and `@`: numbers
/// (seconds) and durations combined with `+ - * / % ^`, parentheses and `min_of`/`max_of`,
/// folded to a constant at parse time. `step()` and `range()`, which depend on the query,
/// are not supported yet and fail to parse with that message.
extension Parser {
    /// A duration expression's value in seconds.
    mutating func parseDurationExpr(_ minPrec: Int = 0) throws -> Double {
        var lhs = try parseDurationUnary()
        while let op = durationOp(cur.kind), op.prec >= minPrec {
            let opTok = advance()
            let rhs = try parseDurationExpr(op.rightAssoc ? op.prec : op.prec + 1)
            switch opTok.kind {
            case .add: lhs += rhs
            case .sub: lhs -= rhs
            case .mul: lhs *= rhs
            case .div:
                if rhs == 0 { throw error(opTok.start, "division by zero") }
                lhs /= rhs
            case .mod:
                if rhs == 0 { throw error(opTok.start, "modulo by zero") }
                lhs = goMod(lhs, rhs)
            default: lhs = goPow(lhs, rhs)
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

    mutating func parseDurationUnary() throws -> Double {
        if cur.kind == .sub || cur.kind == .add {
            let neg = advance().kind == .sub
            let v = try parseDurationExpr(3)
            return neg ? -v : v
        }
        let t = cur
        switch t.kind {
        case .number:
            _ = advance()
            return try numberValue(t)
        case .duration:
            _ = advance()
            return Double(try parseDurationToken(t)) / 1000
        case .leftParen:
            _ = advance()
            let v = try parseDurationExpr()
            _ = try expect(.rightParen, "duration expression", "\")\"")
            return v
        case .identifier where t.text == "min_of" || t.text == "max_of":
            _ = advance()
            _ = try expect(.leftParen, "duration expression", "\"(\"")
            let a = try parseDurationExpr()
            _ = try expect(.comma, "duration expression", "\",\"")
            let b = try parseDurationExpr()
            _ = try expect(.rightParen, "duration expression", "\")\"")
            return t.text == "min_of" ? Swift.min(a, b) : Swift.max(a, b)
        case .identifier where t.text == "step" || t.text == "range":
            throw error(t.start, "\(t.text)() in duration expressions is not supported yet")
        default:
            throw unexpected("duration expression", expected: "duration")
        }
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

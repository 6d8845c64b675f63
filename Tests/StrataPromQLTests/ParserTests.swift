import Testing
import StrataCore
@testable import StrataPromQL

@Suite struct ParserTests {
    func value(_ q: String) throws -> Double? {
        if case .number(let v) = try PromQL.parse(q) { return v }
        return nil
    }

    @Test func numberLiterals() throws {
        #expect(try value("0x1F") == 31)
        #expect(try value("1e3") == 1000)
        #expect(try value(".5") == 0.5)
        #expect(try value("Inf") == .infinity)
        #expect(try value("-inf") == -.infinity)
        #expect(try value("NaN")?.isNaN == true)
        #expect(try value("-1") == -1)
    }

    @Test func stringLiterals() throws {
        guard case .string(let a) = try PromQL.parse(#""a\tb\"c\u00e9\x41""#) else { Issue.record("not a string"); return }
        #expect(a == "a\tb\"cé\u{41}")
        guard case .string(let b) = try PromQL.parse("`raw\\n`") else { Issue.record("not a string"); return }
        #expect(b == "raw\\n")
        guard case .string(let c) = try PromQL.parse("'single \\' quote'") else { Issue.record("not a string"); return }
        #expect(c == "single ' quote")
    }

    @Test func precedenceAndAssociativity() throws {
        // 2 ^ 3 ^ 2 = 2 ^ 9 (right-associative); unary minus binds weaker than ^.
        let e = try PromQL.parse("-2 ^ 3 ^ 2")
        guard case .unary(.minus, .binary(let b)) = e else { Issue.record("got \(e)"); return }
        #expect(b.op == .pow)
        guard case .binary(let rhs) = b.rhs else { Issue.record("rhs not binary"); return }
        #expect(rhs.op == .pow)
        guard case .binary(let top) = try PromQL.parse("a or b and c unless d") else { Issue.record("no binary"); return }
        #expect(top.op == .or)
        guard case .binary(let sub) = try PromQL.parse("a - b - c") else { Issue.record("no binary"); return }
        guard case .binary(let inner) = sub.lhs else { Issue.record("left-assoc expected"); return }
        #expect(inner.op == .sub)
    }

    @Test func selectorsAndModifiers() throws {
        guard case .matrixSelector(let vs, let r) = try PromQL.parse(#"http{job=~"a.*", x!=""}[5m] offset -1h @ 100.5"#) else {
            Issue.record("not a matrix selector"); return
        }
        #expect(r == 300_000)
        #expect(vs.offset == -3_600_000)
        #expect(vs.at == .timestamp(100_500))
        #expect(vs.matchers.count == 3)
        guard case .subquery(let sq) = try PromQL.parse("rate(x[5m])[1h:1m] @ end()") else { Issue.record("not a subquery"); return }
        #expect(sq.range == 3_600_000 && sq.step == 60_000 && sq.at == .end)
        guard case .subquery(let sq2) = try PromQL.parse("x[1h:]") else { Issue.record("not a subquery"); return }
        #expect(sq2.step == 0)
    }

    @Test func aggregationsAndMatching() throws {
        guard case .aggregate(let a) = try PromQL.parse("sum without (a, b) (x)") else { Issue.record("no agg"); return }
        #expect(a.without && a.grouping == ["a", "b"])
        guard case .aggregate(let b) = try PromQL.parse("topk(3, x) by (job)") else { Issue.record("no agg"); return }
        #expect(b.op == .topk && b.grouping == ["job"] && !b.without)
        guard case .aggregate(let c) = try PromQL.parse(#"count_values("v", x)"#) else { Issue.record("no agg"); return }
        #expect(c.op == .countValues)
        guard case .binary(let m) = try PromQL.parse("a * on(x) group_left(y) b") else { Issue.record("no binary"); return }
        #expect(m.matching?.card == .manyToOne && m.matching?.on == true && m.matching?.include == ["y"])
        guard case .binary(let bo) = try PromQL.parse("a > bool 1") else { Issue.record("no binary"); return }
        #expect(bo.returnBool)
        // Keywords are valid metric names where a selector is expected.
        guard case .vectorSelector(let vs) = try PromQL.parse("sum") else { Issue.record("no selector"); return }
        #expect(vs.name == "sum")
    }

    @Test func everyFunctionIsKnown() throws {
        #expect(FunctionSignature.all.count == 70)
        _ = try PromQL.parse(#"label_join(x, "d", ",", "a", "b", "c")"#)
        _ = try PromQL.parse("round(x)")
        _ = try PromQL.parse("round(x, 5)")
        _ = try PromQL.parse("hour()")
    }

    /// Error texts of 2.42 mode (what Prometheus 2.42 prints).
    func parseError(_ q: String) -> String {
        do {
            _ = try PromQL.parse(q, compat: .v2_42)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test func errorsCarryPositions() {
        #expect(parseError("foo +") == "1:6: parse error: unexpected end of input")
        #expect(parseError("rate(x)") == "1:6: parse error: expected type range vector in call to function \"rate\", got instant vector")
        #expect(parseError("nope(x)") == "1:1: parse error: unknown function with name \"nope\"")
        #expect(parseError("1 > 2") == "1:3: parse error: comparisons between scalars must use BOOL modifier")
        #expect(parseError("x and 1").contains("set operator \"and\" not allowed in binary scalar expression"))
        #expect(parseError("{}").contains("vector selector must contain at least one non-empty matcher"))
        #expect(parseError("sum(x)[5m]").contains("ranges only allowed for vector selectors"))
        #expect(parseError("x offset 1m offset 2m").contains("offset may not be set multiple times"))
        #expect(parseError("x @ 1 @ 2").contains("@ <timestamp> may not be set multiple times"))
        #expect(parseError("clamp(x, 1)").contains("expected 3 argument(s)"))
        #expect(parseError("topk(x)").contains("wrong number of arguments"))
        #expect(parseError("x[5]").contains("missing unit character in duration"))
        #expect(parseError("{{schema:1}}").contains("not supported yet"))
        #expect(parseError("a + on(b) group_left(b) c").contains("must not occur in ON and GROUP clause at once"))
        #expect(parseError("foo\n  + ") == "2:5: parse error: unexpected end of input")
    }

    /// 3.x accepts numbers (seconds) where durations go and folds duration expressions.
    @Test func durationExpressionsIn314Mode() throws {
        guard case .matrixSelector(_, let r) = try PromQL.parse("x[5]") else { Issue.record("not a range"); return }
        #expect(r == 5000)
        guard case .matrixSelector(let vs, let r2) = try PromQL.parse("x[5m + 2 * 30s] offset (1m - 30s)") else {
            Issue.record("not a range")
            return
        }
        #expect(r2 == 360_000 && vs.offset == 30_000)
        guard case .subquery(let sq) = try PromQL.parse("x[min_of(1h, 90m):10]") else { Issue.record("not a subquery"); return }
        #expect(sq.range == 3_600_000 && sq.step == 10_000)
        guard case .number(let n) = try PromQL.parse("1h") else { Issue.record("not a number"); return }
        #expect(n == 3600)
        #expect(throws: ParseError.self) { _ = try PromQL.parse("x[5m - 5m]") }
        // step() and range() are resolved when the query runs.
        guard case .subquery(let deferred) = try PromQL.parse("x[5m:step()]") else { Issue.record("not a subquery"); return }
        #expect(deferred.deferredStep != nil)
    }

    @Test func stepInDurationResolvesPerQuery() async throws {
        var s = MemoryQueryable()
        for i in 0..<10 { s.append(Labels(["__name__": "m"]), Int64(i) * 30_000, 1) }
        let e = Engine(options: EngineOptions(features: .experimentalFunctions))
        guard case .matrix(let m) = try await e.rangeQuery(s, "count_over_time(m[step()])", start: 60_000, end: 120_000, step: 60_000)
        else { Issue.record("not a matrix"); return }
        #expect(m.first?.points.map(\.v) == [2, 2])
        await #expect(throws: QueryError.self) { _ = try await e.instantQuery(s, "count_over_time(m[step()])", time: 60_000) }
    }
}

/// Error texts checked against Prometheus 2.42 (the Debian package) by differential runs.
@Suite struct ParserErrorTextTests {
    func err(_ q: String) -> String {
        do {
            _ = try PromQL.parse(q, compat: .v2_42)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test func matchesPrometheus() {
        #expect(err("x)") == "1:3: parse error: unexpected right parenthesis ')'")
        #expect(err("foo 1234567890123") == "1:5: parse error: unexpected number \"1234567890\"...")
        #expect(err("sum without(a) (x) by (b)") == "1:20: parse error: unexpected <by>")
        #expect(err("x{a=~\"(\"}") == "1:3: parse error: error parsing regexp: missing closing ): `^(?:()$`")
        #expect(err("count_values(1, x)") == "1:14: parse error: expected type string in aggregation parameter, got scalar")
        #expect(err("1 == bool 2 == 3") == "1:13: parse error: comparisons between scalars must use BOOL modifier")
        #expect(err("(x or on(job) group_left y)") == "1:2: parse error: no grouping allowed for \"or\" operation")
        #expect(err("x @ start() offset 1m @ end()") == "1:1: parse error: @ <timestamp> may not be set multiple times")
        #expect(err("1[1m:]") == "1:1: parse error: subquery is only allowed on instant vector, got scalar instead")
        #expect(err("") == "1:1: parse error: no expression found in input")
    }
}

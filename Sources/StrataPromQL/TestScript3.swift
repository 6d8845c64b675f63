import StrataCore

/// Prometheus 3.x's PromQL test scripts (promql/promqltest/testdata of 3.14; the language is
/// in shared/promql-tests-3.14/LANGUAGE.md): `load[_with_nhcb]` with `@st` start-timestamp
/// lines, `clear`, `eval instant at …` and `eval range from … to … step …` with `expect
/// fail|warn|info|no_warn|no_info|ordered|range vector|string` lines, and the deprecated
/// `eval_fail|_warn|_info|_ordered` forms. Parsing is here; running is in TestScript3Run.
public struct TestScript3: Sendable {
    public enum Command: Sendable {
        case load(Load)
        case clear
        case eval(Eval)
    }

    public struct Load: Sendable {
        public var interval: Int64
        /// `load_with_nhcb`: classic histogram series are also loaded as native histograms
        /// with custom buckets.
        public var withNHCB: Bool
        public var series: [(Labels, [SeriesLine3.Value])]
        /// Series given start timestamps by an `@st` line.
        public var startTimestamped: [Labels]
        public var line: Int
    }

    /// One `expect` line (or what a deprecated `eval_*` form implies).
    public struct Expectation: Sendable {
        public enum Kind: String, Sendable { case ordered, fail, warn, noWarn = "no_warn", info, noInfo = "no_info" }
        public enum Text: Sendable {
            case any
            case exact(String)
            case regex(RE2Regex)
        }
        public var kind: Kind
        public var text: Text

        func matches(_ s: String) -> Bool {
            switch text {
            case .any: return true
            case .exact(let m): return m == s
            case .regex(let r): return r.partialMatch(s)
            }
        }

        var describe: String {
            switch text {
            case .any: return "pattern \"^.*$\""
            case .exact(let m): return "message \(goQuote(m))"
            case .regex(let r): return "pattern \(goQuote(r.pattern))"
            }
        }
    }

    public struct Eval: Sendable {
        public var expr: String
        public var line: Int
        public var isRange: Bool
        /// Instant queries: start = end = the evaluation time; step 0 (except with
        /// `expect range vector`, which sets the expected points' start, end and step).
        public var start: Int64
        public var end: Int64
        public var step: Int64
        public var evalTime: Int64
        public var expectations: [Expectation] = []
        public var expectedString: String?
        /// Instant queries whose result is not an instant vector are not rerun as range queries.
        public var excludeFromRange = false
        /// Expected series: position (1-based), values from `start` every `step`.
        public var expected: [Labels: (pos: Int, values: [SeriesLine3.Value])] = [:]
        /// Set when the expectation is a bare number (a scalar result).
        public var scalar: SeriesLine3.Value?

        func expecting(_ k: Expectation.Kind) -> [Expectation] { expectations.filter { $0.kind == k } }
        var isFail: Bool { expectations.contains { $0.kind == .fail } }
        var isOrdered: Bool { expectations.contains { $0.kind == .ordered } }
    }

    public typealias SyntaxError = TestScript.SyntaxError

    public var commands: [Command] = []

    public init(parsing text: String) throws {
        let lines = TestScript.scriptLines(text)
        var i = 0
        while i < lines.count {
            let l = lines[i]
            if l.isEmpty {
                i += 1
                continue
            }
            let word = l.split(whereSeparator: { $0 == " " || $0 == "\t" }).first.map { $0.lowercased() } ?? ""
            if word == "clear" {
                commands.append(.clear)
                i += 1
            } else if word.hasPrefix("load") {
                let (load, next) = try Self.parseLoad(lines, i)
                commands.append(.load(load))
                i = next
            } else if word.hasPrefix("eval") {
                let (ev, next) = try Self.parseEval(lines, i)
                commands.append(.eval(ev))
                i = next
            } else {
                throw SyntaxError(line: i + 1, message: "invalid command \(goQuote(l))")
            }
        }
    }

    static func words(_ s: String, max: Int = Int.max) -> [String] {
        s.split(maxSplits: max, whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
    }

    static func parseLoad(_ lines: [String], _ i0: Int) throws -> (Load, Int) {
        let w = words(lines[i0], max: 1)
        guard w.count == 2, w[0] == "load" || w[0] == "load_with_nhcb" else {
            throw SyntaxError(line: i0 + 1, message: "invalid load command. (load[_with_nhcb] <step:duration>)")
        }
        guard let interval = try? parseDuration(w[1].trimmingSpaces()) else {
            throw SyntaxError(line: i0 + 1, message: "invalid step definition \(goQuote(w[1]))")
        }
        var load = Load(interval: interval, withNHCB: w[0] == "load_with_nhcb", series: [], startTimestamped: [], line: i0 + 1)
        var i = i0 + 1
        var pendingST: (Labels, Int)?
        while i < lines.count, !lines[i].isEmpty {
            let l = lines[i]
            let head = words(l, max: 1).first ?? ""
            do {
                if head.hasSuffix("@st") {
                    if pendingST != nil { throw SyntaxError(line: i + 1, message: "@st line has no following sample line") }
                    let (labels, _) = try SeriesLine3.parse(String(head.dropLast(3)) + " _")
                    pendingST = (labels, i)
                } else {
                    let (labels, values) = try SeriesLine3.parse(l)
                    if let (st, line) = pendingST {
                        if st != labels {
                            throw SyntaxError(line: line + 1, message: "@st metric does not match the following sample line metric")
                        }
                        load.startTimestamped.append(labels)
                        pendingST = nil
                    }
                    load.series.append((labels, values))
                }
            } catch let e as SyntaxError {
                throw e
            } catch {
                throw SyntaxError(line: i + 1, message: "\(error)")
            }
            i += 1
        }
        if let (_, line) = pendingST { throw SyntaxError(line: line + 1, message: "@st line has no following sample line") }
        return (load, i)
    }

    static func parseEval(_ lines: [String], _ i0: Int) throws -> (Eval, Int) {
        let bad = SyntaxError(line: i0 + 1, message: "invalid evaluation command. Must be either 'eval[_fail|_warn|_ordered] instant [at <offset:duration>] <query>' or 'eval[_fail|_warn] range from <from> to <to> step <step> <query>'")
        var w = words(lines[i0], max: 1)
        guard w.count == 2 else { throw bad }
        let mod = w[0]
        var ev: Eval
        w = words(w[1], max: 1)
        guard w.count == 2 else { throw bad }
        func duration(_ s: String, _ what: String) throws -> Int64 {
            do { return try parseDuration(s) } catch {
                throw SyntaxError(line: i0 + 1, message: "invalid \(what) definition \(goQuote(s)): \(error)")
            }
        }
        if w[0] == "instant" {
            guard ["eval", "eval_fail", "eval_warn", "eval_info", "eval_ordered"].contains(mod) else { throw bad }
            var rest = w[1]
            var t: Int64 = 0
            let aw = words(rest, max: 2)
            if aw.count == 3, aw[0] == "at" {
                t = try duration(aw[1], "timestamp")
                rest = aw[2]
            }
            ev = Eval(expr: rest, line: i0 + 1, isRange: false, start: t, end: t, step: 0, evalTime: t)
        } else if w[0] == "range" {
            guard ["eval", "eval_fail", "eval_warn", "eval_info"].contains(mod) else { throw bad }
            let rw = words(w[1], max: 6)
            guard rw.count == 7, rw[0] == "from", rw[2] == "to", rw[4] == "step" else { throw bad }
            let from = try duration(rw[1], "start timestamp"), to = try duration(rw[3], "end timestamp")
            let step = try duration(rw[5], "step")
            if to < from {
                throw SyntaxError(line: i0 + 1, message: "invalid test definition, end timestamp (\(rw[3])) is before start timestamp (\(rw[1]))")
            }
            ev = Eval(expr: rw[6], line: i0 + 1, isRange: true, start: from, end: to, step: step, evalTime: to)
        } else {
            throw bad
        }
        // The query is parsed when the eval runs: one the engine cannot parse yet fails that
        // eval (category `parse`), not the whole script.
        switch mod {
        case "eval_fail": ev.expectations.append(Expectation(kind: .fail, text: .any))
        case "eval_warn": ev.expectations.append(Expectation(kind: .warn, text: .any))
        case "eval_info": ev.expectations.append(Expectation(kind: .info, text: .any))
        case "eval_ordered": ev.expectations.append(Expectation(kind: .ordered, text: .any))
        default: break
        }
        var rangeVector = false
        var pos = 1
        var i = i0
        while i + 1 < lines.count {
            i += 1
            let def = lines[i]
            if def.isEmpty {
                i -= 1
                break
            }
            let fail = { (m: String) in SyntaxError(line: i + 1, message: "error in eval \(ev.expr) (line \(i0 + 1)): \(m)") }
            if ev.isFail, def.hasPrefix("expected_fail_message") {
                ev.expectations.removeAll { $0.kind == .fail }
                ev.expectations.append(Expectation(kind: .fail, text: .exact(String(def.dropFirst(21)).trimmingSpaces())))
                break
            }
            if ev.isFail, def.hasPrefix("expected_fail_regexp") {
                let p = String(def.dropFirst(20)).trimmingSpaces()
                guard let re = try? RE2Regex(p) else { throw fail("invalid regexp '\(p)' for expected_fail_regexp") }
                ev.expectations.removeAll { $0.kind == .fail }
                ev.expectations.append(Expectation(kind: .fail, text: .regex(re)))
                break
            }
            if def.hasPrefix("expect range vector") {
                let rw = words(String(def.dropFirst(19)))
                guard rw.count == 6, rw[0] == "from", rw[2] == "to", rw[4] == "step" else {
                    throw fail("invalid range vector definition \(goQuote(def))")
                }
                ev.start = try duration(rw[1], "start timestamp")
                ev.end = try duration(rw[3], "end timestamp")
                ev.step = try duration(rw[5], "step")
                ev.evalTime = ev.end
                ev.excludeFromRange = true
                rangeVector = true
                continue
            }
            if def.hasPrefix("expect string") {
                let s = String(def.dropFirst(13)).trimmingSpaces()
                guard !s.isEmpty else { throw fail("expected string literal not valid - a quoted string literal is required") }
                guard let v = try? unquoteGo(s) else {
                    throw fail("expected string literal not valid - check that the string is correctly quoted")
                }
                ev.expectedString = v
                ev.excludeFromRange = true
                continue
            }
            if def.split(separator: " ", omittingEmptySubsequences: false).first == "expect" {
                ev.expectations.append(try parseExpect(def, fail))
                try validate(ev, fail)
                continue
            }
            if let f = parseGoNumber(def) {
                ev.scalar = .float(f)
                break
            }
            let labels: Labels, values: [SeriesLine3.Value]
            do { (labels, values) = try SeriesLine3.parse(def) } catch {
                throw SyntaxError(line: i + 1, message: "\(error)")
            }
            if values.count > 1 && !ev.isRange && !rangeVector {
                throw fail("expecting multiple values in instant evaluation not allowed. consider using 'expect range vector' directive to enable a range vector result for an instant query")
            }
            ev.expected[labels] = (pos, values)
            pos += 1
        }
        return (ev, i + 1)
    }

    /// `expect <type> [msg|regex: <text>]`.
    static func parseExpect(_ def: String, _ fail: (String) -> SyntaxError) throws -> Expectation {
        let w = words(def, max: 2)
        guard w.count >= 2, let kind = Expectation.Kind(rawValue: w[1]) else {
            throw fail("invalid expect statement, must match `expect <type> <match_type>: <string>` format")
        }
        guard w.count == 3 else { return Expectation(kind: kind, text: .any) }
        let rest = w[2]
        if rest.hasPrefix("msg:") {
            return Expectation(kind: kind, text: .exact(String(rest.dropFirst(4)).trimmingSpaces()))
        }
        if rest.hasPrefix("regex:") {
            let p = String(rest.dropFirst(6)).trimmingSpaces()
            guard let re = try? RE2Regex(p) else { throw fail("invalid regex \(p) for \(w[1])") }
            return Expectation(kind: kind, text: .regex(re))
        }
        throw fail("invalid expect statement, must match `expect <type> <match_type>: <string>` format")
    }

    static func validate(_ ev: Eval, _ fail: (String) -> SyntaxError) throws {
        let kinds = ev.expectations.map(\.kind)
        if kinds.contains(.info) && kinds.contains(.noInfo) {
            throw fail("invalid expect lines, info and no_info cannot be used together")
        }
        if kinds.contains(.warn) && kinds.contains(.noWarn) {
            throw fail("invalid expect lines, warn and no_warn cannot be used together")
        }
        if kinds.filter({ $0 == .fail }).count > 1 {
            throw fail("invalid expect lines, multiple expect fail lines are not allowed")
        }
    }
}

import StrataCore

/// Runs Prometheus's PromQL test scripts (promql/testdata/*.test of Prometheus 2.42) the way
/// its promql/test.go does: `load`, `clear`, `eval[_fail|_ordered] instant at <t> <expr>`.
/// Each eval runs as an instant query, again with every selector pinned by `@` at several
/// evaluation times (unless the query uses time-dependent functions), and as a range query
/// around the time, all compared with the expectations. This is the 2.42 language with 2.42
/// semantics; `TestScript3` runs the scripts of Prometheus 3.x.
public struct TestScript: Sendable {
    public enum Command: Sendable {
        case load(interval: Int64, series: [(Labels, [Double?])], line: Int)
        case clear
        case eval(Eval)
    }

    public struct Eval: Sendable {
        public var expr: String
        public var time: Int64
        public var line: Int
        public var fail: Bool
        public var ordered: Bool
        /// Expected scalar, or expected samples keyed by labels with their 1-based position.
        public var scalar: Double?
        public var expected: [Labels: (pos: Int, value: Double)]
    }

    public struct Failure: Sendable, CustomStringConvertible {
        public var line: Int
        public var message: String
        public var description: String { "line \(line): \(message)" }
    }

    public struct Outcome: Sendable {
        public var passed = 0
        public var failures: [Failure] = []
        public var failed: Int { failures.count }
    }

    public struct SyntaxError: Error, CustomStringConvertible, Sendable {
        public let line: Int
        public let message: String
        public var description: String { "line \(line): \(message)" }
    }

    public var commands: [Command]

    /// The script's lines, trimmed, comments blanked (line numbers stay as in the file);
    /// shared by the 2.42 and 3.x script parsers.
    static func scriptLines(_ text: String) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { raw -> String in
            let t = raw.trimmingSpaces()
            return t.hasPrefix("#") ? "" : t
        }
    }

    public init(parsing text: String) throws {
        commands = []
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
            } else if word == "load" {
                let arg = l.dropFirst(4).trimmingSpaces()
                guard let interval = try? parseDuration(arg) else {
                    throw SyntaxError(line: i + 1, message: "invalid step definition \(goQuote(arg))")
                }
                var series: [(Labels, [Double?])] = []
                let start = i
                i += 1
                while i < lines.count, !lines[i].isEmpty {
                    do { series.append(try SeriesDescription.parse(lines[i])) } catch {
                        throw SyntaxError(line: i + 1, message: "\(error)")
                    }
                    i += 1
                }
                commands.append(.load(interval: interval, series: series, line: start + 1))
            } else if word.hasPrefix("eval") {
                let (cmd, next) = try TestScript.parseEval(lines, i)
                commands.append(.eval(cmd))
                i = next
            } else {
                throw SyntaxError(line: i + 1, message: "invalid command \(goQuote(l))")
            }
        }
    }

    static func parseEval(_ lines: [String], _ i0: Int) throws -> (Eval, Int) {
        var i = i0
        let l = lines[i]
        // eval(?:_(fail|ordered))?\s+instant\s+(?:at\s+(.+?))?\s+(.+)
        var words = l.split(maxSplits: 1, whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        let mod = words[0]
        guard mod == "eval" || mod == "eval_fail" || mod == "eval_ordered", words.count == 2 else {
            throw SyntaxError(line: i + 1, message: "invalid evaluation command")
        }
        words = words[1].split(maxSplits: 1, whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard words.count == 2, words[0] == "instant" else { throw SyntaxError(line: i + 1, message: "invalid evaluation command") }
        var rest = words[1]
        var time: Int64 = 0
        if rest.hasPrefix("at ") || rest.hasPrefix("at\t") {
            let parts = rest.dropFirst(3).trimmingSpaces()
                .split(maxSplits: 1, whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
            guard parts.count == 2, let t = try? parseDuration(parts[0]) else {
                throw SyntaxError(line: i + 1, message: "invalid evaluation time")
            }
            time = t
            rest = parts[1]
        }
        do { _ = try PromQL.parse(rest, compat: .v2_42) } catch {
            throw SyntaxError(line: i + 1, message: "\(error)")
        }
        var ev = Eval(expr: rest, time: time, line: i + 1, fail: mod == "eval_fail", ordered: mod == "eval_ordered",
                      scalar: nil, expected: [:])
        var j = 1
        while i + 1 < lines.count {
            i += 1
            let def = lines[i]
            if def.isEmpty {
                i -= 1
                break
            }
            if let f = parseTestNumber(def) {
                ev.scalar = f
                break
            }
            let (labels, vals): (Labels, [Double?])
            do { (labels, vals) = try SeriesDescription.parse(def) } catch {
                throw SyntaxError(line: i + 1, message: "\(error)")
            }
            if vals.count > 1 {
                throw SyntaxError(line: i + 1, message: "expecting multiple values in instant evaluation not allowed")
            }
            ev.expected[labels] = (j, vals.first.flatMap { $0 } ?? .nan)
            j += 1
        }
        return (ev, i + 1)
    }

    /// test.go's parseNumber: ParseInt with base prefix, then ParseFloat.
    static func parseTestNumber(_ s: String) -> Double? {
        parseGoNumber(s)
    }

    /// Runs all commands against a fresh in-memory store.
    public func run(engine: Engine = TestScript.defaultEngine) async -> Outcome {
        var storage = MemoryQueryable()
        var outcome = Outcome()
        for cmd in commands {
            switch cmd {
            case .clear:
                storage.clear()
            case .load(let interval, let series, _):
                for (labels, values) in series {
                    var t: Int64 = 0
                    for v in values {
                        if let v { storage.append(labels, t, v) }
                        t += interval
                    }
                }
            case .eval(let ev):
                if let err = await TestScript.check(ev, storage, engine) {
                    outcome.failures.append(Failure(line: ev.line, message: err))
                } else {
                    outcome.passed += 1
                }
            }
        }
        return outcome
    }

    /// The engine settings of Prometheus 2.42's test harness (1m default subquery step), with
    /// 2.42 semantics: these scripts are that release's.
    public static let defaultEngine = Engine(options: EngineOptions(
        maxSamples: 50_000_000, timeout: .seconds(100), lookbackDelta: 300_000, noStepSubqueryInterval: { _ in 60_000 },
        compat: .v2_42))

    /// Returns nil on success, else what went wrong.
    static func check(_ ev: Eval, _ storage: MemoryQueryable, _ engine: Engine) async -> String? {
        let expr: Expr
        do { expr = try PromQL.parse(ev.expr, compat: engine.options.compat) } catch { return "\(error)" }
        var queries: [(Expr, Int64)] = [(expr, ev.time)]
        if let pinned = AtModifierVariants.pin(expr, at: ev.time) {
            let ts = ev.time
            let times: [Int64] = ts == 0 ? [-1000, 0, 1000] : [-10 * ts, 0, ts / 5, ts, 10 * ts]
            for t in times { queries.append((pinned, t)) }
        }
        for (q, t) in queries {
            let res: QueryResult
            do {
                res = try await engine.instantQuery(storage, q, time: t)
            } catch {
                if ev.fail { continue }
                return "error evaluating query \(goQuote(ev.expr)) at \(t)ms: \(error)"
            }
            if ev.fail { return "expected error evaluating query \(goQuote(ev.expr)) but got none" }
            if let err = compare(ev, res) { return "\(ev.expr) at \(t)ms: \(err)" }

            let rangeRes: QueryResult
            do {
                rangeRes = try await engine.rangeQuery(storage, q, start: t - 60_000, end: t + 60_000, step: 60_000)
            } catch {
                return "error evaluating query \(goQuote(ev.expr)) in range mode: \(error)"
            }
            if ev.ordered { continue }
            guard case .matrix(let mat) = rangeRes else { return "range query did not return a matrix" }
            var vec: [Sample] = []
            for s in mat {
                if let p = s.points.first(where: { $0.t == t }) { vec.append(Sample(labels: s.labels, t: p.t, v: p.v)) }
            }
            let asResult: QueryResult
            if case .scalar = res {
                guard let first = vec.first else { return "\(ev.expr) range mode: no scalar at \(t)ms" }
                asResult = .scalar(t: t, v: first.v)
            } else {
                asResult = .vector(vec)
            }
            if let err = compare(ev, asResult) { return "\(ev.expr) at \(t)ms (range mode): \(err)" }
        }
        return nil
    }

    static func compare(_ ev: Eval, _ res: QueryResult) -> String? {
        switch res {
        case .matrix: return "received range result on instant evaluation"
        case .string: return "unexpected string result"
        case .scalar(_, let v):
            guard let exp = ev.scalar ?? ev.expected.first?.value.value else { return "unexpected scalar result \(v)" }
            if !almostEqual(exp, v) { return "expected scalar \(formatGoFloat(exp)) but got \(formatGoFloat(v))" }
            return nil
        case .vector(let vec):
            var seen = Set<Labels>()
            for (pos, s) in vec.enumerated() {
                guard let exp = ev.expected[s.labels] else { return "unexpected metric \(s.labels) in result" }
                if ev.ordered && exp.pos != pos + 1 {
                    return "expected metric \(s.labels) with \(formatGoFloat(exp.value)) at position \(exp.pos) but was at \(pos + 1)"
                }
                if !almostEqual(exp.value, s.v) {
                    return "expected \(formatGoFloat(exp.value)) for \(s.labels) but got \(formatGoFloat(s.v))"
                }
                seen.insert(s.labels)
            }
            for (labels, exp) in ev.expected where !seen.contains(labels) {
                return "expected metric \(labels) with \(formatGoFloat(exp.value)) not found"
            }
            if ev.scalar != nil { return "expected a scalar but got a vector" }
            return nil
        }
    }

    /// test.go's almostEqual: NaN equals NaN, else relative error below 1e-6.
    public static func almostEqual(_ a: Double, _ b: Double) -> Bool {
        if a.isNaN && b.isNaN { return true }
        if a == b { return true }
        let minNormal = Double(bitPattern: 0x0010_0000_0000_0000)
        let diff = abs(a - b)
        if a == 0 || b == 0 || diff < minNormal { return diff < 0.000001 * minNormal }
        return diff / (abs(a) + abs(b)) < 0.000001
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces, tabs and carriage returns (Go's TrimSpace for
    /// the ASCII whitespace test scripts use).
    func trimmingSpaces() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" || $0 == "\n" }
        guard let first = firstIndex(where: { !isSpace($0) }) else { return "" }
        let last = lastIndex(where: { !isSpace($0) })!
        return String(self[first...last])
    }
}

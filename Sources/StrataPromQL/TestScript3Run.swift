import StrataCore

/// Running a `TestScript3` the way Prometheus 3.14's promqltest does: an instant eval runs at
/// its time, again with every selector pinned by `@` at several times, and as a range query
/// around the time; a range eval runs once. Results, errors and annotations are compared with
/// the expectations. Evals that need what the engine lacks (start timestamps) fail with that
/// reason, so the failure list says what is missing.
extension TestScript3 {
    /// Why an eval failed, coarsely: what a known-failures list records beside each eval.
    public enum FailureCategory: String, Sendable, CaseIterable {
        /// The eval reads series with start timestamps (`@st` lines), which the engine ignores.
        case startTimestamps = "start-timestamps"
        /// The expected warn/info annotations were not returned.
        case annotations
        /// The query does not parse (unknown function, syntax of a newer or experimental feature).
        case parse
        /// The query failed where it should not, or did not fail where it should.
        case error
        /// The query failed with a different message than expected.
        case errorMessage = "error-message"
        /// The result differs from the expected one.
        case result
    }

    public struct Failure: Sendable, CustomStringConvertible {
        public var line: Int
        public var category: FailureCategory
        public var message: String
        public var description: String { "line \(line): [\(category.rawValue)] \(message)" }
    }

    public struct Outcome: Sendable {
        public var passed = 0
        public var failures: [Failure] = []
        public var failed: Int { failures.count }
    }

    /// The settings of Prometheus 3.14's test engine (1m default subquery step) in 3.14
    /// semantics, with every experimental feature on, as its test parser has them.
    public static let defaultEngine = Engine(options: EngineOptions(
        maxSamples: 50_000_000, timeout: .seconds(100), lookbackDelta: 300_000, noStepSubqueryInterval: { _ in 60_000 },
        compat: .v3_14, features: .all))

    /// Storage for one script: the samples, and the series whose samples the engine
    /// cannot hold yet, with why.
    struct Store {
        var samples = MemoryQueryable()
        var unsupported: [Labels: FailureCategory] = [:]
        var hints = HeadHistogramHints()

        mutating func load(_ load: Load) throws {
            for (labels, values) in load.series {
                var t: Int64 = 0
                for v in values {
                    switch v {
                    case .float(let f):
                        samples.append(labels, t, f)
                        hints.float(labels)
                    case .histogram(let h, _): samples.append(labels, t, hints.histogram(labels, h))
                    case .omitted: break
                    }
                    t += load.interval
                }
            }
            if load.withNHCB {
                for (labels, t, h) in try ClassicHistogramConversion.convert(load.series, interval: load.interval) {
                    samples.append(labels, t, hints.histogram(labels, h))
                }
            }
            for labels in load.startTimestamped where unsupported[labels] == nil { unsupported[labels] = .startTimestamps }
        }

        /// What the query reads that the engine cannot serve, if anything.
        func unsupportedCategory(_ e: Expr) -> FailureCategory? {
            if unsupported.isEmpty { return nil }
            var found: FailureCategory?
            TestScript3.forEachSelector(e) { vs in
                for (labels, cat) in unsupported where labels.matches(vs.matchers) { found = cat }
            }
            return found
        }
    }

    static func forEachSelector(_ e: Expr, _ body: (VectorSelector) -> Void) {
        switch e {
        case .vectorSelector(let vs), .matrixSelector(let vs, _): body(vs)
        case .subquery(let sq): forEachSelector(sq.expr, body)
        case .paren(let x), .stepInvariant(let x), .unary(_, let x): forEachSelector(x, body)
        case .binary(let b):
            forEachSelector(b.lhs, body)
            forEachSelector(b.rhs, body)
        case .call(let c): for a in c.args { forEachSelector(a, body) }
        case .aggregate(let a):
            forEachSelector(a.expr, body)
            if let p = a.param { forEachSelector(p, body) }
        case .number, .string: break
        }
    }

    /// Runs all commands against a fresh in-memory store.
    public func run(engine: Engine = TestScript3.defaultEngine) async -> Outcome {
        var store = Store()
        var outcome = Outcome()
        for cmd in commands {
            switch cmd {
            case .clear: store = Store()
            case .load(let load):
                do { try store.load(load) } catch {
                    outcome.failures.append(Failure(line: load.line, category: .error, message: "load: \(error)"))
                }
            case .eval(let ev):
                if var f = await Self.check(ev, store, engine) {
                    // A failure on data the engine cannot hold is reported as that, whatever its symptom.
                    if f.category != .parse, let expr = try? PromQL.parse(ev.expr, compat: engine.options.compat, features: engine.options.features),
                       let cat = store.unsupportedCategory(expr) {
                        f.category = cat
                    }
                    outcome.failures.append(f)
                } else {
                    outcome.passed += 1
                }
            }
        }
        return outcome
    }

    static func check(_ ev: Eval, _ store: Store, _ engine: Engine) async -> Failure? {
        func failure(_ c: FailureCategory, _ m: String) -> Failure { Failure(line: ev.line, category: c, message: m) }
        let expr: Expr
        do { expr = try PromQL.parse(ev.expr, compat: engine.options.compat, features: engine.options.features) } catch {
            return failure(.parse, "\(error)")
        }
        if ev.isRange {
            let out: QueryOutput
            do {
                out = try await engine.query(store.samples, expr, start: ev.start, end: ev.end, step: ev.step)
            } catch {
                return failedQuery(ev, error)
            }
            if ev.isFail { return failure(.error, "expected error evaluating query \(goQuote(ev.expr)) but got none") }
            if let m = checkAnnotations(ev, out.annotations) { return failure(.annotations, m) }
            if let m = compare(ev, out.result) { return failure(.result, "\(ev.expr): \(m)") }
            return nil
        }
        var queries: [(Expr, Int64)] = [(expr, ev.evalTime)]
        if let pinned = AtModifierVariants.pin(expr, at: ev.evalTime) {
            let ts = ev.evalTime
            let times: [Int64] = ts == 0 ? [-1000, 0, 1000] : [-10 * ts, 0, ts / 5, ts, 10 * ts]
            for t in times { queries.append((pinned, t)) }
        }
        let contextDependent = ev.expr.contains("start()") || ev.expr.contains("end()") || ev.expr.contains("range()")
            || ev.expr.contains("step()")
        for (q, t) in queries {
            let res: QueryResult
            do {
                let out = try await engine.query(store.samples, q, start: t, end: t, step: 0)
                res = out.result
                if !ev.isFail, let m = checkAnnotations(ev, out.annotations) { return failure(.annotations, m) }
            } catch {
                if let f = failedQuery(ev, error) { return f }
                continue
            }
            if ev.isFail { return failure(.error, "expected error evaluating query \(goQuote(ev.expr)) at \(t)ms but got none") }
            if let m = compare(ev, res) { return failure(.result, "\(ev.expr) at \(t)ms: \(m)") }
            if ev.excludeFromRange || contextDependent { continue }
            let rangeRes: QueryResult
            do {
                rangeRes = try await engine.rangeQuery(store.samples, q, start: t - 60_000, end: t + 60_000, step: 60_000)
            } catch {
                return failure(.error, "error evaluating query \(goQuote(ev.expr)) in range mode: \(error)")
            }
            if ev.isOrdered { continue }
            guard case .matrix(let mat) = rangeRes else { return failure(.result, "range query did not return a matrix") }
            var vec: [Sample] = []
            for s in mat {
                if let p = s.points.first(where: { $0.t == t }) {
                    vec.append(Sample(labels: s.labels, t: p.t, v: p.v))
                } else if let p = s.histograms.first(where: { $0.t == t }) {
                    vec.append(Sample(labels: s.labels, t: p.t, v: 0, h: p.h))
                }
            }
            let asResult: QueryResult
            if case .scalar = res {
                asResult = .scalar(t: t, v: vec.first?.v ?? .nan)
            } else {
                asResult = .vector(vec)
            }
            if let m = compare(ev, asResult) { return failure(.result, "\(ev.expr) at \(t)ms (range mode): \(m)") }
        }
        return nil
    }

    /// nil when the error was expected (and its message matches), else the failure.
    static func failedQuery(_ ev: Eval, _ error: any Error) -> Failure? {
        guard let exp = ev.expecting(.fail).first else {
            return Failure(line: ev.line, category: .error, message: "error evaluating query \(goQuote(ev.expr)): \(error)")
        }
        let text = "\(error)"
        if exp.matches(text) { return nil }
        return Failure(line: ev.line, category: .errorMessage,
                       message: "expected error matching \(exp.describe) evaluating query \(goQuote(ev.expr)), but got: \(text)")
    }

    /// The query's warnings and infos against the `expect warn/info/no_warn/no_info` lines,
    /// as promqltest's checkAnnotations: with any `warn` line, every warning must match one
    /// and every line must match a warning (infos alike).
    static func checkAnnotations(_ ev: Eval, _ annotations: Annotations) -> String? {
        for (kind, actual) in [(Expectation.Kind.warn, annotations.warnings), (.info, annotations.infos)] {
            let expected = ev.expecting(kind)
            if expected.isEmpty { continue }
            if actual.isEmpty { return "expected \(kind.rawValue) annotations but none were found for query \(goQuote(ev.expr))" }
            for e in expected where !actual.contains(where: e.matches) {
                return "expected \(kind.rawValue) annotation matching \(e.describe) but no matching annotation was found for query \(goQuote(ev.expr)), found: \(actual)"
            }
            for a in actual where !expected.contains(where: { $0.matches(a) }) {
                return "unexpected \(kind.rawValue) annotation \(goQuote(a)) found for query \(goQuote(ev.expr))"
            }
        }
        if !ev.expecting(.noWarn).isEmpty && !annotations.warnings.isEmpty {
            return "unexpected warning annotations evaluating query \(goQuote(ev.expr)): \(annotations.warnings)"
        }
        if !ev.expecting(.noInfo).isEmpty && !annotations.infos.isEmpty {
            return "unexpected info annotations evaluating query \(goQuote(ev.expr)): \(annotations.infos)"
        }
        return nil
    }
}

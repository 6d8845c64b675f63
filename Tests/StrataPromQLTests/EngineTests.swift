import Testing
import StrataCore
@testable import StrataPromQL

@Suite struct EngineTests {
    static func store() -> MemoryQueryable {
        var s = MemoryQueryable()
        for i in 0..<100 {
            let t = Int64(i) * 15_000
            s.append(Labels(["__name__": "up", "job": "a"]), t, Double(i))
            s.append(Labels(["__name__": "up", "job": "b"]), t, Double(2 * i))
        }
        return s
    }

    @Test func instantAndRange() async throws {
        let e = Engine()
        let r = try await e.instantQuery(Self.store(), "sum(up)", time: 60_000)
        guard case .vector(let v) = r else { Issue.record("not a vector"); return }
        #expect(v.count == 1 && v[0].v == 12)
        let rr = try await e.rangeQuery(Self.store(), "up{job=\"b\"} * 2", start: 0, end: 60_000, step: 30_000)
        guard case .matrix(let m) = rr else { Issue.record("not a matrix"); return }
        #expect(m.count == 1)
        #expect(m[0].points.map(\.v) == [0, 8, 16])
        #expect(m[0].labels == Labels(["job": "b"]))
    }

    /// A range function drops the name: series of one name stay apart (the duplicate check is
    /// skipped for them), series of two names with the same other labels collide and fail,
    /// in 2.42 and 3.x alike; 3.x also drops `__type__`, so one name of two types collides.
    @Test func droppedNamesCollideOnlyAcrossNames() async throws {
        var s = MemoryQueryable()
        for i in 0..<20 {
            let t = Int64(i) * 15_000
            for (name, job) in [("a", "x"), ("a", "y"), ("b", "x")] {
                s.append(Labels(["__name__": name, "job": job]), t, Double(i))
            }
        }
        for compat in [PromQLCompat.v2_42, .v3_14] {
            let e = Engine(options: EngineOptions(compat: compat))
            guard case .vector(let v) = try await e.instantQuery(s, "rate(a[2m])", time: 200_000) else {
                Issue.record("not a vector"); continue
            }
            #expect(v.map(\.labels) == [Labels(["job": "x"]), Labels(["job": "y"])], "\(compat)")
            await #expect(throws: QueryError.self, "\(compat)") {
                _ = try await e.instantQuery(s, #"rate({__name__=~"a|b"}[2m])"#, time: 200_000)
            }
        }
        var typed = MemoryQueryable()
        for i in 0..<20 {
            for type in ["counter", "gauge"] {
                typed.append(Labels(["__name__": "c", "__type__": type, "job": "x"]), Int64(i) * 15_000, Double(i))
            }
        }
        await #expect(throws: QueryError.self) {
            _ = try await Engine(options: EngineOptions(compat: .v3_14)).instantQuery(typed, "rate(c[2m])", time: 200_000)
        }
        let v2 = try await Engine(options: EngineOptions(compat: .v2_42)).instantQuery(typed, "rate(c[2m])", time: 200_000)
        guard case .vector(let kept) = v2 else { Issue.record("not a vector"); return }
        #expect(kept.count == 2, "2.42 keeps __type__ apart")
    }

    @Test func lookbackDeltaIsPerQuery() async throws {
        var s = MemoryQueryable()
        s.append(Labels(["__name__": "x"]), 0, 1)
        let e = Engine()
        guard case .vector(let v1) = try await e.instantQuery(s, "x", time: 200_000) else { return }
        #expect(v1.count == 1)
        guard case .vector(let v2) = try await e.instantQuery(s, "x", time: 200_000, lookbackDelta: 100_000) else { return }
        #expect(v2.isEmpty)
    }

    @Test func staleMarkersEndSeries() async throws {
        var s = MemoryQueryable()
        s.append(Labels(["__name__": "x"]), 0, 1)
        s.append(Labels(["__name__": "x"]), 10_000, staleNaN)
        guard case .vector(let v) = try await Engine().instantQuery(s, "x", time: 20_000) else { return }
        #expect(v.isEmpty)
        #expect(isStaleNaN(staleNaN) && !isStaleNaN(.nan))
    }

    @Test func maxSamplesLimit() async throws {
        let e = Engine(options: EngineOptions(maxSamples: 10))
        await #expect(throws: QueryError.self) {
            _ = try await e.rangeQuery(Self.store(), "up", start: 0, end: 1_000_000, step: 15_000)
        }
    }

    /// Native histograms count by size against the limit, as in Prometheus: ten histograms of
    /// 20 buckets (weight 21 each) exceed 200 where ten floats would not.
    @Test func histogramsCountBySizeAgainstTheSampleLimit() async throws {
        var s = MemoryQueryable()
        let h = FloatHistogram(count: 20, sum: 1, positiveSpans: [HistogramSpan(offset: 0, length: 20)],
                               positiveBuckets: Array(repeating: 1, count: 20))
        #expect(h.sampleWeight == 21)
        for i in 0..<10 {
            s.append(Labels(["__name__": "h", "i": "\(i)"]), 0, h)
            s.append(Labels(["__name__": "f", "i": "\(i)"]), 0, 1)
        }
        let e = Engine(options: EngineOptions(maxSamples: 200))
        _ = try await e.instantQuery(s, "f", time: 0)
        await #expect(throws: QueryError.self) { _ = try await e.instantQuery(s, "h", time: 0) }
        _ = try await Engine(options: EngineOptions(maxSamples: 220)).instantQuery(s, "h", time: 0)
    }

    /// `promql-delayed-name-removal` changes only when a name goes: off, `rate` drops it at
    /// once; on, it goes at the end, so `label_replace` can keep it and `by (__name__)` splits.
    @Test func delayedNameRemovalIsAFeature() async throws {
        let off = Engine(options: EngineOptions(compat: .v3_14))
        let on = Engine(options: EngineOptions(compat: .v3_14, features: .delayedNameRemoval))
        let keep = #"label_replace(rate(up[5m]), "__name__", "rate_$1", "__name__", "(.+)")"#
        guard case .vector(let v1) = try await off.instantQuery(Self.store(), keep, time: 600_000),
              case .vector(let v2) = try await on.instantQuery(Self.store(), keep, time: 600_000) else {
            Issue.record("not vectors"); return
        }
        #expect(Set(v1.map(\.labels)) == [Labels(["job": "a"]), Labels(["job": "b"])])
        #expect(Set(v2.map(\.labels)) == [Labels(["__name__": "rate_up", "job": "a"]), Labels(["__name__": "rate_up", "job": "b"])])
        // Two metrics whose rates are alike but for the name: a collision at once, or not at all.
        var s = Self.store()
        s.append(Labels(["__name__": "down", "job": "a"]), 0, 1)
        s.append(Labels(["__name__": "down", "job": "a"]), 15_000, 2)
        let q = "sum by (job) (rate({job=\"a\"}[5m]))"
        await #expect(throws: QueryError.self) { _ = try await off.instantQuery(s, q, time: 60_000) }
        guard case .vector(let v3) = try await on.instantQuery(s, q, time: 60_000) else { Issue.record("not a vector"); return }
        #expect(v3.count == 1 && v3[0].labels == Labels(["job": "a"]))
        // In 2.42 mode the feature does not exist.
        let old = Engine(options: EngineOptions(compat: .v2_42, features: .delayedNameRemoval))
        guard case .vector(let v4) = try await old.instantQuery(Self.store(), keep, time: 600_000) else { Issue.record("not a vector"); return }
        #expect(v4.allSatisfy { $0.labels.metricName.isEmpty })
    }

    @Test func cancellationStopsTheQuery() async throws {
        let e = Engine()
        let task = Task {
            try await e.rangeQuery(Self.store(), "count_over_time(up[1h:1s])", start: 0, end: 100_000_000, step: 1000)
        }
        task.cancel()
        await #expect(throws: (any Error).self) { _ = try await task.value }
    }

    @Test func timeout() async throws {
        let e = Engine(options: EngineOptions(timeout: .zero))
        await #expect(throws: QueryError.self) {
            _ = try await e.rangeQuery(Self.store(), "up", start: 0, end: 1_000_000, step: 1000)
        }
    }

    @Test func rangeQueryRejectsRangeVectors() async throws {
        await #expect(throws: QueryError.self) {
            _ = try await Engine().rangeQuery(Self.store(), "up[5m]", start: 0, end: 10, step: 1)
        }
    }

    @Test func hintsReachTheQueryable() async throws {
        final class Recorder: Queryable, @unchecked Sendable {
            let inner: MemoryQueryable
            nonisolated(unsafe) var hints: [SelectHints] = []
            init(_ inner: MemoryQueryable) { self.inner = inner }
            func select(matchers: [Matcher], hints: SelectHints) async throws -> [StorageSeries] {
                self.hints.append(hints)
                return try await inner.select(matchers: matchers, hints: hints)
            }
        }
        let rec = Recorder(Self.store())
        _ = try await Engine().rangeQuery(rec, "sum by (job) (rate(up[5m] offset 1m))", start: 600_000, end: 900_000, step: 60_000)
        #expect(rec.hints == [SelectHints(start: 600_000 - 300_000 - 60_000, end: 900_000 - 60_000, step: 60_000,
                                          range: 300_000, function: "rate", grouping: [], by: false, decodeLazily: true)])
    }
}

@Suite struct FormattingTests {
    @Test func goFloatFormatting() {
        #expect(formatGoFloat(1) == "1")
        #expect(formatGoFloat(0.1) == "0.1")
        #expect(formatGoFloat(1e21) == "1000000000000000000000")
        #expect(formatGoFloat(1.5e-7) == "0.00000015")
        #expect(formatGoFloat(-2.5) == "-2.5")
        #expect(formatGoFloat(.nan) == "NaN")
        #expect(formatGoFloat(.infinity) == "+Inf")
        #expect(formatGoFloat(-.infinity) == "-Inf")
        #expect(formatGoFloat(123456.789) == "123456.789")
    }

    @Test func apiJSON() {
        let r = QueryResult.vector([Sample(labels: Labels(["a": "b"]), t: 1_500, v: 0.5)])
        #expect(ResultJSON.success(r) ==
            #"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"a":"b"},"value":[1.500,"0.5"]}]}}"#)
        #expect(ResultJSON.data(.scalar(t: 2000, v: .infinity)) == #"{"resultType":"scalar","result":[2,"+Inf"]}"#)
        #expect(ResultJSON.timestamp(-1_005) == "-1.005")
    }

    /// A large answer written in slices on all cores reads exactly as the one-buffer writer
    /// wrote it, for a matrix and a vector, with the annotations last; a small one is one piece.
    @Test func answerPiecesConcatenateToTheAnswer() {
        let series = (0..<300).map { i in
            Series(labels: Labels(["__name__": "m", "pod": "p\(i)"]),
                   points: (0..<(i % 7 == 0 ? 0 : 200 + i)).map { Point(t: Int64($0) * 15_000, v: Double(i) / 3 + Double($0)) },
                   histograms: i % 7 == 0 ? [HPoint(t: 0, h: FloatHistogram(count: 3, sum: 1.5, positiveSpans: [HistogramSpan(offset: 0, length: 1)], positiveBuckets: [3]))] : [])
        }
        let samples = (0..<30_000).map { Sample(labels: Labels(["__name__": "m", "pod": "p\($0)"]), t: 1_500, v: Double($0) / 7) }
        var notes = Annotations()
        notes.warn("a warning", nil)
        notes.info("an info", nil)
        for result in [QueryResult.matrix(series), .vector(samples)] {
            let pieces = ResultJSON.successPieces(QueryOutput(result: result, annotations: notes), extraWarnings: ["partial"])
            #expect(pieces.count > 4)
            let serial = ResultJSON.success(result)
            let expected = serial.dropLast() + #","warnings":["partial","PromQL warning: a warning"],"infos":["PromQL info: an info"]}"#
            #expect(String(decoding: Array(pieces.joined()), as: UTF8.self) == expected)
        }
        let small = ResultJSON.successPieces(QueryOutput(result: .matrix(Array(series.prefix(3))), annotations: Annotations()))
        #expect(small.count == 1 && String(decoding: small[0], as: UTF8.self) == ResultJSON.success(.matrix(Array(series.prefix(3)))))
    }
}

/// Bit-exact agreement with Go's math (values checked against Prometheus 2.42).
@Suite struct GoMathTests {
    @Test func libmMatchesGo() {
        #expect(formatAPIFloat(GoLibm.exp(-745)) == "5e-324")
        #expect(GoLibm.exp(709.5) == .infinity)
        #expect(formatAPIFloat(GoLibm.exp(-720)) == "2.0322308024e-313")
        #expect(GoLibm.log2(8) == 3)
        #expect(GoLibm.log10(1000) == 3)
        #expect(GoLibm.pow(2, 10) == 1024)
        #expect(GoLibm.atan2(0, -1) == Double.pi)
        #expect(GoLibm.sin(0) == 0 && GoLibm.cos(0) == 1)
        #expect(abs(GoLibm.sin(1e10) - (-0.48750602508751067)) < 1e-15)
    }

    @Test func apiFloatFormatting() {
        #expect(formatAPIFloat(1.6923120162635149e-07) == "1.6923120162635149e-07")
        #expect(formatAPIFloat(8.00731350749796e+21) == "8.00731350749796e+21")
        #expect(formatAPIFloat(1e21) == "1e+21")
        #expect(formatAPIFloat(0.000001) == "0.000001")
        #expect(formatAPIFloat(123.5) == "123.5")
        #expect(formatAPIFloat(0) == "0")
    }

    /// The byte writer's fast paths give exactly formatAPIFloat's text, at every magnitude.
    @Test func fastFloatWriterMatchesFormatter() {
        var rng = SystemRandomNumberGenerator()
        var values: [Double] = [0, -0.0, 1, -1, 0.1, 0.0001, 0.00012345, 9.999e-5, 1e16, 9_007_199_254_740_991, 9_007_199_254_740_993,
                                1e21, 1e-7, .nan, .infinity, -.infinity, 123456.789, -42.5, .leastNonzeroMagnitude, .greatestFiniteMagnitude]
        for _ in 0..<20_000 {
            let mantissa = Double.random(in: -10...10, using: &rng)
            let exp = Double(Int.random(in: -30...30, using: &rng))
            values.append(mantissa * pow10(exp))
            values.append((mantissa * 1000).rounded() / 1000)
        }
        for v in values {
            var w = JSONBytes()
            w.apiFloat(v)
            #expect(w.string == formatAPIFloat(v), "\(v)")
        }
        #expect(goJSONString("a<b>&\u{2028}\"\n\u{01}é") == #""a\u003cb\u003e\u0026\u2028\"\n\u0001é""#)
    }

    /// Points written in one piece read as `[<seconds>.<ms>,"<formatAPIFloat>"]`, and strings
    /// with nothing to escape are copied whole, as Go's encoding/json writes them.
    @Test func pointAndStringWritersMatchTheFormatters() {
        func seconds(_ t: Int64) -> String {
            let ms = t.magnitude % 1000
            let frac = ms == 0 ? "" : "." + String(String(ms + 1000).dropFirst())
            return (t < 0 ? "-" : "") + String(t.magnitude / 1000) + frac
        }
        var rng = SystemRandomNumberGenerator()
        let times: [Int64] = [0, 1, 999, 1_000, 1_500, 1_050, -1, -1_005, -1_000, 1_700_000_000_123, .max, .min]
        var values: [Double] = [0, -0.0, 1, -1, 0.5, 42, -42, 9_007_199_254_740_991, 9_007_199_254_740_992, 1e21, .nan, .infinity, -.infinity, 1e-7]
        for _ in 0..<2_000 { values.append((Double.random(in: -1e6...1e6, using: &rng) * 100).rounded() / Double([1, 100].randomElement(using: &rng)!)) }
        for t in times {
            #expect(ResultJSON.timestamp(t) == seconds(t), "\(t)")
            for v in values {
                var w = JSONBytes()
                w.point(t, v)
                #expect(w.string == "[" + seconds(t) + ",\"" + formatAPIFloat(v) + "\"]", "\(t) \(v)")
            }
        }
        for n: UInt64 in [0, 9, 10, 99, 100, 101, 999, 1_000, 12_345, 1 << 53, 10_000_000_000_000_000_000, .max] {
            var w = JSONBytes()
            w.integer(n)
            #expect(w.string == String(n))
        }
        let cases: [(String, String)] = [("up", #""up""#), ("", #""""#), ("10.0.0.1:9090", #""10.0.0.1:9090""#), ("x\"y", #""x\"y""#),
                                         ("a\\b", #""a\\b""#), ("<>&", #""\u003c\u003e\u0026""#), ("é", "\"é\""),
                                         ("\u{2028}", #""\u2028""#), ("tab\there", #""tab\there""#)]
        for (text, json) in cases {
            var w = JSONBytes()
            w.string(text)
            #expect(w.string == json, "\(text)")
        }
    }

    func pow10(_ e: Double) -> Double {
        var r = 1.0
        for _ in 0..<Int(abs(e)) { r *= 10 }
        return e < 0 ? 1 / r : r
    }
}

@Suite struct ComposedExprTests {
    /// Two separately parsed trees share selector ids; the engine must still fetch each
    /// selector's own series.
    @Test func composedTreesSelectTheirOwnSeries() async throws {
        let a = try PromQL.parse("up{job=\"a\"}")
        let b = try PromQL.parse("up{job=\"b\"}")
        let sum = Expr.binary(BinaryExpr(op: .add, lhs: a, rhs: b,
                                         matching: VectorMatching(card: .oneToOne, matchingLabels: ["__name__"], on: false, include: []),
                                         returnBool: false))
        let sumJob = Expr.binary(BinaryExpr(op: .add, lhs: a, rhs: b,
                                            matching: VectorMatching(card: .oneToOne, matchingLabels: ["job"], on: false, include: []),
                                            returnBool: false))
        guard case .vector(let none) = try await Engine().instantQuery(EngineTests.store(), sum, time: 60_000) else { return }
        #expect(none.isEmpty)
        guard case .vector(let v) = try await Engine().instantQuery(EngineTests.store(), sumJob, time: 60_000) else { return }
        #expect(v.count == 1 && v[0].v == 4 + 8)
    }
}

/// Calendar fields as Go computes them, also far outside any calendar (checked against
/// Prometheus 2.42: `day_of_year(vector(NaN))` is 339).
@Suite struct GoTimeTests {
    @Test func matchesGo() {
        let nan = GoTime(unixSeconds: InstantFunctions.goInt64(.nan))
        #expect(nan.date.yday + 1 == 339)
        let t = GoTime(unixSeconds: 1_700_001_234)
        #expect(t.date.year == 2023 && t.date.month == 11 && t.date.day == 14)
        #expect(t.hour == 22 && t.minute == 33 && t.weekday == 2)
        #expect(GoTime(unixSeconds: 951_782_400).daysInMonth == 29)
        #expect(GoTime(unixSeconds: -1).date.year == 1969)
    }
}

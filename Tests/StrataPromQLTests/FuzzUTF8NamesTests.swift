import StrataCore
import StrataTestSupport
import Testing
@testable import StrataPromQL

/// The 3.x grammar (quoted UTF-8 names in selectors, grouping and matching clauses, new
/// functions) under random mutation, in both compatibility modes: every input either parses or
/// fails with a `ParseError` whose position lies inside the query, and whatever parses evaluates
/// (possibly to an error) without crashing, in bounded time.
@Suite struct FuzzUTF8NamesTests {
    static let seeds = [
        #"{"http.server.duration", "service.name"="api"}"#,
        #"sum by ("service.name") ({"http.server.duration"})"#,
        #"{"a.b"} / on ("service.name") group_left ("k8s.pod") {"c.d"}"#,
        #"count without ("ü", le) (rate({"ħ.ŧ"}[5m]))"#,
        #"label_replace({"a.b"}, "dst.ü", "$1", "service.name", "(.*)")"#,
        #"label_join(up, "x.y", ",", "service.name", "job")"#,
        #"sort_by_label_desc({__name__=~"a.b|up"}, "service.name")"#,
        #"mad_over_time(up[5m]) + ts_of_max_over_time({"a.b"}[10m:1m])"#,
        #"first_over_time({"a.b", job!~"x.*"}[2m] offset 1m)"#,
        #"double_exponential_smoothing(up[10m], 0.5, 0.5)"#,
    ]

    static let fragments = [
        "\"", "\"a.b\"", ",", "{", "}", "(", ")", "=", "=~", "!=", " by ", " on", "group_left", "ü", ".", "\\",
        "`", "'", "[5m]", " offset 1m", "\u{0}", "\n", "#", "\"\\xff\"", "__name__", "{\"x\"}",
    ]

    static func store() -> MemoryQueryable {
        var s = MemoryQueryable()
        for i in 0..<20 {
            let t = Int64(i) * 30_000
            s.append(Labels(["__name__": "http.server.duration", "service.name": "api"]), t, Double(i))
            s.append(Labels(["__name__": "a.b", "service.name": "api", "k8s.pod": "p\(i % 3)"]), t, Double(i * 2))
            s.append(Labels(["__name__": "c.d", "service.name": "api"]), t, 1)
            s.append(Labels(["__name__": "up", "job": "x\ny", "service.name": "web"]), t, 1)
        }
        return s
    }

    @Test func mutatedQueriesParseOrFailWithAPosition() async throws {
        var rng = SplitMix(state: 314)
        let store = Self.store()
        var parsed = 0, failed = 0
        for compat in PromQLCompat.allCases {
            let engine = Engine(options: EngineOptions(maxSamples: 100_000, timeout: .seconds(5), compat: compat,
                                                       features: .all))
            for round in 0..<300 {
                var chars = Array(Self.seeds[round % Self.seeds.count])
                for _ in 0..<Int(rng.next() % 4) {
                    let pos = Int(rng.next() % UInt64(chars.count + 1))
                    if rng.next() % 2 == 0 {
                        chars.insert(contentsOf: Self.fragments[Int(rng.next() % UInt64(Self.fragments.count))], at: pos)
                    } else if pos < chars.count {
                        chars.remove(at: pos)
                    }
                }
                let q = String(chars)
                let expr: Expr
                do {
                    expr = try PromQL.parse(q, compat: compat, features: .all)
                } catch let e as ParseError {
                    #expect(e.position >= 0 && e.position <= q.utf8.count, "\(q): \(e)")
                    #expect(!e.description.hasPrefix("invalid position"), "\(q)")
                    failed += 1
                    continue
                } catch {
                    Issue.record("\(q): not a ParseError: \(error)")
                    continue
                }
                parsed += 1
                _ = try? await engine.instantQuery(store, expr, time: Int64(rng.next() % 600_000))
                if expr.type == .vector || expr.type == .scalar {
                    _ = try? await engine.rangeQuery(store, expr, start: 0, end: 600_000, step: 60_000)
                }
            }
        }
        #expect(parsed > 50)
        #expect(failed > 50)
    }

    @Test func quotedNamesOnlyIn314Mode() async throws {
        let store = Self.store()
        let q = #"sum by ("service.name") ({"http.server.duration"})"#
        guard case .vector(let v) = try await Engine().instantQuery(store, q, time: 300_000) else {
            Issue.record("not a vector")
            return
        }
        #expect(v.count == 1 && v[0].labels == Labels(["service.name": "api"]) && v[0].v == 10)
        await #expect(throws: ParseError.self) {
            _ = try await Engine(options: EngineOptions(compat: .v2_42)).instantQuery(store, q, time: 300_000)
        }
        // 3.x regexes let `.` match a newline; 2.42's do not.
        let nl = #"count({job=~"x.y"})"#
        guard case .vector(let a) = try await Engine().instantQuery(store, nl, time: 300_000),
              case .vector(let b) = try await Engine(options: EngineOptions(compat: .v2_42)).instantQuery(store, nl, time: 300_000)
        else { Issue.record("not vectors"); return }
        #expect(a.first?.v == 1)
        #expect(b.isEmpty)
        // Experimental functions need the feature.
        await #expect(throws: ParseError.self) { _ = try PromQL.parse("mad_over_time(up[5m])") }
        _ = try PromQL.parse("mad_over_time(up[5m])", features: .experimentalFunctions)
    }

    @Test func windowsAreLeftOpenIn314Mode() async throws {
        var s = MemoryQueryable()
        for i in 0..<5 { s.append(Labels(["__name__": "m"]), Int64(i) * 60_000, Double(i)) }
        // Samples at 1m, 2m, 3m, 4m: the one at 1m is exactly at the window's start.
        guard case .vector(let open) = try await Engine().instantQuery(s, "count_over_time(m[3m])", time: 240_000),
              case .vector(let closed) = try await Engine(options: EngineOptions(compat: .v2_42))
                  .instantQuery(s, "count_over_time(m[3m])", time: 240_000)
        else { Issue.record("not vectors"); return }
        #expect(open.first?.v == 3)
        #expect(closed.first?.v == 4)
        // Lookback: the sample at 0 is exactly 5m before 5m.
        let lb = EngineOptions(lookbackDelta: 300_000)
        var one = MemoryQueryable()
        one.append(Labels(["__name__": "m"]), 0, 1)
        guard case .vector(let a) = try await Engine(options: lb).instantQuery(one, "m", time: 300_000) else { return }
        var lb242 = lb
        lb242.compat = .v2_42
        guard case .vector(let b) = try await Engine(options: lb242).instantQuery(one, "m", time: 300_000) else { return }
        #expect(a.isEmpty)
        #expect(b.count == 1)
    }
}

@Suite struct XXHash64Tests {
    /// Reference values of XXH64 (seed 0), as Go's cespare/xxhash computes them.
    @Test func knownValues() {
        #expect(XXHash64.hash([]) == 0xEF46_DB37_51D8_E999)
        #expect(XXHash64.hash(Array("abc".utf8)) == 0x44BC_2CF5_AD77_0999)
    }
}

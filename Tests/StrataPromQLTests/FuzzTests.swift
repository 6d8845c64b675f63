import StrataTestSupport
import Testing
import StrataCore
@testable import StrataPromQL

/// Random and mutated queries through parser and engine over a small data set: every input
/// must either parse-fail or evaluate (possibly to an error) without crashing, in bounded time.
@Suite struct FuzzTests {
    static let seeds = PromQLDifferential.seeds242 + [
        // 3.x grammar and native histograms.
        "increase(http_requests[5m] anchored)", "rate(nh[2m] smoothed offset 1m)", "nh smoothed", "changes(nh[3m] anchored)",
        "{\"http_requests\", \"job\"=\"a\"} + on(\"job\") group_left http_requests",
        "http_requests + fill(0) http_requests{job=\"b\"}", "rate(http_requests[step() * 2])", "http_requests offset -(1m + 30s)",
        "histogram_quantile(0.9, sum(rate(nh[5m])))", "histogram_fraction(0, 0.5, nh) * 2", "nh </ 0.5",
        "histogram_count(nh) / histogram_sum(nh)", "sum by (job) (nh) - nh", "avg_over_time(nh[5m]) >/ 0.1",
    ]

    static let fragments = [
        "(", ")", "[5m]", "[1m:]", " offset 1m", " @ 100", " + ", " and ", " by (job)", "sum(", "rate(", ",", "{",
        "}", "\"", "1e", "0x", "Inf", "-", "^", " bool ", "on()", "group_left", "[", "]", ":", "@ start()", "x",
        " anchored", " smoothed", " fill(1) ", "step()", "</", ">/", "{{",
    ]

    static func store() -> MemoryQueryable {
        var s = MemoryQueryable()
        for i in 0..<40 {
            let t = Int64(i) * 30_000
            for job in ["a", "b", "c"] {
                s.append(Labels(["__name__": "http_requests", "job": job]), t, Double(i * job.count) + (job == "c" ? .nan : 0))
                for le in ["0.1", "1", "+Inf"] {
                    s.append(Labels(["__name__": "req_bucket", "job": job, "le": le]), t, Double(i) * (le == "+Inf" ? 3 : 1))
                }
            }
            if i % 7 == 3 { s.append(Labels(["__name__": "http_requests", "job": "d"]), t, staleNaN) }
            let h = FloatHistogram(counterResetHint: i == 20 ? .counterReset : .unknown, schema: Int32(i % 3), zeroThreshold: 0.001,
                                   zeroCount: Double(i % 5), count: Double(i % 20) * 3 + Double(i % 5), sum: Double(i),
                                   positiveSpans: [HistogramSpan(offset: Int32(i % 4) - 2, length: 2)],
                                   positiveBuckets: [Double(i % 20), Double(i % 20) * 2])
            s.append(Labels(["__name__": "nh", "job": i % 2 == 0 ? "a" : "b"]), t, h)
        }
        return s
    }

    @Test func randomAndMutatedQueriesNeverCrash() async throws {
        var rng = SplitMix(state: 42)
        let engine = Engine(options: EngineOptions(maxSamples: 200_000, timeout: .seconds(5), features: .all))
        let store = Self.store()
        var parsed = 0
        for round in 0..<400 {
            var q = Self.seeds[Int(rng.next() % UInt64(Self.seeds.count))]
            let mutations = Int(rng.next() % 4)
            for _ in 0..<mutations {
                var chars = Array(q)
                let pos = Int(rng.next() % UInt64(chars.count + 1))
                switch rng.next() % 3 {
                case 0: chars.insert(contentsOf: Self.fragments[Int(rng.next() % UInt64(Self.fragments.count))], at: pos)
                case 1: if pos < chars.count { chars.remove(at: pos) }
                default:
                    let other = Self.seeds[Int(rng.next() % UInt64(Self.seeds.count))]
                    q = round % 2 == 0 ? "(\(q)) + (\(other))" : "\(q) or \(other)"
                    continue
                }
                q = String(chars)
            }
            guard let expr = try? PromQL.parse(q, features: .all) else { continue }
            parsed += 1
            _ = try? await engine.instantQuery(store, expr, time: Int64(rng.next() % 1_200_000))
            if expr.type == .vector || expr.type == .scalar {
                _ = try? await engine.rangeQuery(store, expr, start: 0, end: 1_200_000, step: 60_000)
            }
        }
        #expect(parsed > 50)
    }
}

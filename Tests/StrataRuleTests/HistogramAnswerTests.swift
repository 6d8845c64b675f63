import StrataCore
import StrataPromQL
import StrataTestSupport
import StrataTSDB
import Testing
@testable import StrataRule

/// Native histogram samples of the query API's JSON (written by the querier's own
/// Prometheus-exact writer) come back as the histograms they were: schema, zero bucket,
/// spans and counts, so recording rules over native histograms record them.
@Suite struct HistogramAnswerTests {
    static func roundTrip(_ h: FloatHistogram) throws -> FloatHistogram {
        var w = JSONBytes()
        w.histogramPoint(1_000, h)
        let point = try JSONValue(parsing: w.bytes)
        return try HistogramAnswer.floatHistogram(point.arrayValue?[1])
    }

    @Test(arguments: [Int32(-2), 0, 3, 8])
    func exponentialSchemasRoundTrip(_ schema: Int32) throws {
        var h = FloatHistogram(schema: schema, zeroThreshold: 0.001, zeroCount: 2, count: 31, sum: 12.5,
                               positiveSpans: [HistogramSpan(offset: -3, length: 2), HistogramSpan(offset: 4, length: 3)],
                               negativeSpans: [HistogramSpan(offset: 1, length: 2)],
                               positiveBuckets: [1, 5, 3, 0, 7], negativeBuckets: [4, 9])
        let back = try Self.roundTrip(h)
        h.compact(maxEmptyBuckets: 0)
        #expect(back == h, "\(back) vs \(h)")
    }

    @Test func withoutZeroBucketGetsPrometheusDefaultThreshold() throws {
        let h = FloatHistogram(schema: 1, zeroThreshold: HistogramAnswer.defaultZeroThreshold, count: 3, sum: 3,
                               positiveSpans: [HistogramSpan(offset: 0, length: 1)], positiveBuckets: [3])
        #expect(try Self.roundTrip(h) == h)
    }

    @Test func customBucketsAreRefusedWithAReason() throws {
        let h = FloatHistogram(schema: -53, count: 3, sum: 3, positiveSpans: [HistogramSpan(offset: 0, length: 2)],
                               positiveBuckets: [1, 2], customValues: [0.25, 3])
        #expect(throws: HistogramAnswer.Unsupported.self) { try Self.roundTrip(h) }
    }

    /// A recording rule over histograms writes histogram samples into the head.
    @Test func recordingRuleRecordsHistograms() async throws {
        let head = try Head.open(dir: TestEnv.tempDir("rule-head"))
        let script = RuleGroupTests.Script()
        let h = FloatHistogram(schema: 0, zeroThreshold: HistogramAnswer.defaultZeroThreshold, count: 4, sum: 2,
                               positiveSpans: [HistogramSpan(offset: 1, length: 2)], positiveBuckets: [1, 3])
        script.set([RuleSample(labels: Labels(["__name__": "x", "job": "a"]), value: 0, histogram: h)])
        let g = RuleGroup(try RuleFile.parse("groups:\n  - name: g\n    rules:\n      - record: r\n        expr: x\n", file: "t.yml")[0],
                          env: RuleGroupTests().environment(head, script), shouldRestore: false)
        await g.evaluate(at: 1_000)
        #expect(await g.snapshot().rules[0].recording.health == "ok")
        let series = head.series(matching: [try Matcher(.equal, "__name__", "r")])
        #expect(series.count == 1 && series.first?.chunks.first?.encoding == .floatHistogram)
    }
}

import Testing
@testable import StrataCore

@Suite struct HistogramNotationTests {
    @Test func parsesTheLanguageDocExample() throws {
        let h = try FloatHistogram(parsingTestNotation: "{{schema:1 sum:-3 count:22 buckets:[5 10 7]}}")
        #expect(h.schema == 1)
        #expect(h.sum == -3)
        #expect(h.count == 22)
        #expect(h.positiveSpans == [HistogramSpan(offset: 0, length: 3)])
        #expect(h.positiveBuckets == [5, 10, 7])
        #expect(h.negativeSpans.isEmpty && h.counterResetHint == .unknown)
    }

    @Test func parsesEveryKey() throws {
        let text = "{{schema:-53 sum:1.5e+3 count:0x10 z_bucket:-Inf z_bucket_w:1m offset:-2 buckets:[1 +2 -3 ] "
            + "n_offset:3 n_buckets:[4_000] counter_reset_hint:gauge custom_values:[0.5 1 NaN] }}"
        let h = try FloatHistogram(parsingTestNotation: text)
        #expect(h.schema == -53)
        #expect(h.sum == 1500)
        #expect(h.count == 16)
        #expect(h.zeroCount == -.infinity)
        #expect(h.zeroThreshold == 60)
        #expect(h.positiveSpans == [HistogramSpan(offset: -2, length: 3)])
        #expect(h.positiveBuckets == [1, 2, -3])
        #expect(h.negativeSpans == [HistogramSpan(offset: 3, length: 1)])
        #expect(h.negativeBuckets == [4000])
        #expect(h.counterResetHint == .gauge)
        #expect(h.customValues.count == 3 && h.customValues[2].isNaN)
        var p = HistogramNotationParser(Array("{{}}x3".utf8))
        let r = try p.parseHistogram()
        #expect(r.histogram == FloatHistogram() && !r.counterResetHintGiven && p.pos == 4)
        var q = HistogramNotationParser(Array("{{ counter_reset_hint:not_reset }}".utf8))
        #expect(try q.parseHistogram().counterResetHintGiven)
    }

    @Test func rejectsBadInput() {
        let bad: [(String, String)] = [
            ("{{sum:1 sum:2}}", "duplicate key \"sum\""),
            ("{{foo:1}}", "unknown histogram description key"),
            ("{{sum:1", "expected"),
            ("{{counter_reset_hint:maybe}}", "unknown counter_reset_hint"),
            ("{{schema:1.5}}", "expected an integer"),
            ("{{z_bucket_w:-1}}", "invalid number"),
            ("{{buckets:[]}}", "invalid number"),
            ("{{sum:1}} junk", "unexpected characters"),
            ("{{sum:1_}}", "invalid number"),
            ("{{sum : 1}}", "expected \":\""),
        ]
        for (text, want) in bad {
            do {
                _ = try FloatHistogram(parsingTestNotation: text)
                Issue.record("accepted \(text)")
            } catch {
                #expect("\(error)".contains(want), "\(text): \(error)")
            }
        }
    }

    @Test func printsLikeTestExpression() throws {
        // Two positive spans with a gap and empty edge buckets compact to one span.
        let h = FloatHistogram(schema: 1, zeroThreshold: 0.001, zeroCount: 1, count: 19, sum: 2.7,
                               positiveSpans: [HistogramSpan(offset: -2, length: 2), HistogramSpan(offset: 1, length: 3)],
                               negativeSpans: [HistogramSpan(offset: 1, length: 2)],
                               positiveBuckets: [0, 1, 2, 0, 3], negativeBuckets: [2, 3])
        #expect(h.testNotation == "{{schema:1 count:19 sum:2.7 z_bucket:1 z_bucket_w:0.001 offset:-1 buckets:[1 0 2 0 3] n_offset:1 n_buckets:[2 3]}}")
        #expect(FloatHistogram().testNotation == "{{}}")
        let c = FloatHistogram(counterResetHint: .notCounterReset, schema: -53, count: 1e6, sum: 0.000012,
                               positiveSpans: [HistogramSpan(offset: 0, length: 1)], positiveBuckets: [1e6], customValues: [0.5, 1])
        #expect(c.testNotation == "{{schema:-53 count:1e+06 sum:1.2e-05 custom_values:[0.5 1] counter_reset_hint:not_reset buckets:[1e+06]}}")
        // What the printer writes, the parser reads back.
        let back = try FloatHistogram(parsingTestNotation: c.testNotation)
        #expect(back == c)
    }
}

@Suite struct HistogramModelTests {
    @Test func exponentialBoundsMatchPrometheus() {
        #expect(HistogramBounds.bound(0, schema: 0) == 1)
        #expect(HistogramBounds.bound(1, schema: 0) == 2)
        #expect(HistogramBounds.bound(-1, schema: 0) == 0.5)
        #expect(HistogramBounds.bound(1, schema: -1) == 4)
        #expect(HistogramBounds.bound(-3, schema: -4) == 0x1p-48)
        #expect(HistogramBounds.bound(1, schema: 1) == 2 * 0.7071067811865475)
        #expect(HistogramBounds.bound(3, schema: 2) == 2 * 0.8408964152537144)
        #expect(HistogramBounds.bound(-1, schema: 3) == 0.9170040432046711)
        #expect(HistogramBounds.bound(-256, schema: 8) == 0.5)
        // The last finite bucket ends at the largest double, leaving +Inf its own bucket.
        #expect(HistogramBounds.bound(1024, schema: 0) == .greatestFiniteMagnitude)
        #expect(HistogramBounds.bound(256, schema: -2) == .greatestFiniteMagnitude)
        #expect(HistogramBounds.bound(1025, schema: 0) == .infinity)
        #expect(HistogramBounds.bound(-1, schema: -53, customValues: [1, 2]) == -.infinity)
        #expect(HistogramBounds.bound(1, schema: -53, customValues: [1, 2]) == 2)
        #expect(HistogramBounds.bound(2, schema: -53, customValues: [1, 2]) == .infinity)
        #expect(HistogramBounds.bound(3, schema: -53, customValues: [1, 2]).isNaN)
    }

    @Test func bucketsInAPIOrderWithBoundaries() {
        let h = FloatHistogram(schema: 0, zeroThreshold: 0.5, zeroCount: 2, count: 9, sum: 1,
                               positiveSpans: [HistogramSpan(offset: 0, length: 2)], negativeSpans: [HistogramSpan(offset: 1, length: 1)],
                               positiveBuckets: [1, 3], negativeBuckets: [3])
        let b = h.allBuckets()
        #expect(b.map(\.lower) == [-2, -0.5, 0.5, 1])
        #expect(b.map(\.upper) == [-1, 0.5, 1, 2])
        #expect(b.map(\.boundaryRule) == [1, 3, 0, 0])
        #expect(b.map(\.count) == [3, 2, 1, 3])
    }

    @Test func customBucketsKeepInfiniteEdges() {
        let h = FloatHistogram(schema: -53, count: 6, positiveSpans: [HistogramSpan(offset: 0, length: 3)],
                               positiveBuckets: [1, 2, 3], customValues: [0.5, 1])
        let b = h.allBuckets()
        #expect(b.map(\.lower) == [-.infinity, 0.5, 1])
        #expect(b.map(\.upper) == [0.5, 1, .infinity])
    }

    @Test func integerToFloat() {
        let h = Histogram(counterResetHint: .gauge, schema: 2, zeroThreshold: 0.1, zeroCount: 1, count: 12, sum: 3,
                          positiveSpans: [HistogramSpan(offset: 0, length: 3)], negativeSpans: [HistogramSpan(offset: 2, length: 2)],
                          positiveBuckets: [2, 1, -3], negativeBuckets: [4, -1])
        let f = h.toFloat()
        #expect(f.positiveBuckets == [2, 3, 0])
        #expect(f.negativeBuckets == [4, 3])
        #expect(f.counterResetHint == .gauge && f.zeroCount == 1 && f.count == 12 && f.zeroThreshold == 0.1)
        let c = Histogram(schema: -53, zeroThreshold: 1, zeroCount: 1, positiveSpans: [HistogramSpan(offset: 0, length: 1)],
                          positiveBuckets: [5], customValues: [1]).toFloat()
        #expect(c.zeroThreshold == 0 && c.zeroCount == 0 && c.customValues == [1])
    }
}


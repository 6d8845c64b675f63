import Testing
@testable import StrataCore

/// promqltest's float comparison (relative 1e-6; test files print rounded values).
private func close(_ a: Double, _ b: Double) -> Bool {
    if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
    if a == b { return true }
    return abs(a - b) / (abs(a) + abs(b)) < 1e-6
}

private func closeHistograms(_ a: FloatHistogram, _ b: FloatHistogram) -> Bool {
    var (x, y) = (a, b)
    x.compact(maxEmptyBuckets: 0)
    y.compact(maxEmptyBuckets: 0)
    return x.schema == y.schema && x.zeroThreshold == y.zeroThreshold && close(x.count, y.count) && close(x.sum, y.sum)
        && close(x.zeroCount, y.zeroCount) && x.positiveSpans == y.positiveSpans && x.negativeSpans == y.negativeSpans
        && x.positiveBuckets.count == y.positiveBuckets.count && zip(x.positiveBuckets, y.positiveBuckets).allSatisfy(close)
        && x.negativeBuckets.count == y.negativeBuckets.count && zip(x.negativeBuckets, y.negativeBuckets).allSatisfy(close)
        && x.customValues == y.customValues
}

extension FloatHistogramArithmeticTests {
    @Test(arguments: nativeHistogramTrimCases) func trim(_ c: TrimCase) throws {
        let input = try FloatHistogram(parsingTestNotation: c.input)
        let expected = try FloatHistogram(parsingTestNotation: c.expected)
        let got = input.trimBuckets(c.rhs, upper: c.upper)
        #expect(closeHistograms(got, expected), "\(c.upper ? "</" : ">/") \(c.rhs): \(got.testNotation) vs \(c.expected)")
        #expect(input == (try FloatHistogram(parsingTestNotation: c.input)))  // not mutated
    }

    /// Prometheus TestFloatHistogramEquals.
    @Test func equalsComparesBitsAndIgnoresUnusedFields() {
        let h1 = FloatHistogram(schema: 3, zeroThreshold: 0.1, zeroCount: 1.1, count: 2.2, sum: 9.7,
                                positiveBuckets: [3], negativeBuckets: [4])
        func same(_ a: FloatHistogram, _ b: FloatHistogram) -> Bool { a.equals(b) && b.equals(a) }
        func differ(_ a: FloatHistogram, _ b: FloatHistogram) -> Bool { !a.equals(b) && !b.equals(a) }
        #expect(same(h1, h1))
        var v = h1; v.count = .nan
        #expect(differ(h1, v) && same(v, v))
        v = h1; v.zeroCount = .nan
        #expect(differ(h1, v) && same(v, v))
        v = h1; v.positiveBuckets[0] = .nan
        #expect(differ(h1, v) && same(v, v))
        v = h1; v.negativeBuckets[0] = .nan
        #expect(differ(h1, v) && same(v, v))
        v = h1; v.customValues = [1, 2, 3]
        #expect(same(h1, v))
        let cb = FloatHistogram(schema: -53, count: 2.2, sum: 9.7, positiveSpans: [S(0, 1)], positiveBuckets: [3],
                                customValues: [1, 2, 3])
        #expect(throws: Never.self) { try cb.validate() }
        v = cb; v.customValues = [1, 2, 3, 4]
        #expect(differ(cb, v))
        v = cb; v.negativeSpans = [S(0, 1)]; v.negativeBuckets = [1]
        #expect(differ(cb, v))
        v = cb; v.zeroThreshold = 0.1; v.zeroCount = 10
        #expect(differ(cb, v))
        // Zero-length spans are skipped; adjacent spans are not joined.
        v = cb; v.positiveSpans = [S(0, 0), S(0, 1)]
        #expect(same(cb, v))
        let twoSpans = FloatHistogram(count: 1, positiveSpans: [S(0, 1), S(0, 1)], positiveBuckets: [1, 2])
        let oneSpan = FloatHistogram(count: 1, positiveSpans: [S(0, 2)], positiveBuckets: [1, 2])
        #expect(differ(twoSpans, oneSpan))
    }

    /// Prometheus TestFloatHistogramReduceResolution ("valid float histogram") and CopyToSchema.
    @Test func reduceResolutionMergesBuckets() {
        var h = FloatHistogram(counterResetHint: .notCounterReset, schema: 0,
                               positiveSpans: [S(-2, 4), S(0, 0), S(3, 2)], negativeSpans: [S(0, 4), S(0, 0), S(3, 2)],
                               positiveBuckets: [1, 3, 1, 2, 1, 1], negativeBuckets: [1, 3, 1, 2, 1, 1])
        let copy = h.copy(toSchema: -1)
        h.reduceResolution(to: -1)
        let want = FloatHistogram(counterResetHint: .notCounterReset, schema: -1,
                                  positiveSpans: [S(-1, 3), S(1, 1)], negativeSpans: [S(0, 3), S(1, 1)],
                                  positiveBuckets: [1, 4, 2, 2], negativeBuckets: [1, 4, 2, 2])
        #expect(h == want)
        var wantCopy = want
        wantCopy.counterResetHint = .unknown  // CopyToSchema does not keep the hint
        #expect(copy == wantCopy)
        h.reduceResolution(to: 0)  // not lower: unchanged
        #expect(h == want)
    }

    @Test func validateReportsPrometheusMessages() {
        func message(_ h: FloatHistogram) -> String? {
            do { try h.validate(); return nil } catch { return "\(error)" }
        }
        #expect(message(FloatHistogram(count: 3, positiveSpans: [S(0, 2)], positiveBuckets: [1, 2])) == nil)
        #expect(message(FloatHistogram(positiveSpans: [S(0, 2)], positiveBuckets: [1]))
            == "positive side: spans need 2 buckets, have 1 buckets: histogram spans specify different number of buckets than provided")
        #expect(message(FloatHistogram(negativeSpans: [S(0, 1), S(-1, 1)], negativeBuckets: [1, 1]))
            == "negative side: span number 2 with offset -1: histogram has a span whose offset is negative")
        #expect(message(FloatHistogram(negativeSpans: [S(0, 1)], negativeBuckets: [-1]))
            == "negative side: bucket number 1 has observation count of -1: histogram has a bucket whose observation count is negative")
        #expect(message(FloatHistogram(count: -1)) == "observation count is  -1: histogram's observation count is negative")
        #expect(message(FloatHistogram(schema: 9))?.hasSuffix("got schema 9") == true)
        #expect(message(FloatHistogram(schema: -53, zeroCount: 1)) == "custom buckets: must have zero count of 0")
        #expect(message(FloatHistogram(schema: -53, positiveSpans: [S(0, 3)], positiveBuckets: [1, 1, 1], customValues: [1]))
            == "custom buckets: only 1 custom bounds defined which is insufficient to cover total span length of 3: histogram custom bounds are too few")
        #expect(message(FloatHistogram(schema: -53, customValues: [2, 1]))?.contains("strictly increasing") == true)
        #expect(message(FloatHistogram(schema: 0, customValues: [1]))
            == "histogram with exponential schema must not have custom bounds")
    }

    @Test func hasOverflowSeesAnyInfinity() {
        #expect(!FloatHistogram(count: 1, sum: 1).hasOverflow)
        #expect(FloatHistogram(count: .infinity).hasOverflow)
        #expect(FloatHistogram(negativeSpans: [S(0, 1)], negativeBuckets: [-.infinity]).hasOverflow)
        #expect(!FloatHistogram(sum: .nan).hasOverflow)
    }

    /// Kahan summation keeps what plain addition loses (Prometheus TestKahanAddWithCompHistogram idea).
    @Test func kahanAddRecoversLostPrecision() throws {
        let big = FloatHistogram(count: 1e16, sum: 1e16, positiveSpans: [S(0, 1)], positiveBuckets: [1e16])
        let one = FloatHistogram(count: 1, sum: 1, positiveSpans: [S(0, 1)], positiveBuckets: [1])
        var plain = big, kahan = big
        var comp: FloatHistogram? = nil
        for _ in 0..<10 {
            try plain.add(one)
            try kahan.kahanAdd(one, compensation: &comp)
        }
        kahan.kahanFinish(comp)
        #expect(plain.count == 1e16 && plain.positiveBuckets == [1e16])
        #expect(kahan.count == 1e16 + 10 && kahan.sum == 1e16 + 10 && kahan.positiveBuckets == [1e16 + 10])
        var mixed = big
        #expect(throws: HistogramArithmeticError.mixedSchemas) {
            try mixed.kahanAdd(FloatHistogram(schema: -53), compensation: &comp)
        }
    }

    /// NHCB counter resets across different bounds compare at the common bounds.
    @Test func detectResetAcrossCustomBounds() {
        let prev = FloatHistogram(schema: -53, count: 6, positiveSpans: [S(0, 3)], positiveBuckets: [1, 2, 3], customValues: [1, 2])
        let grown = FloatHistogram(schema: -53, count: 7, positiveSpans: [S(0, 2)], positiveBuckets: [4, 3], customValues: [2])
        let shrunk = FloatHistogram(schema: -53, count: 7, positiveSpans: [S(0, 2)], positiveBuckets: [2, 5], customValues: [2])
        #expect(!grown.detectReset(previous: prev))
        #expect(shrunk.detectReset(previous: prev))  // ≤2 went from 3 to 2
    }
}

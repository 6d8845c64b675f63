import Testing
@testable import StrataCore

/// Case shapes of Prometheus's float_histogram_test.go tables (data in PromHistogramCases.swift).
struct ScaleCase: CustomTestStringConvertible {
    var name: String
    var `in`: FloatHistogram
    var scale: Double
    var expected: FloatHistogram
    var testDescription: String { name }
}

struct ResetCase: CustomTestStringConvertible {
    var name: String
    var previous: FloatHistogram
    var current: FloatHistogram
    var resetExpected: Bool
    var testDescription: String { name }
}

struct CompactCase: CustomTestStringConvertible {
    var name: String
    var `in`: FloatHistogram
    var maxEmptyBuckets: Int
    var expected: FloatHistogram
    var testDescription: String { name }
}

struct CombineCase: CustomTestStringConvertible {
    var name: String
    var in1: FloatHistogram
    var in2: FloatHistogram
    var expected: FloatHistogram? = nil
    var expErrMsg: String = ""
    var expCounterResetCollision = false
    var expNHCBBoundsReconciled = false
    var testDescription: String { name }
}

/// Field-by-field equality as Go's require.Equal (reflect.DeepEqual: -0 == 0, exact spans).
func sameHistogram(_ a: FloatHistogram, _ b: FloatHistogram) -> Bool { a == b }

func compacted(_ h: FloatHistogram) -> FloatHistogram {
    var c = h
    c.compact(maxEmptyBuckets: 0)
    return c
}

@Suite struct FloatHistogramArithmeticTests {
    @Test(arguments: PromHistogramCases.mul) func mul(_ c: ScaleCase) {
        var h = c.in
        h.mul(c.scale)
        #expect(sameHistogram(h, c.expected), "\(h.testNotation) vs \(c.expected.testNotation)")
    }

    @Test(arguments: PromHistogramCases.div) func div(_ c: ScaleCase) {
        var h = c.in
        h.div(c.scale)
        #expect(sameHistogram(h, c.expected), "\(h.testNotation) vs \(c.expected.testNotation)")
    }

    @Test(arguments: PromHistogramCases.detectReset) func detectReset(_ c: ResetCase) {
        #expect(c.current.detectReset(previous: c.previous) == c.resetExpected)
    }

    @Test(arguments: PromHistogramCases.compact) func compact(_ c: CompactCase) {
        var h = c.in
        let wasValid = (try? h.validate()) != nil
        h.compact(maxEmptyBuckets: c.maxEmptyBuckets)
        #expect(sameHistogram(h, c.expected), "\(h.positiveSpans) \(h.positiveBuckets) vs \(c.expected.positiveSpans)")
        if wasValid { #expect(throws: Never.self) { try h.validate() } }
    }

    /// Prometheus checks both orders, plainly and with Kahan summation (then applying the
    /// compensation), each compacted before comparing.
    @Test(arguments: PromHistogramCases.add) func add(_ c: CombineCase) throws {
        try #require((try? c.in1.validate()) != nil && (try? c.in2.validate()) != nil)
        for (a, b) in [(c.in1, c.in2), (c.in2, c.in1)] {
            var h = a
            var comp: FloatHistogram? = nil
            var k = a
            do {
                let info = try h.add(b)
                let kinfo = try k.kahanAdd(b, compensation: &comp)
                #expect(c.expErrMsg.isEmpty, "expected error \(c.expErrMsg)")
                #expect(info == HistogramCombineInfo(counterResetCollision: c.expCounterResetCollision,
                                                     nhcbBoundsReconciled: c.expNHCBBoundsReconciled))
                #expect(kinfo == info)
                if let comp {
                    #expect(comp.schema == k.schema && comp.zeroThreshold == k.zeroThreshold)
                    #expect(comp.positiveSpans == k.positiveSpans && comp.negativeSpans == k.negativeSpans)
                    #expect(comp.positiveBuckets.count == k.positiveBuckets.count)
                    #expect(comp.negativeBuckets.count == k.negativeBuckets.count)
                }
                k.kahanFinish(comp)
            } catch {
                #expect(error.description == c.expErrMsg)
                continue
            }
            if let expected = c.expected {
                #expect(sameHistogram(compacted(h), compacted(expected)),
                        "\(compacted(h).testNotation) vs \(compacted(expected).testNotation)")
                #expect(sameHistogram(compacted(k), compacted(expected)),
                        "kahan: \(compacted(k).testNotation) vs \(compacted(expected).testNotation)")
            }
        }
    }

    /// Prometheus checks a-b against expected and b-a against its negation (hint kept).
    @Test(arguments: PromHistogramCases.sub) func sub(_ c: CombineCase) throws {
        try #require((try? c.in1.validate()) != nil && (try? c.in2.validate()) != nil)
        var negated = c.expected
        negated?.mul(-1)
        if let e = c.expected { negated?.counterResetHint = e.counterResetHint }
        for (a, b, expected) in [(c.in1, c.in2, c.expected), (c.in2, c.in1, negated)] {
            var h = a
            do {
                let info = try h.sub(b)
                #expect(c.expErrMsg.isEmpty, "expected error \(c.expErrMsg)")
                if expected != nil {
                    #expect(info == HistogramCombineInfo(counterResetCollision: c.expCounterResetCollision,
                                                         nhcbBoundsReconciled: c.expNHCBBoundsReconciled))
                }
            } catch {
                #expect(error.description == c.expErrMsg)
                continue
            }
            if let expected {
                #expect(sameHistogram(compacted(h), compacted(expected)),
                        "\(compacted(h).testNotation) vs \(compacted(expected).testNotation)")
            }
        }
    }
}

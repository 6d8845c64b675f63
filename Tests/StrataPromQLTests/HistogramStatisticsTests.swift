import Foundation
import Testing
import StrataCore
@testable import StrataPromQL

/// promqltest's comparison: equal, both NaN, or within a relative 1e-6 (the test files
/// print rounded values).
private func almostEqual(_ a: Double, _ b: Double) -> Bool {
    if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
    if a == b { return true }
    let diff = abs(a - b)
    if a == 0 || b == 0 || abs(a) + abs(b) < Double.leastNormalMagnitude { return diff < 1e-6 * Double.leastNormalMagnitude }
    return diff / min(abs(a) + abs(b), .greatestFiniteMagnitude) < 1e-6
}

@Suite struct HistogramStatisticsTests {
    @Test(arguments: nativeHistogramsTestCases) func prometheusTestData(_ c: StatCase) throws {
        let h = try FloatHistogram(parsingTestNotation: c.histogram)
        var got: Double
        var info: NativeHistogramStatisticsInfo? = nil
        switch c.function {
        case "histogram_quantile": (got, info) = nativeHistogramQuantile(c.args[0], h)
        case "histogram_fraction": (got, info) = nativeHistogramFraction(c.args[0], c.args[1], h)
        case "histogram_stddev": got = nativeHistogramStdDev(h)
        default: got = nativeHistogramStdVar(h)
        }
        #expect(almostEqual(got, c.expected), "\(c.function)(\(c.args)) of \(c.histogram): got \(got), want \(c.expected)")
        if c.expectInfo { #expect(info != nil) }
    }

    /// Exponential interpolation happens on a log2 scale; custom buckets and the zero bucket
    /// interpolate linearly; a histogram with only positive buckets treats the zero bucket as [0, t].
    @Test func interpolationRules() throws {
        let exp = try FloatHistogram(parsingTestNotation: "{{schema:0 count:4 sum:10 offset:1 buckets:[4]}}")  // (1, 2]
        // Prometheus answers 1.414213562373095 (Go's Exp2), one ulp below the correctly rounded √2.
        #expect(nativeHistogramQuantile(0.5, exp).value == 1.414213562373095)
        #expect(nativeHistogramQuantile(0.25, exp).value == goExp2(0.25))
        let nhcb = try FloatHistogram(parsingTestNotation: "{{schema:-53 count:4 sum:10 custom_values:[1 2] buckets:[0 4 0]}}")
        #expect(nativeHistogramQuantile(0.25, nhcb).value == 1.25)
        let zero = try FloatHistogram(parsingTestNotation: "{{count:4 sum:1 z_bucket:2 z_bucket_w:0.5 buckets:[2]}}")
        #expect(nativeHistogramQuantile(0.25, zero).value == 0.25)  // [0, 0.5], half-way
        let neg = try FloatHistogram(parsingTestNotation: "{{count:4 sum:-1 z_bucket:2 z_bucket_w:0.5 n_buckets:[2]}}")
        #expect(nativeHistogramQuantile(0.75, neg).value == -0.25)  // [-0.5, 0]
        // The first custom bucket counts from 0 when its bound is positive; the +Inf bucket answers its lower bound.
        let first = try FloatHistogram(parsingTestNotation: "{{schema:-53 count:4 sum:1 custom_values:[2] buckets:[2 2]}}")
        #expect(nativeHistogramQuantile(0.25, first).value == 1)
        #expect(nativeHistogramQuantile(0.9, first).value == 2)
    }

    @Test func edgeCases() throws {
        let h = try FloatHistogram(parsingTestNotation: "{{count:4 sum:10 offset:1 buckets:[4]}}")
        #expect(nativeHistogramQuantile(-0.1, h).value == -.infinity)
        #expect(nativeHistogramQuantile(1.1, h).value == .infinity)
        #expect(nativeHistogramQuantile(.nan, h).value.isNaN)
        #expect(nativeHistogramQuantile(0.5, FloatHistogram()).value.isNaN)
        #expect(nativeHistogramFraction(2, 1, h).value == 0)
        #expect(nativeHistogramFraction(.nan, 1, h).value.isNaN)
        // NaN observations: counted, in no bucket, sum NaN.
        let nan = try FloatHistogram(parsingTestNotation: "{{count:5 sum:NaN offset:1 buckets:[4]}}")
        #expect(nativeHistogramQuantile(0.99, nan) .info == .quantileNaNResult)
        #expect(nativeHistogramQuantile(0.5, nan).info == .quantileNaNSkew)
        #expect(nativeHistogramFraction(0, 10, nan) == (0.8, .fractionNaNs))
    }

    @Test func stdDevIsTheRootOfStdVar() throws {
        let h = try FloatHistogram(parsingTestNotation: "{{schema:2 count:4 sum:10 buckets:[1 0 0 0 1 0 0 1 1]}}")
        #expect(nativeHistogramStdDev(h) == nativeHistogramStdVar(h).squareRoot())
        #expect(nativeHistogramStdVar(h) == 1.163807968526718)  // native_histograms.test, bit for bit
    }

    @Test func goExp2MatchesExactPowers() {
        for k in -20...20 { #expect(goExp2(Double(k)) == Double(sign: .plus, exponent: k, significand: 1)) }
        #expect(goExp2(0.5) == 1.414213562373095)  // as Prometheus prints the median of (1, 2]
    }
}

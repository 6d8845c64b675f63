import StrataCore
@testable import StrataRemoteWrite

/// One request's content used across the tests and built identically by the Python scripts
/// in CompatibilityTests: float samples with an exemplar, an integer histogram using every
/// field, a custom-bucket (NHCB) histogram, a float histogram and a negative timestamp.
enum Fixtures {
    static let intHistogram = Histogram(
        counterResetHint: .gauge, schema: -2, zeroThreshold: 0.001, zeroCount: 3, count: 20, sum: 123.5,
        positiveSpans: [HistogramSpan(offset: -1, length: 2), HistogramSpan(offset: 3, length: 1)],
        negativeSpans: [HistogramSpan(offset: 2, length: 1)],
        positiveBuckets: [4, -1, 5], negativeBuckets: [2])
    static let customBuckets = Histogram(
        counterResetHint: .notCounterReset, schema: -53, count: 5, sum: 10,
        positiveSpans: [HistogramSpan(offset: 0, length: 3)], positiveBuckets: [1, 1, 0], customValues: [0.5, 1, 2.5])
    static let floatHistogram = FloatHistogram(
        counterResetHint: .counterReset, schema: 1, zeroThreshold: 0.5, zeroCount: 1.5, count: 9.5, sum: -4.25,
        positiveSpans: [HistogramSpan(offset: 0, length: 2)], negativeSpans: [HistogramSpan(offset: -3, length: 1)],
        positiveBuckets: [2.5, 3], negativeBuckets: [2.5])

    static let series: [WriteSeries] = [
        WriteSeries(labels: Labels([Label("__name__", "http_requests_total"), Label("instance", "a:1"), Label("job", "api")]),
                    samples: [WriteSample(1000, 1.5), WriteSample(2000, -3)],
                    exemplars: [WriteExemplar(labels: Labels([Label("trace_id", "abc")]), timestamp: 1500, value: 1)]),
        WriteSeries(labels: Labels([Label("__name__", "rpc_latency"), Label("job", "api")]),
                    histograms: [WriteHistogram(3000, .int(intHistogram)), WriteHistogram(4000, .int(customBuckets))]),
        WriteSeries(labels: Labels([Label("__name__", "rpc_latency_f"), Label("job", "api")]),
                    samples: [WriteSample(-1, 0.25)],
                    histograms: [WriteHistogram(5000, .float(floatHistogram))]),
    ]

    static let batch = WriteBatch(series: series)
}

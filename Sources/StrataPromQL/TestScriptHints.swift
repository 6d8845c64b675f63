import StrataCore

/// The counter-reset hints native histograms loaded by a test script carry when Prometheus's
/// TSDB head hands them back, which some expectations depend on (e.g. `sum` of counters
/// yields `not_reset`). Samples are read from float histogram chunks: gauges from a gauge
/// chunk are gauges; in a counter chunk the first sample is `unknown` (Prometheus cannot
/// trust the chunk header) and every later one `not_reset`. A new chunk starts with a series'
/// first histogram, after a float (e.g. a stale marker), at a counter reset (an explicit
/// `reset` hint, a smaller count or zero count, a bucket that shrinks or vanishes, other
/// custom bounds), at a layout change (schema, zero threshold), when switching between gauge
/// and counter, and every 120 samples.
struct HeadHistogramHints {
    struct Chunk {
        var last: FloatHistogram
        var samples: Int
        var gauge: Bool
    }

    /// The open histogram chunk per series; nil after a float.
    private var chunks: [Labels: Chunk] = [:]

    mutating func float(_ labels: Labels) { chunks[labels] = nil }

    mutating func histogram(_ labels: Labels, _ h0: FloatHistogram) -> FloatHistogram {
        var h = h0
        let gauge = h.counterResetHint == .gauge
        if var c = chunks[labels], c.gauge == gauge, c.samples < 120, gauge || Self.appendable(c.last, h) {
            h.counterResetHint = gauge ? .gauge : .notCounterReset
            c.last = h
            c.samples += 1
            chunks[labels] = c
            return h
        }
        h.counterResetHint = gauge ? .gauge : .unknown
        chunks[labels] = Chunk(last: h, samples: 1, gauge: gauge)
        return h
    }

    /// Prometheus's float histogram appendable(): whether `h` continues `prev`'s chunk.
    static func appendable(_ prev: FloatHistogram, _ h: FloatHistogram) -> Bool {
        if h.counterResetHint == .counterReset { return false }
        if isStaleNaN(h.sum) { return true }
        if isStaleNaN(prev.sum) { return false }
        if h.count < prev.count || h.schema != prev.schema || h.zeroThreshold != prev.zeroThreshold { return false }
        if h.usesCustomBuckets && h.customValues != prev.customValues { return false }
        if h.zeroCount < prev.zeroCount { return false }
        func shrinks(_ a: [(Int32, Double)], _ b: [(Int32, Double)]) -> Bool {
            let now = Dictionary(b, uniquingKeysWith: { x, _ in x })
            return a.contains { idx, count in count > (now[idx] ?? 0) || (count > 0 && now[idx] == nil) }
        }
        return !shrinks(HistogramBucket.walk(prev.positiveSpans, prev.positiveBuckets), HistogramBucket.walk(h.positiveSpans, h.positiveBuckets))
            && !shrinks(HistogramBucket.walk(prev.negativeSpans, prev.negativeBuckets), HistogramBucket.walk(h.negativeSpans, h.negativeBuckets))
    }
}

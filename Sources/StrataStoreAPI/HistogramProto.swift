import StrataCore

/// Native histograms as Prometheus's protobuf `Histogram` carries them (remote read and write,
/// and Thanos's Query API answers): float counts are sent as they are; integer counts (delta
/// encoded, as Prometheus writes them) are read back into absolute float counts.
extension Prometheus_Histogram {
    /// A float histogram sample at `timestamp`. Custom-bucket histograms (schema -53) cannot
    /// be carried: this message has no `custom_values` (check `usesCustomBuckets` first).
    public init(_ h: FloatHistogram, timestamp: Int64) {
        self.init()
        countFloat = h.count
        sum = h.sum
        schema = h.schema
        zeroThreshold = h.zeroThreshold
        zeroCountFloat = h.zeroCount
        negativeSpans = h.negativeSpans.map(Prometheus_BucketSpan.init)
        negativeCounts = h.negativeBuckets
        positiveSpans = h.positiveSpans.map(Prometheus_BucketSpan.init)
        positiveCounts = h.positiveBuckets
        switch h.counterResetHint {
        case .unknown: resetHint = .unknown
        case .counterReset: resetHint = .yes
        case .notCounterReset: resetHint = .no
        case .gauge: resetHint = .gauge
        }
        self.timestamp = timestamp
    }

    /// The sample as a float histogram: integer histograms through `Histogram.toFloat()`
    /// (delta counts made absolute as Prometheus's ToFloat does), float ones as they are.
    public var floatHistogram: FloatHistogram {
        let hint: CounterResetHint
        switch resetHint {
        case .yes: hint = .counterReset
        case .no: hint = .notCounterReset
        case .gauge: hint = .gauge
        default: hint = .unknown
        }
        let pos = positiveSpans.map { HistogramSpan(offset: $0.offset, length: $0.length) }
        let neg = negativeSpans.map { HistogramSpan(offset: $0.offset, length: $0.length) }
        if case .countInt(let total)? = count {
            var zero: UInt64 = 0
            if case .zeroCountInt(let z)? = zeroCount { zero = z }
            return Histogram(counterResetHint: hint, schema: schema, zeroThreshold: zeroThreshold, zeroCount: zero,
                             count: total, sum: sum, positiveSpans: pos, negativeSpans: neg,
                             positiveBuckets: positiveDeltas, negativeBuckets: negativeDeltas).toFloat()
        }
        var zero = 0.0
        if case .zeroCountFloat(let z)? = zeroCount { zero = z }
        var total = 0.0
        if case .countFloat(let c)? = count { total = c }
        return FloatHistogram(counterResetHint: hint, schema: schema, zeroThreshold: zeroThreshold, zeroCount: zero,
                              count: total, sum: sum, positiveSpans: pos, negativeSpans: neg,
                              positiveBuckets: positiveCounts, negativeBuckets: negativeCounts)
    }
}

extension Prometheus_BucketSpan {
    init(_ s: HistogramSpan) {
        self.init()
        offset = s.offset
        length = s.length
    }
}

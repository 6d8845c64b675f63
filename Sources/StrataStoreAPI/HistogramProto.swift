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

    /// The sample as a float histogram (integer counts made absolute).
    public var floatHistogram: FloatHistogram {
        func absolute(_ deltas: [Int64]) -> [Double] {
            var out: [Double] = []
            out.reserveCapacity(deltas.count)
            var current: Int64 = 0
            for d in deltas {
                current &+= d
                out.append(Double(current))
            }
            return out
        }
        let hint: CounterResetHint
        switch resetHint {
        case .yes: hint = .counterReset
        case .no: hint = .notCounterReset
        case .gauge: hint = .gauge
        default: hint = .unknown
        }
        let integer: Bool
        if case .countInt? = count { integer = true } else { integer = false }
        let zero: Double
        switch zeroCount {
        case .zeroCountInt(let v)?: zero = Double(v)
        case .zeroCountFloat(let v)?: zero = v
        case nil: zero = 0
        }
        let total: Double
        switch count {
        case .countInt(let v)?: total = Double(v)
        case .countFloat(let v)?: total = v
        case nil: total = 0
        }
        return FloatHistogram(counterResetHint: hint, schema: schema, zeroThreshold: zeroThreshold, zeroCount: zero,
                              count: total, sum: sum,
                              positiveSpans: positiveSpans.map { HistogramSpan(offset: $0.offset, length: $0.length) },
                              negativeSpans: negativeSpans.map { HistogramSpan(offset: $0.offset, length: $0.length) },
                              positiveBuckets: integer ? absolute(positiveDeltas) : positiveCounts,
                              negativeBuckets: integer ? absolute(negativeDeltas) : negativeCounts)
    }
}

extension Prometheus_BucketSpan {
    init(_ s: HistogramSpan) {
        self.init()
        offset = s.offset
        length = s.length
    }
}

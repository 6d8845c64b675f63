import StrataCore

/// How a new sample fits the chunk being appended to (Prometheus `appendable` /
/// `appendableGauge`).
struct HistogramFit {
    var ok = false
    /// The header a new chunk started by this sample gets.
    var header: CounterResetHeader = .notCounterReset
    var posForward: [BucketInsert] = [], negForward: [BucketInsert] = []
    var posBackward: [BucketInsert] = [], negBackward: [BucketInsert] = []
    var posMerged: [HistogramSpan] = [], negMerged: [HistogramSpan] = []

    var hasForward: Bool { !posForward.isEmpty || !negForward.isEmpty }
    var hasBackward: Bool { !posBackward.isEmpty || !negBackward.isEmpty }
}

/// The facts about the last sample of a chunk that the append rules compare against.
struct HistogramChunkTail {
    var count: Int
    var header: CounterResetHeader
    var layout: HistogramLayout
    var lastStale: Bool
    var lastCount: Double
    var lastZeroCount: Double
    /// Absolute bucket counts of the last sample.
    var positive: [Double]
    var negative: [Double]

    /// Counter rules (Prometheus `appendable`): a lower count, zero count or bucket, or a
    /// vanished non-empty bucket, is a reset; another schema or zero threshold needs a new
    /// chunk with an unknown reset; a sample after a stale marker starts a new chunk.
    func fitCounter(_ hint: CounterResetHint, stale: Bool, count c: Double, zeroCount z: Double, schema: Int32,
                    zeroThreshold: Double, customValues: [Double], posSpans: [HistogramSpan], pos: [Double],
                    negSpans: [HistogramSpan], neg: [Double]) -> HistogramFit {
        var f = HistogramFit()
        if count > 0 && header == .gauge { return f }
        if hint == .counterReset { f.header = .counterReset; return f }
        if stale { f.ok = true; return f }
        if lastStale { f.header = .unknown; return f }
        if c < lastCount { f.header = .counterReset; return f }
        if schema != layout.schema || zeroThreshold != layout.zeroThreshold { f.header = .unknown; return f }
        if HistogramSchema.isCustomBuckets(schema) && customValues != layout.customValues { f.header = .counterReset; return f }
        if z < lastZeroCount { f.header = .counterReset; return f }
        guard let p = expandSpansAndBuckets(layout.positiveSpans, posSpans, positive, pos),
              let n = expandSpansAndBuckets(layout.negativeSpans, negSpans, negative, neg) else {
            f.header = .counterReset
            return f
        }
        f.posForward = p.forward; f.posBackward = p.backward
        f.negForward = n.forward; f.negBackward = n.backward
        f.ok = true
        return f
    }

    /// Gauge rules (Prometheus `appendableGauge`): any bucket change is absorbed by merging
    /// the spans both ways; only a layout change or a stale marker before needs a new chunk.
    func fitGauge(stale: Bool, schema: Int32, zeroThreshold: Double, customValues: [Double],
                  posSpans: [HistogramSpan], negSpans: [HistogramSpan]) -> HistogramFit {
        var f = HistogramFit()
        f.header = .gauge
        if count > 0 && header != .gauge { return f }
        if stale { f.ok = true; return f }
        if lastStale { return f }
        if schema != layout.schema || zeroThreshold != layout.zeroThreshold { return f }
        if HistogramSchema.isCustomBuckets(schema) && customValues != layout.customValues { return f }
        let p = expandSpansBothWays(layout.positiveSpans, posSpans)
        let n = expandSpansBothWays(layout.negativeSpans, negSpans)
        f.posForward = p.forward; f.posBackward = p.backward; f.posMerged = p.merged
        f.negForward = n.forward; f.negBackward = n.backward; f.negMerged = n.merged
        f.ok = true
        return f
    }
}

/// Checks a sample before it is encoded: spans and bucket arrays must agree.
func validateBuckets(_ spans: [HistogramSpan], _ n: Int, _ what: String) throws {
    guard spans.bucketCount == n else {
        throw TSDBError.invalidArgument("histogram \(what) spans cover \(spans.bucketCount) buckets but \(n) counts are given")
    }
}

import StrataCore

/// A batch of samples for a `Head` (Prometheus's `storage.Appender`): `append` resolves or
/// creates the series and returns its ref; nothing is visible or durable until `commit`,
/// which writes the batch to the WAL first. One appender per batch and task; it is not
/// thread-safe itself, the head is.
///
/// Appending by ref skips the label lookup (a scraper's or rule group's cache); a ref
/// becomes unknown once its series left the head after a block cut, then append by labels.
public final class HeadAppender {
    let head: Head
    var floats: [PendingFloat] = []
    var histograms: [PendingHistogram] = []

    struct PendingFloat {
        let series: MemSeries
        let t: Int64
        let v: Double
    }

    enum HistogramValue: Equatable {
        case int(Histogram)
        case float(FloatHistogram)
    }

    struct PendingHistogram {
        let series: MemSeries
        let t: Int64
        let value: HistogramValue
    }

    init(head: Head) { self.head = head }

    /// Number of samples in the batch.
    public var count: Int { floats.count + histograms.count }

    @discardableResult
    public func append(_ labels: Labels, _ t: Int64, _ v: Double) throws -> UInt64 {
        guard !labels.isEmpty else { throw HeadError.emptyLabels }
        let s = head.lockedSeries(for: labels)
        floats.append(PendingFloat(series: s, t: t, v: v))
        return s.ref
    }

    public func append(ref: UInt64, _ t: Int64, _ v: Double) throws {
        floats.append(PendingFloat(series: try head.lockedSeries(ref: ref), t: t, v: v))
    }

    @discardableResult
    public func append(_ labels: Labels, _ t: Int64, histogram h: Histogram) throws -> UInt64 {
        guard !labels.isEmpty else { throw HeadError.emptyLabels }
        try Self.check(h.schema, h.sum, h.positiveSpans, h.positiveBuckets.count, h.negativeSpans, h.negativeBuckets.count)
        let s = head.lockedSeries(for: labels)
        histograms.append(PendingHistogram(series: s, t: t, value: .int(h)))
        return s.ref
    }

    @discardableResult
    public func append(_ labels: Labels, _ t: Int64, floatHistogram h: FloatHistogram) throws -> UInt64 {
        guard !labels.isEmpty else { throw HeadError.emptyLabels }
        try Self.check(h.schema, h.sum, h.positiveSpans, h.positiveBuckets.count, h.negativeSpans, h.negativeBuckets.count)
        let s = head.lockedSeries(for: labels)
        histograms.append(PendingHistogram(series: s, t: t, value: .float(h)))
        return s.ref
    }

    /// Refuses what the WAL or the chunks could not take, before it reaches either.
    static func check(_ schema: Int32, _ sum: Double, _ pos: [HistogramSpan], _ npos: Int, _ neg: [HistogramSpan], _ nneg: Int) throws {
        if HistogramSchema.isCustomBuckets(schema) { throw HeadError.customBucketsUnsupported }
        guard HistogramSchema.isExponential(schema) else { throw HeadError.invalidHistogram("schema \(schema)") }
        if isStaleNaN(sum) { return }
        guard pos.bucketCount == npos else { throw HeadError.invalidHistogram("positive spans cover \(pos.bucketCount) buckets, \(npos) counts given") }
        guard neg.bucketCount == nneg else { throw HeadError.invalidHistogram("negative spans cover \(neg.bucketCount) buckets, \(nneg) counts given") }
    }

    /// Checks the batch, writes what is accepted to the WAL (fsynced per the head's policy),
    /// applies it and returns the counts. When the WAL write fails nothing is applied and
    /// the error is thrown. The appender is empty afterwards and can take the next batch.
    @discardableResult
    public func commit() throws -> AppendResult {
        defer { floats.removeAll(keepingCapacity: true); histograms.removeAll(keepingCapacity: true) }
        return try head.commit(self)
    }

    /// Drops the batch. Series it created stay in the head (without samples they are removed
    /// at the next block cut).
    public func rollback() {
        floats.removeAll(keepingCapacity: true)
        histograms.removeAll(keepingCapacity: true)
    }
}

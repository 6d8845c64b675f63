/// Why the head refused a sample. Raw values are the `reason` label of
/// `strata_tsdb_head_rejected_samples_total` (Prometheus counts the same cases as
/// `prometheus_tsdb_out_of_order_samples_total`, `prometheus_tsdb_out_of_bound_samples_total`
/// and, for duplicates, in its append errors).
public enum SampleRejection: String, Sendable, CaseIterable, Hashable {
    /// Older than the newest sample the series already has (Prometheus
    /// `ErrOutOfOrderSample`). The head keeps no out-of-order window.
    case outOfOrder = "out_of_order"
    /// Older than the appendable window: behind the last block written, or more than half a
    /// block duration behind the newest sample of the head (Prometheus `ErrOutOfBounds`).
    case tooOld = "too_old"
    /// Same timestamp as the series' newest sample with a different value (Prometheus
    /// `ErrDuplicateSampleForTimestamp`). An identical sample is dropped without a rejection.
    case duplicateTimestamp = "duplicate_timestamp"
}

/// The outcome of a committed batch.
public struct AppendResult: Sendable, Equatable {
    /// Samples now in the WAL and the head.
    public var appended = 0
    /// Exact repeats of a series' newest sample, dropped silently as Prometheus does.
    public var duplicates = 0
    /// Refused samples by reason; nothing of them reached the WAL.
    public var rejected: [SampleRejection: Int] = [:]

    public init() {}

    public var rejectedTotal: Int { rejected.values.reduce(0, +) }
}

/// An append the head cannot take at all (as opposed to a counted rejection).
public enum HeadError: Error, CustomStringConvertible, Equatable {
    case emptyLabels
    case unknownSeriesRef(UInt64)
    /// Native histograms with custom buckets (schema -53) need Prometheus 3's WAL record
    /// types, which `promtool` 2.42 cannot read.
    case customBucketsUnsupported
    case invalidHistogram(String)
    case closed

    public var description: String {
        switch self {
        case .emptyLabels: return "series without labels"
        case .unknownSeriesRef(let r): return "unknown series ref \(r) (dropped from the head after its samples went into a block?): append by labels"
        case .customBucketsUnsupported: return "native histograms with custom buckets are not supported by the head (its WAL must stay readable by Prometheus 2.42)"
        case .invalidHistogram(let m): return "invalid histogram: \(m)"
        case .closed: return "the head is closed"
        }
    }
}

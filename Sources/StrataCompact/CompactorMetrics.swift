import Metrics

/// The compactor's metrics, named like Thanos's `thanos_compact_*` with the `strata_` prefix
/// so existing dashboards translate one to one.
public struct CompactorMetrics: Sendable {
    /// Compactions, downsamplings and deletions the current pass still has to do.
    public let todoCompactions: Gauge
    public let todoDownsamples: Gauge
    public let todoDeletions: Gauge
    public let compactions: Counter
    public let compactionFailures: Counter
    public let downsamples: Counter
    public let downsampleFailures: Counter
    /// Blocks given a deletion mark, by reason (`compacted`, `retention`, `duplicate`).
    public let markedForDeletion: [String: Counter]
    public let deleted: Counter
    public let partialsRemoved: Counter
    /// Blocks given a no-compact mark because they cannot be read or overlap unexpectedly.
    public let quarantined: Counter
    public let samplesCompacted: Counter
    public let passes: Counter
    public let passFailures: Counter
    public let lastSuccessfulPass: Gauge
    /// 1 while this process holds the bucket lock.
    public let lockHeld: Gauge

    public init(factory: MetricsFactory = MetricsSystem.factory) {
        todoCompactions = Gauge(label: "strata_compact_todo_compactions", factory: factory)
        todoDownsamples = Gauge(label: "strata_compact_todo_downsample_blocks", factory: factory)
        todoDeletions = Gauge(label: "strata_compact_todo_deletion_blocks", factory: factory)
        compactions = Counter(label: "strata_compact_group_compactions_total", factory: factory)
        compactionFailures = Counter(label: "strata_compact_group_compactions_failures_total", factory: factory)
        downsamples = Counter(label: "strata_compact_downsample_total", factory: factory)
        downsampleFailures = Counter(label: "strata_compact_downsample_failures_total", factory: factory)
        var marked: [String: Counter] = [:]
        for reason in ["compacted", "retention", "duplicate"] {
            marked[reason] = Counter(label: "strata_compact_blocks_marked_for_deletion_total", dimensions: [("reason", reason)], factory: factory)
        }
        markedForDeletion = marked
        deleted = Counter(label: "strata_compact_blocks_cleaned_total", factory: factory)
        partialsRemoved = Counter(label: "strata_compact_aborted_partial_uploads_deleted_total", factory: factory)
        quarantined = Counter(label: "strata_compact_quarantined_blocks_total", factory: factory)
        samplesCompacted = Counter(label: "strata_compact_samples_total", factory: factory)
        passes = Counter(label: "strata_compact_iterations_total", factory: factory)
        passFailures = Counter(label: "strata_compact_iteration_failures_total", factory: factory)
        lastSuccessfulPass = Gauge(label: "strata_compact_last_successful_run_timestamp_seconds", factory: factory)
        lockHeld = Gauge(label: "strata_compact_lock_held", factory: factory)
    }
}

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
    /// Chunks of an encoding Strata cannot decode (XOR2, start-timestamp histograms, an
    /// unknown byte) met by compaction or downsampling; their blocks stay un-downsampled.
    public let unsupportedChunks: Counter
    public let passes: Counter
    public let passFailures: Counter
    public let lastSuccessfulPass: Gauge
    /// 1 while this process holds the bucket lock.
    public let lockHeld: Gauge
    /// When the bucket lock expires unless renewed, as this process last saw it: its own
    /// lock while holding it, the holder's while waiting. Far in the past while waiting
    /// means a dead holder that nobody takes over.
    public let lockExpiry: Gauge
    /// Locks of dead holders (expired or unreadable) this process took over.
    public let lockTakeovers: Counter

    public init(factory: MetricsFactory = MetricsSystem.factory) {
        func c(_ label: String) -> Counter { Counter(label: label, factory: factory) }
        func g(_ label: String) -> Gauge { Gauge(label: label, factory: factory) }
        todoCompactions = g("strata_compact_todo_compactions")
        todoDownsamples = g("strata_compact_todo_downsample_blocks")
        todoDeletions = g("strata_compact_todo_deletion_blocks")
        compactions = c("strata_compact_group_compactions_total")
        compactionFailures = c("strata_compact_group_compactions_failures_total")
        downsamples = c("strata_compact_downsample_total")
        downsampleFailures = c("strata_compact_downsample_failures_total")
        markedForDeletion = Dictionary(uniqueKeysWithValues: ["compacted", "retention", "duplicate"].map {
            ($0, Counter(label: "strata_compact_blocks_marked_for_deletion_total", dimensions: [("reason", $0)], factory: factory))
        })
        deleted = c("strata_compact_blocks_cleaned_total")
        partialsRemoved = c("strata_compact_aborted_partial_uploads_deleted_total")
        quarantined = c("strata_compact_quarantined_blocks_total")
        samplesCompacted = c("strata_compact_samples_total")
        unsupportedChunks = c("strata_compact_unsupported_chunks_total")
        passes = c("strata_compact_iterations_total")
        passFailures = c("strata_compact_iteration_failures_total")
        lastSuccessfulPass = g("strata_compact_last_successful_run_timestamp_seconds")
        lockHeld = g("strata_compact_lock_held")
        lockExpiry = g("strata_compact_lock_expiry_timestamp_seconds")
        lockTakeovers = c("strata_compact_lock_takeovers_total")
    }
}

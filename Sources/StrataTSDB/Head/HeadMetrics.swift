import Metrics

/// The head's metrics, named after Prometheus's `prometheus_tsdb_*` with the `strata_`
/// prefix; refusals are one counter with a `reason` label (see `SampleRejection`) and
/// Prometheus's `type` label (`float`, `histogram`).
struct HeadMetrics {
    let appendedFloats: Counter
    let appendedHistograms: Counter
    let rejected: [SampleRejection: (float: Counter, histogram: Counter)]
    let seriesCreated: Counter
    let seriesRemoved: Counter
    let series: Gauge
    let walCorruptions: Counter
    let walWriteFailures: Counter
    let checkpoints: Counter
    let checkpointFailures: Counter
    let blocksWritten: Counter
    let truncations: Counter

    init(factory: MetricsFactory) {
        func c(_ label: String, _ dims: [(String, String)] = []) -> Counter { Counter(label: label, dimensions: dims, factory: factory) }
        appendedFloats = c("strata_tsdb_head_samples_appended_total", [("type", "float")])
        appendedHistograms = c("strata_tsdb_head_samples_appended_total", [("type", "histogram")])
        rejected = Dictionary(uniqueKeysWithValues: SampleRejection.allCases.map { r in
            (r, (c("strata_tsdb_head_rejected_samples_total", [("reason", r.rawValue), ("type", "float")]),
                 c("strata_tsdb_head_rejected_samples_total", [("reason", r.rawValue), ("type", "histogram")])))
        })
        seriesCreated = c("strata_tsdb_head_series_created_total")
        seriesRemoved = c("strata_tsdb_head_series_removed_total")
        series = Gauge(label: "strata_tsdb_head_series", factory: factory)
        walCorruptions = c("strata_tsdb_wal_corruptions_total")
        walWriteFailures = c("strata_tsdb_wal_writes_failed_total")
        checkpoints = c("strata_tsdb_checkpoint_creations_total")
        checkpointFailures = c("strata_tsdb_checkpoint_creations_failed_total")
        blocksWritten = c("strata_tsdb_head_blocks_written_total")
        truncations = c("strata_tsdb_head_truncations_total")
    }
}

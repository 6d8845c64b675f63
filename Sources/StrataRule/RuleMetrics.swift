import Metrics

/// The rule manager's metrics under Prometheus's own names (Thanos's ruler exports the same,
/// from the same Prometheus code), labelled by `rule_group` = `<file>;<group>`, plus the
/// ruler's own under `strata_rule_` where Thanos has `thanos_rule_`.
struct GroupMetrics: Sendable {
    let evaluationDuration: Timer
    let groupDuration: Timer
    let evaluations: Counter
    let failures: Counter
    let missed: Counter
    let iterations: Counter
    let interval: Gauge
    let lastDuration: Gauge
    let lastEvaluation: Gauge
    let lastSamples: Gauge
    let rules: Gauge
    let warnings: Counter

    init(key: String, strategy: PartialResponseStrategy) {
        let d = [("rule_group", key)]
        evaluationDuration = Timer(label: "prometheus_rule_evaluation_duration_seconds")
        groupDuration = Timer(label: "prometheus_rule_group_duration_seconds")
        evaluations = Counter(label: "prometheus_rule_evaluations_total", dimensions: d)
        failures = Counter(label: "prometheus_rule_evaluation_failures_total", dimensions: d)
        missed = Counter(label: "prometheus_rule_group_iterations_missed_total", dimensions: d)
        iterations = Counter(label: "prometheus_rule_group_iterations_total", dimensions: d)
        interval = Gauge(label: "prometheus_rule_group_interval_seconds", dimensions: d)
        lastDuration = Gauge(label: "prometheus_rule_group_last_duration_seconds", dimensions: d)
        lastEvaluation = Gauge(label: "prometheus_rule_group_last_evaluation_timestamp_seconds", dimensions: d)
        lastSamples = Gauge(label: "prometheus_rule_group_last_evaluation_samples", dimensions: d)
        rules = Gauge(label: "prometheus_rule_group_rules", dimensions: d)
        warnings = Counter(label: "strata_rule_evaluation_with_warnings_total",
                           dimensions: [("strategy", strategy.rawValue.lowercased())])
    }
}

/// Whole-ruler metrics.
struct RulerMetrics: Sendable {
    let reloadSuccessful = Gauge(label: "strata_rule_config_last_reload_successful")
    let reloadTimestamp = Gauge(label: "strata_rule_config_last_reload_success_timestamp_seconds")
    let reloads = Counter(label: "strata_rule_config_reloads_total")
    let reloadFailures = Counter(label: "strata_rule_config_reload_failures_total")
    let appendFailures = Counter(label: "strata_rule_append_failures_total")
    let rejectedSamples = Counter(label: "strata_rule_rejected_samples_total")

    func loadedRules(strategy: PartialResponseStrategy, kind: String) -> Gauge {
        Gauge(label: "strata_rule_loaded_rules", dimensions: [("strategy", strategy.rawValue.lowercased()), ("type", kind)])
    }
}

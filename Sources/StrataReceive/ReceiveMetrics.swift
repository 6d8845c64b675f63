import Metrics
import StrataTSDB

/// The receiver's metrics (`strata_receive_*` where Thanos has `thanos_receive_*`). Counters
/// are labelled by tenant and, for rejections, by reason (the head's rejection reasons,
/// `invalid`, `head_series_limit`, `wal`, or the HTTP answer's reason).
public struct ReceiveMetrics: Sendable {
    let requestDuration = Timer(label: "strata_receive_request_duration_seconds")
    let inflightBytes = Gauge(label: "strata_receive_inflight_request_bytes")
    let hashringReloads = Counter(label: "strata_receive_hashrings_file_changes_total")
    let hashringReloadFailures = Counter(label: "strata_receive_hashrings_file_errors_total")
    let hashringNodes = Gauge(label: "strata_receive_hashring_nodes")
    let limitsReloadFailures = Counter(label: "strata_receive_limits_config_reload_err_total")

    public init() {}

    /// Why a request is refused before it reaches the heads (`refused(reason:)`).
    static let refusalReasons = ["size_bytes_limit", "series_limit", "samples_limit", "inflight_bytes", "max_concurrency", "body"]
    /// Why samples are rejected (`rejected(tenant:reason:samples:)`): the head's reasons and the receiver's own.
    static let rejectionReasons = SampleRejection.allCases.map(\.rawValue) + ["invalid", "invalid_series", "head_series_limit", "wal"]

    /// Creates, at zero, the series whose label values are known before the first request:
    /// refusal reasons, the default tenant's intake and rejections, forwarding and replication
    /// outcomes. A rejection rate is then 0 rather than absent, and dashboards and alerts find
    /// the metrics from the start (Prometheus's advice for labelled counters). Other tenants'
    /// series appear with their first request.
    func registerKnownSeries(defaultTenant: String) {
        for reason in Self.refusalReasons {
            _ = Counter(label: "strata_receive_requests_refused_total", dimensions: [("reason", reason)])
        }
        received(tenant: defaultTenant, series: 0, samples: 0, histograms: 0, exemplars: 0)
        _ = Counter(label: "strata_receive_samples_appended_total", dimensions: [("tenant", defaultTenant)])
        for reason in Self.rejectionReasons {
            _ = Counter(label: "strata_receive_samples_rejected_total", dimensions: [("tenant", defaultTenant), ("reason", reason)])
        }
        _ = Counter(label: "strata_receive_forward_requests_total", dimensions: [("result", "success")])
        for result in ["success", "quorum_not_reached"] {
            _ = Counter(label: "strata_receive_replications_total", dimensions: [("result", result)])
        }
    }

    func request(code: Int) {
        Counter(label: "strata_receive_requests_total", dimensions: [("code", String(code))]).increment()
    }

    func appended(tenant: String, samples: Int) {
        guard samples > 0 else { return }
        Counter(label: "strata_receive_samples_appended_total", dimensions: [("tenant", tenant)]).increment(by: samples)
    }

    func received(tenant: String, series: Int, samples: Int, histograms: Int, exemplars: Int) {
        let d = [("tenant", tenant)]
        Counter(label: "strata_receive_series_received_total", dimensions: d).increment(by: series)
        Counter(label: "strata_receive_samples_received_total", dimensions: d).increment(by: samples)
        Counter(label: "strata_receive_histograms_received_total", dimensions: d).increment(by: histograms)
        Counter(label: "strata_receive_exemplars_received_total", dimensions: d).increment(by: exemplars)
    }

    /// Exemplars stored, and refused by reason (`out_of_order`, `labels_too_long`, `disabled`
    /// when `--tsdb.max-exemplars` is 0).
    func exemplars(tenant: String, stored: Int, refused: [String: Int]) {
        if stored > 0 { Counter(label: "strata_receive_exemplars_appended_total", dimensions: [("tenant", tenant)]).increment(by: stored) }
        for (reason, n) in refused {
            Counter(label: "strata_receive_exemplars_rejected_total", dimensions: [("tenant", tenant), ("reason", reason)]).increment(by: n)
        }
    }

    func rejected(tenant: String, reason: String, samples: Int) {
        guard samples > 0 else { return }
        Counter(label: "strata_receive_samples_rejected_total", dimensions: [("tenant", tenant), ("reason", reason)]).increment(by: samples)
    }

    /// A request rejected before it reached the heads (limits, overload, undecodable).
    func refused(reason: String) {
        Counter(label: "strata_receive_requests_refused_total", dimensions: [("reason", reason)]).increment()
    }

    /// One batch sent to another receiver: `result` success or the error's reason.
    func forwarded(endpoint: String, series: Int, result: String) {
        Counter(label: "strata_receive_forward_requests_total", dimensions: [("result", result)]).increment()
        Counter(label: "strata_receive_forwarded_series_total", dimensions: [("endpoint", endpoint), ("result", result)]).increment(by: series)
    }

    func replication(result: String) {
        Counter(label: "strata_receive_replications_total", dimensions: [("result", result)]).increment()
    }
}

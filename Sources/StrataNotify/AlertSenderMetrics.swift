import CoreMetrics
import Metrics
import Synchronization

/// Thanos's alert queue and sender metrics (pkg/alert/alert.go) with `strata_` in place of
/// `thanos_`, plus Prometheus's count of discovered Alertmanagers
/// (`prometheus_notifications_alertmanagers_discovered`) and a count of retries, which
/// Thanos does not make. `alertmanager` is the `host:port` posted to, as Thanos labels it.
final class AlertSenderMetrics: Sendable {
    let queuePushed: Counter
    let queuePopped: Counter
    let queueDropped: Counter
    let queueCapacity: Gauge
    let queueLength: Gauge
    /// Alerts of batches no Alertmanager took.
    let senderDropped: Counter
    let discovered: Gauge

    struct PerAlertmanager: Sendable {
        let sent: Counter
        let errors: Counter
        let retries: Counter
        let latency: Timer
    }

    private let factory: any MetricsFactory
    private let perAlertmanager = Mutex<[String: PerAlertmanager]>([:])

    init(factory: any MetricsFactory) {
        self.factory = factory
        queuePushed = Counter(label: "strata_alert_queue_alerts_pushed_total", factory: factory)
        queuePopped = Counter(label: "strata_alert_queue_alerts_popped_total", factory: factory)
        queueDropped = Counter(label: "strata_alert_queue_alerts_dropped_total", factory: factory)
        queueCapacity = Gauge(label: "strata_alert_queue_capacity", factory: factory)
        queueLength = Gauge(label: "strata_alert_queue_length", factory: factory)
        senderDropped = Counter(label: "strata_alert_sender_alerts_dropped_total", factory: factory)
        discovered = Gauge(label: "strata_alertmanagers_discovered", factory: factory)
    }

    /// The series of one Alertmanager, made on first use (Alertmanagers come and go with DNS).
    func alertmanager(_ address: String) -> PerAlertmanager {
        perAlertmanager.withLock { m in
            if let x = m[address] { return x }
            let dims = [("alertmanager", address)]
            let x = PerAlertmanager(
                sent: Counter(label: "strata_alert_sender_alerts_sent_total", dimensions: dims, factory: factory),
                errors: Counter(label: "strata_alert_sender_errors_total", dimensions: dims, factory: factory),
                retries: Counter(label: "strata_alert_sender_retries_total", dimensions: dims, factory: factory),
                latency: Timer(label: "strata_alert_sender_latency_seconds", dimensions: dims, preferredDisplayUnit: .seconds, factory: factory))
            m[address] = x
            return x
        }
    }
}

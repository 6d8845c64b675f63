import Metrics
import StrataCore

/// HTTP API metrics: requests per endpoint and status code, and their durations.
struct QueryMetrics: Sendable {
    /// The query endpoints' series and the bytes received from endpoints exist, at zero, from
    /// the start: dashboards and the slow-query alert (deploy/monitoring) find them before the
    /// first query, as Prometheus initialises the label values it knows in advance.
    init() {
        _ = Counter(label: "strata_query_series_received_bytes_total")
        _ = Counter(label: "strata_query_federation_warnings_total")
        for handler in ["query", "query_range"] {
            _ = Counter(label: "strata_query_http_requests_total", dimensions: [("handler", handler), ("code", "200")])
            _ = Timer(label: "strata_query_http_request_duration_seconds", dimensions: [("handler", handler)])
        }
    }

    /// Warnings (endpoints that failed under partial response) while answering `/federate`,
    /// as Prometheus's `prometheus_web_federation_warnings_total`: the answer lacks their series.
    func federationWarnings(_ n: Int) {
        Counter(label: "strata_query_federation_warnings_total").increment(by: n)
    }

    func record(endpoint: String, status: Int, since start: ContinuousClock.Instant) {
        let d = ContinuousClock.now - start
        Counter(label: "strata_query_http_requests_total", dimensions: [("handler", endpoint), ("code", String(status))]).increment()
        Timer(label: "strata_query_http_request_duration_seconds", dimensions: [("handler", endpoint)]).recordNanoseconds(d.nanoseconds)
    }
}

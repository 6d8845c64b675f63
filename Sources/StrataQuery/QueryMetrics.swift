import Metrics
import StrataCore

/// HTTP API metrics: requests per endpoint and status code, and their durations.
struct QueryMetrics: Sendable {
    func record(endpoint: String, status: Int, since start: ContinuousClock.Instant) {
        let d = ContinuousClock.now - start
        Counter(label: "strata_query_http_requests_total", dimensions: [("handler", endpoint), ("code", String(status))]).increment()
        Timer(label: "strata_query_http_request_duration_seconds", dimensions: [("handler", endpoint)]).recordNanoseconds(d.nanoseconds)
    }
}

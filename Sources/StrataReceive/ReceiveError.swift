/// Why a write was refused, with the HTTP status a remote-write client gets (Prometheus
/// retries 5xx and, when configured, 429; it drops a request answered with another 4xx).
public enum ReceiveError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A tenant that cannot be a directory name: 400.
    case invalidTenant(String)
    /// Malformed or invalid data (bad labels, histogram spans, …): 400.
    case invalid(String)
    /// Samples the heads refused as Prometheus's receiver refuses them (out of order, out of
    /// bounds, duplicate timestamp with another value): 400, so they are not re-sent.
    case conflict(String)
    /// A request over a size, series or samples limit: 413 (it can never pass).
    case tooLarge(String)
    /// A Content-Type or Content-Encoding the receiver does not speak: 415.
    case unsupportedMediaType(String)
    /// Over a tenant's active series, the concurrency limit or the in-flight memory budget:
    /// 429 — try again later.
    case tooManyRequests(String)
    /// Replicas did not acknowledge (quorum not reached), the receiver is not ready or
    /// overloaded: 503 — Prometheus keeps re-sending.
    case unavailable(String)
    /// The WAL could not be written: 500 (retried).
    case `internal`(String)

    public var httpStatus: Int {
        switch self {
        case .invalidTenant, .invalid, .conflict: return 400
        case .tooLarge: return 413
        case .unsupportedMediaType: return 415
        case .tooManyRequests: return 429
        case .unavailable: return 503
        case .internal: return 500
        }
    }

    /// Whether the data reached the replica's WAL as far as it could: such an answer counts
    /// towards the write quorum (re-sending would change nothing).
    var acknowledges: Bool {
        switch self {
        case .invalidTenant, .invalid, .conflict, .tooLarge, .unsupportedMediaType: return true
        case .tooManyRequests, .unavailable, .internal: return false
        }
    }

    /// The `reason` label of the rejection counters.
    var reason: String {
        switch self {
        case .invalidTenant: return "invalid_tenant"
        case .invalid: return "invalid"
        case .conflict: return "conflict"
        case .tooLarge: return "too_large"
        case .unsupportedMediaType: return "unsupported_media_type"
        case .tooManyRequests: return "too_many_requests"
        case .unavailable: return "unavailable"
        case .internal: return "internal"
        }
    }

    public var description: String {
        switch self {
        case .invalidTenant(let t): return "invalid tenant \"\(t)\": must be a non-empty name without path separators"
        case .invalid(let m), .conflict(let m), .tooLarge(let m), .unsupportedMediaType(let m), .tooManyRequests(let m), .unavailable(let m), .internal(let m): return m
        }
    }
}

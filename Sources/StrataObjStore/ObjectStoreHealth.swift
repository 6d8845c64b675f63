import Dispatch
import Metrics
import Synchronization

/// Whether the object store answers at all, for a service's `/-/ready` and the
/// `strata_objstore_reachable` gauge (1 reachable, 0 not).
///
/// Fed by every S3 request attempt, retries included, so a service stuck retrying says so
/// at once instead of looking like a hang: any HTTP answer, even a 5xx, proves the endpoint
/// reachable; a refused connection or an unresolvable name makes it unreachable at once;
/// other transport failures (timeouts, dropped connections) only after
/// `consecutiveFailures` in a row, so that one dropped answer among many does not flap the
/// readiness of a busy service. A filesystem bucket is always reachable.
public final class ObjectStoreHealth: Sendable {
    public static let consecutiveFailures = 3

    private struct State {
        var failures = 0
        var cause: String?
        var lastAnswer: UInt64 = 0
    }
    private let state = Mutex(State())
    private let gauge: Gauge
    /// `S3 bucket "x" at host:port`, for the reason shown by `/-/ready`.
    public let location: String

    public init(location: String, factory: any MetricsFactory = MetricsSystem.factory) {
        self.location = location
        gauge = Gauge(label: "strata_objstore_reachable", factory: factory)
        gauge.record(1)
    }

    /// nil while reachable; otherwise why not, naming the store.
    public var unreachableReason: String? {
        state.withLock { s in s.cause.map { "object storage unreachable: \(location): \($0)" } }
    }

    public var isReachable: Bool { unreachableReason == nil }

    /// Nanoseconds (monotonic) since the store last answered; nil before any answer.
    public var sinceLastAnswer: UInt64? {
        let last = state.withLock { $0.lastAnswer }
        return last == 0 ? nil : DispatchTime.now().uptimeNanoseconds - last
    }

    /// The endpoint answered (any HTTP status).
    public func answered() {
        let was = state.withLock { s -> Bool in
            defer { s.failures = 0; s.cause = nil; s.lastAnswer = DispatchTime.now().uptimeNanoseconds }
            return s.cause != nil
        }
        if was { gauge.record(1) }
    }

    /// An attempt got no answer. `certain`: nothing listens or the name does not resolve.
    public func failed(cause: String, certain: Bool) {
        let down = state.withLock { s -> Bool in
            s.failures += 1
            if certain || s.failures >= Self.consecutiveFailures { s.cause = cause }
            return s.cause != nil
        }
        if down { gauge.record(0) }
    }

    /// The key a probe asks for; it need not exist (a 404 is an answer).
    public static let probeKey = "strata-reachability-probe"

    /// Keeps the state current for a service that may go long without reading its bucket
    /// (a sidecar with everything shipped, a store between syncs): when nothing answered for
    /// `interval` (or ever), or the store is down, one HEAD. Runs until cancelled.
    public func probe(_ bucket: any Bucket, every interval: Duration) async {
        let ns = UInt64(interval.components.seconds) * 1_000_000_000 + UInt64(interval.components.attoseconds / 1_000_000_000)
        while !Task.isCancelled {
            if !isReachable || (sinceLastAnswer ?? .max) >= ns { _ = try? await bucket.exists(Self.probeKey) }
            do { try await Task.sleep(for: interval) } catch { return }
        }
    }
}

/// Exponential backoff with full jitter for S3 requests.
///
/// Only failures that another attempt can fix are retried: 5xx, 429, 409
/// `ConditionalRequestConflict`, timeouts and dropped or refused connections. Other 4xx
/// (403 access denied, 404 not found, 412 precondition failed, 416 bad range) mean the
/// request itself is wrong and would fail the same way again.
public struct RetryPolicy: Sendable {
    /// Total attempts including the first (1 = no retry).
    public var maxAttempts: Int
    public var initialBackoffMs: Int64
    public var maxBackoffMs: Int64
    /// Fail at once when the endpoint cannot be reached at all (connection refused, unknown
    /// host, connect timeout) instead of retrying: what a command-line tool wants, where a
    /// typo in the endpoint must not look like a two-minute hang. Services keep retrying.
    public var giveUpWhenUnreachable: Bool

    public init(maxAttempts: Int = 10, initialBackoffMs: Int64 = 100, maxBackoffMs: Int64 = 10_000,
                giveUpWhenUnreachable: Bool = false) {
        self.maxAttempts = max(1, maxAttempts)
        self.initialBackoffMs = max(0, initialBackoffMs)
        self.maxBackoffMs = max(initialBackoffMs, maxBackoffMs)
        self.giveUpWhenUnreachable = giveUpWhenUnreachable
    }

    /// Services: ride out outages.
    public static let `default` = RetryPolicy()
    /// Command-line tools: retry what a retry can fix, report an unreachable endpoint at once.
    public static let interactive = RetryPolicy(giveUpWhenUnreachable: true)

    /// Delay before attempt `attempt + 1` (attempt counts from 0): uniform in
    /// `[0, min(max, initial * 2^attempt)]` ("full jitter"), so that many clients failing
    /// together do not retry in lock step.
    public func backoffMs(afterAttempt attempt: Int) -> Int64 {
        let cap = min(maxBackoffMs, initialBackoffMs << min(attempt, 30))
        return cap <= 0 ? 0 : Int64.random(in: 0...cap)
    }

    /// Whether an HTTP answer is worth retrying.
    public static func isRetryable(status: Int, code: String) -> Bool {
        if status >= 500 { return true }
        if status == 429 { return true }
        if status == 409 && code == "ConditionalRequestConflict" { return true }
        if status == 400 && code == "RequestTimeout" { return true }
        return false
    }

    func sleep(afterAttempt attempt: Int) async throws {
        let ms = backoffMs(afterAttempt: attempt)
        if ms > 0 { try await Task.sleep(nanoseconds: UInt64(ms) * 1_000_000) }
    }
}

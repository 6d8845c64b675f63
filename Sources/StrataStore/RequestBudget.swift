import StrataStoreAPI
import Synchronization

/// The limits every Series request runs under. Zero means unlimited for series and samples
/// (Thanos's defaults); the byte budget is always finite so that one heavy query cannot take
/// the gateway's memory.
public struct StoreLimits: Sendable {
    /// `--store.limits.request-series`: series a request may touch (0 = unlimited).
    public var requestSeries: Int = 0
    /// `--store.limits.request-samples`: samples a request may return (0 = unlimited).
    public var requestSamples: Int = 0
    /// `--store.limits.request-bytes`: bytes a request may fetch from the bucket (postings,
    /// series and chunks together) plus what it holds decoded (series labels and chunk
    /// metas), so this bounds its memory too.
    public var requestBytes: Int = 512 << 20
    /// `--store.grpc.series-max-concurrency`: Series requests served at once.
    public var seriesMaxConcurrency: Int = 20

    public init() {}
}

/// What one request has used so far, checked against `StoreLimits` as it grows. Shared by
/// the tasks of one request (blocks are read in parallel), hence the lock.
public final class RequestBudget: Sendable {
    public let limits: StoreLimits
    private struct Used {
        var series = 0
        var samples = 0
        var bytes = 0
        var held = 0
        var requests = 0
    }
    private let used = Mutex(Used())

    public init(limits: StoreLimits) { self.limits = limits }

    public var bytesFetched: Int { used.withLock { $0.bytes } }
    public var requests: Int { used.withLock { $0.requests } }
    public var series: Int { used.withLock { $0.series } }
    public var samples: Int { used.withLock { $0.samples } }

    /// Called before a ranged GET of `bytes`: refuses it when it would pass the byte budget,
    /// so the bytes are never allocated.
    public func reserveFetch(_ bytes: Int) throws {
        try used.withLock { u in
            if u.bytes + u.held + bytes > limits.requestBytes {
                throw StoreError.resourceExhausted("exceeded bytes limit: the request needs more than \(limits.requestBytes) bytes fetched and held (--store.limits.request-bytes); narrow the selector or time range")
            }
            u.bytes += bytes
            u.requests += 1
        }
    }

    /// Charges memory the request holds besides fetched bytes (decoded series labels and
    /// chunk metas) to the same budget.
    public func reserveHeld(_ bytes: Int) throws {
        try used.withLock { u in
            if u.bytes + u.held + bytes > limits.requestBytes {
                throw StoreError.resourceExhausted("exceeded bytes limit: the request needs more than \(limits.requestBytes) bytes fetched and held (--store.limits.request-bytes); narrow the selector or time range")
            }
            u.held += bytes
        }
    }

    public func addSeries(_ n: Int = 1) throws {
        try used.withLock { u in
            u.series += n
            if limits.requestSeries > 0 && u.series > limits.requestSeries {
                throw StoreError.resourceExhausted("exceeded series limit: the request touches more than \(limits.requestSeries) series (--store.limits.request-series); narrow the selector")
            }
        }
    }

    public func addSamples(_ n: Int) throws {
        try used.withLock { u in
            u.samples += n
            if limits.requestSamples > 0 && u.samples > limits.requestSamples {
                throw StoreError.resourceExhausted("exceeded samples limit: the request returns more than \(limits.requestSamples) samples (--store.limits.request-samples); narrow the selector or time range")
            }
        }
    }
}

/// Admission for Series requests: at most `limit` at once. A request over the limit is
/// refused at once with ResourceExhausted instead of queueing, so a burst cannot pile up
/// memory in the gateway; the querier reports it (or retries) per its partial-response mode.
public final class ConcurrencyGate: Sendable {
    public let limit: Int
    private let inFlight = Mutex(0)

    public init(limit: Int) { self.limit = max(1, limit) }

    public func enter() throws {
        try inFlight.withLock { n in
            guard n < limit else {
                throw StoreError.resourceExhausted("exceeded concurrency limit: \(limit) Series requests already in flight (--store.grpc.series-max-concurrency); retry later")
            }
            n += 1
        }
    }

    public func leave() { inFlight.withLock { $0 -= 1 } }
}

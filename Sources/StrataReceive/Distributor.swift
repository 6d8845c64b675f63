import Foundation
import Logging
import StrataCore
import StrataRemoteWrite
import Synchronization

/// Routes a tenant's write over the hashring: each series goes to the `replicationFactor`
/// receivers owning it (this one's share appended locally, the others' forwarded in one
/// request per receiver and replica, all at once), and the write succeeds when every series
/// was acknowledged by a quorum of its owners — ⌊rf/2⌋+1, or 1 for rf = 2 as in Thanos, so
/// two replicas behave like two Prometheus servers with sidecars. A request that already
/// came from a receiver (it carries its replica number) is only appended here.
///
/// The answer: success; else 503 when some series lacks its quorum (the client re-sends; a
/// replica that already has it drops the repeat as a duplicate); else the 4xx the replicas
/// gave (conflicts, invalid series), which the client must not re-send.
public final class Distributor: Sendable {
    public typealias Forward = @Sendable (_ endpoint: HashringEndpoint, _ tenant: String, _ replica: Int64, _ batch: WriteBatch) async throws -> Void

    let local: HashringEndpoint
    let replicationFactor: Int
    let writer: LocalWriter
    let forward: Forward
    let metrics: ReceiveMetrics
    let logger: Logger
    private let rings: Mutex<Hashrings>
    private let failureLog = LogThrottle(every: .seconds(10))

    init(local: HashringEndpoint, hashrings: Hashrings, replicationFactor: Int, writer: LocalWriter,
                forward: @escaping Forward, metrics: ReceiveMetrics, logger: Logger) {
        self.local = local
        self.replicationFactor = replicationFactor
        self.writer = writer
        self.forward = forward
        self.metrics = metrics
        self.logger = logger
        rings = Mutex(hashrings)
    }

    public var hashrings: Hashrings {
        get { rings.withLock { $0 } }
    }

    public func setHashrings(_ h: Hashrings) { rings.withLock { $0 = h } }

    /// Whether every series of `tenant` is written here and nowhere else (replication factor 1
    /// and this receiver its ring's only endpoint): then the decoder may hand known series
    /// over by head ref alone (`WriteBatch.known`).
    func writesEverySeriesHere(tenant: String) -> Bool {
        replicationFactor == 1 && hashrings.soleEndpoint(for: tenant) == local
    }

    var quorum: Int { replicationFactor == 2 ? 1 : replicationFactor / 2 + 1 }

    /// `replica`: nil for a client's request; the replica number for one forwarded by a
    /// receiver (appended here only).
    public func write(tenant: String, _ batch: WriteBatch, replica: Int64? = nil) async throws {
        guard TenantHeads.isValidTenant(tenant) else { throw ReceiveError.invalidTenant(tenant) }
        if replica != nil {
            try writer.write(tenant: tenant, batch)
            return
        }
        // A receiver alone in its ring (no hashrings file): everything is written here.
        if writesEverySeriesHere(tenant: tenant) {
            try writer.write(tenant: tenant, batch)
            return
        }
        let rings = hashrings
        // Decoded for this receiver alone before the hashrings changed: labels back on.
        let batch = batch.known.isEmpty ? batch : try writer.withLabels(tenant: tenant, batch)
        // Group the series by (owner, replica number), keeping their order.
        struct Key: Hashable { let endpoint: HashringEndpoint; let replica: Int }
        var groups: [Key: [Int]] = [:]
        var owners: [[HashringEndpoint]] = []
        owners.reserveCapacity(batch.series.count)
        for (i, s) in batch.series.enumerated() {
            let o: [HashringEndpoint]
            do { o = try rings.owners(tenant: tenant, labels: s.labels, replicas: replicationFactor) } catch {
                throw ReceiveError.unavailable("\(error)")
            }
            owners.append(o)
            for (r, e) in o.enumerated() { groups[Key(endpoint: e, replica: r), default: []].append(i) }
        }
        // One result per group; a group's failure is its error.
        let outcomes = await withTaskGroup(of: (Key, ReceiveError?).self) { tg in
            for (key, indices) in groups {
                let part = indices.count == batch.series.count ? batch
                    : WriteBatch(series: indices.map { batch.series[$0] })
                tg.addTask { [self] in
                    do {
                        if key.endpoint == local {
                            try writer.write(tenant: tenant, part)
                        } else {
                            try await forward(key.endpoint, tenant, Int64(key.replica + 1), part)
                            metrics.forwarded(endpoint: key.endpoint.address, series: part.series.count, result: "success")
                        }
                        return (key, nil)
                    } catch {
                        let e = error as? ReceiveError ?? .unavailable("forwarding to \(key.endpoint) failed: \(error)")
                        if key.endpoint != local {
                            metrics.forwarded(endpoint: key.endpoint.address, series: part.series.count, result: e.reason)
                            if failureLog.shouldLog(key.endpoint.address) {
                                logger.warning("forwarding to a receiver failed (logged once per 10 s per receiver)",
                                               metadata: ["endpoint": "\(key.endpoint)", "err": "\(e)"])
                            }
                        }
                        return (key, e)
                    }
                }
            }
            var out: [Key: ReceiveError?] = [:]
            for await (k, e) in tg { out[k] = e }
            return out
        }
        // Per series: how many owners acknowledged it.
        var worstUnacked: ReceiveError?
        var firstRefusal: ReceiveError?
        for o in owners {
            var acks = 0
            var failure: ReceiveError?
            for (r, e) in o.enumerated() {
                guard let result = outcomes[Key(endpoint: e, replica: r)] else { continue }
                if let err = result {
                    if err.acknowledges { acks += 1; firstRefusal = firstRefusal ?? err } else { failure = err }
                } else {
                    acks += 1
                }
            }
            if acks < quorum { worstUnacked = Self.moreRetryable(worstUnacked, failure ?? .unavailable("quorum not reached")) }
        }
        if let e = worstUnacked {
            metrics.replication(result: "quorum_not_reached")
            throw ReceiveError.unavailable(Self.quorumMessage(e, quorum: quorum, rf: replicationFactor)).keepingStatus(of: e)
        }
        metrics.replication(result: "success")
        if let firstRefusal { throw firstRefusal }
    }

    /// 503 beats 500 beats 429: the answer must make the client retry if anything asks for it.
    static func moreRetryable(_ a: ReceiveError?, _ b: ReceiveError) -> ReceiveError {
        guard let a else { return b }
        func rank(_ e: ReceiveError) -> Int { e.httpStatus == 503 ? 3 : e.httpStatus == 500 ? 2 : 1 }
        return rank(b) > rank(a) ? b : a
    }

    static func quorumMessage(_ e: ReceiveError, quorum: Int, rf: Int) -> String {
        "write quorum not reached (\(quorum) of \(rf) replicas needed): \(e)"
    }
}

extension ReceiveError {
    /// The quorum error with the status of its cause: a 429 from an over-limit tenant stays a
    /// 429, anything else becomes 503.
    func keepingStatus(of cause: ReceiveError) -> ReceiveError {
        if case .tooManyRequests = cause { return .tooManyRequests(description) }
        return self
    }
}

/// At most one log line per key and period: a receiver that is down fails every forward.
final class LogThrottle: Sendable {
    let every: Duration
    private let last = Mutex<[String: ContinuousClock.Instant]>([:])

    init(every: Duration) { self.every = every }

    func shouldLog(_ key: String) -> Bool {
        let now = ContinuousClock.now
        return last.withLock { m in
            if let t = m[key], now - t < every { return false }
            m[key] = now
            return true
        }
    }
}

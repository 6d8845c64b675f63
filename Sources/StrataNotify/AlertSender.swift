import AsyncHTTPClient
import CoreMetrics
import Foundation
import Logging
import Metrics
import NIOCore
import NIOHTTP1
import NIOSSL
import StrataCore
import StrataDiscovery
import Synchronization

/// Delivers alerts to Alertmanagers (API v2) the way Thanos Ruler's `alert.Queue` and
/// `alert.Sender` do, with the robustness Thanos leaves out:
///
/// - `send` only queues (see `AlertQueue`): the rule evaluation never waits on an
///   Alertmanager, and a full queue drops its oldest alerts;
/// - `run` takes batches of up to `maxBatchSize` and posts each to every Alertmanager
///   currently discovered, concurrently. A batch is delivered when at least one accepted it
///   (Thanos's rule: Alertmanagers of a cluster share alerts by gossip); when none did, its
///   alerts count as dropped (`strata_alert_sender_alerts_dropped_total`);
/// - each Alertmanager gets `sendTimeout` per batch, retries included: connection errors,
///   timeouts, 5xx and 429 are retried after 100 ms, 200 ms, … while time is left; other 4xx
///   are not (the same alerts would be refused again). So a hanging or dead Alertmanager
///   holds a batch up for at most the send timeout and never keeps the others from theirs;
/// - every failure is counted (`strata_alert_sender_errors_total`) and logged, at most one
///   line per Alertmanager per `logInterval`;
/// - stopping (`stop()`, or cancelling `run`, as the service group does on SIGTERM) sends
///   what is still queued for at most one more send timeout.
///
/// Like Thanos, the next batch starts when every Alertmanager has answered or timed out for
/// the current one: a hanging Alertmanager slows delivery to one batch per send timeout, and
/// the queue absorbs the difference.
public final class AlertSender: Sendable {
    public let config: AlertmanagerSenderConfig
    let targets: [AlertmanagerURL]
    let queue: AlertQueue
    let metrics: AlertSenderMetrics
    let logger: Logger
    let logs: RateLimitedLog
    let provider: DNSProvider
    let tls: TLSConfiguration?

    /// One Alertmanager to post to.
    struct Endpoint: Sendable, Equatable {
        let url: String
        /// `host:port`: the `alertmanager` label and the log field.
        let address: String
        let target: Int
    }
    private let endpoints = Mutex<[Endpoint]>([])
    /// Set by `stop()`: batches started from then on must end by this instant.
    private let stopDeadline = Mutex<ContinuousClock.Instant?>(nil)

    /// - Parameter factory: the metrics backend; tests pass their own.
    public init(config: AlertmanagerSenderConfig, logger: Logger = Logger(label: "alert-sender"),
                factory: any MetricsFactory = MetricsSystem.factory) throws {
        self.config = config
        targets = try config.validated()
        self.logger = logger
        logs = RateLimitedLog(logger: logger, interval: config.logInterval)
        metrics = AlertSenderMetrics(factory: factory)
        queue = AlertQueue(capacity: config.queueCapacity, maxBatchSize: config.maxBatchSize, labelDrop: config.labelDrop,
                           externalLabels: config.externalLabels, metrics: metrics, logs: logs)
        provider = DNSProvider(client: config.dnsClient, interval: config.dnsInterval, logger: logger, factory: factory)
        tls = try config.http.tls?.tlsConfiguration()
    }

    /// Queues `alerts` for every Alertmanager and returns at once.
    public func send(_ alerts: [Alert]) { queue.push(alerts) }

    /// Alerts waiting to be sent.
    public var queueLength: Int { queue.count }

    /// The URLs alerts are posted to now (after the last DNS lookups).
    public var alertmanagers: [String] { endpoints.withLock { $0.map(\.url) } }

    /// Ends `run` after what is queued has been sent or one send timeout has passed.
    public func stop() {
        let deadline = ContinuousClock.now + config.sendTimeout
        stopDeadline.withLock { if $0 == nil { $0 = deadline } }
        queue.close()
    }

    /// Sends batches until stopped or cancelled, then flushes (see `stop`). Runs once; the
    /// HTTP client lives exactly as long as this call.
    public func run() async {
        var c = HTTPClient.Configuration()
        // Our own retries, bounded by the send timeout, replace the pool's endless
        // reconnecting, which would hide a refused connection until the deadline.
        c.connectionPool.retryConnectionEstablishment = false
        c.timeout.connect = .nanoseconds(config.sendTimeout.nanoseconds)
        c.timeout.read = .nanoseconds(config.sendTimeout.nanoseconds)
        if let tls { c.tlsConfiguration = tls }
        let http = HTTPClient(eventLoopGroupProvider: .singleton, configuration: c)
        await withTaskCancellationHandler {
            // The first answer before the first batch: alerts queued meanwhile wait for it
            // rather than being dropped for want of an Alertmanager.
            await refreshEndpoints()
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.discover() }
                for await _ in queue.wakeups {
                    await sendQueued(http)
                }
                group.cancelAll()
            }
        } onCancel: {
            self.stop()
        }
        // Stopped: what arrived after the last wake-up, within the stop deadline.
        await Task { await self.sendQueued(http) }.value
        let left = queue.discardAll()
        if left > 0 {
            metrics.queueDropped.increment(by: left)
            logger.warning("Alerts not sent before stopping", metadata: ["numDropped": "\(left)"])
        }
        try? await http.shutdown()
    }

    /// Sends batches while there are any and the stop deadline (if any) has not passed. Each
    /// batch runs in its own task: cancelling `run` must not cut a POST short, the deadline does.
    private func sendQueued(_ http: HTTPClient) async {
        while true {
            let stopAt = stopDeadline.withLock { $0 }
            if let stopAt, ContinuousClock.now >= stopAt { return }
            let batch = queue.pop()
            if batch.isEmpty { return }
            var deadline = ContinuousClock.now + config.sendTimeout
            if let stopAt { deadline = min(deadline, stopAt) }
            await Task { await self.sendBatch(batch, http, deadline: deadline) }.value
        }
    }

    /// Looks the Alertmanagers up again every `dnsInterval` until cancelled.
    private func discover() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: config.dnsInterval)
            if Task.isCancelled { return }
            await refreshEndpoints()
        }
    }

    /// Resolves every URL (DNSProvider keeps the last answer through a failed lookup).
    func refreshEndpoints() async {
        let each = await provider.resolveEach(targets.map(\.discovery))
        var found: [Endpoint] = [], seen: Set<String> = []
        for (i, addresses) in each.enumerated() {
            for a in addresses {
                let e = Endpoint(url: targets[i].endpoint(a), address: a, target: i)
                if seen.insert(e.url).inserted { found.append(e) }
            }
        }
        let changed = endpoints.withLock { old -> Bool in
            defer { old = found }
            return old != found
        }
        metrics.discovered.record(found.count)
        if changed {
            logger.info("Alertmanagers discovered", metadata: ["alertmanagers": "\(found.map(\.url).joined(separator: ","))"])
        }
    }

    /// Posts one batch to every Alertmanager; counts it dropped when none took it.
    func sendBatch(_ batch: [Alert], _ http: HTTPClient, deadline: ContinuousClock.Instant) async {
        let targets = endpoints.withLock { $0 }
        guard !targets.isEmpty else {
            metrics.senderDropped.increment(by: batch.count)
            logs.warning(key: "none", "No Alertmanager discovered, dropping alerts", metadata: ["numAlerts": "\(batch.count)"])
            return
        }
        let body = ByteBuffer(bytes: Alert.encodeV2(batch))
        let delivered = await withTaskGroup(of: Bool.self) { group in
            for e in targets {
                group.addTask { await self.post(body, alerts: batch.count, to: e, http, deadline: deadline) }
            }
            var any = false
            for await ok in group { any = any || ok }
            return any
        }
        if !delivered {
            metrics.senderDropped.increment(by: batch.count)
            logs.warning(key: "all", "Failed to send alerts to all Alertmanagers", metadata: ["numAlerts": "\(batch.count)"])
        }
    }

    enum Outcome {
        case accepted
        /// Worth another try: the connection failed or timed out, 5xx, 429.
        case transient(String)
        /// The same request would fail the same way.
        case refused(String)
    }

    /// One batch to one Alertmanager, with retries until `deadline`. True when accepted.
    func post(_ body: ByteBuffer, alerts: Int, to e: Endpoint, _ http: HTTPClient, deadline: ContinuousClock.Instant) async -> Bool {
        let m = metrics.alertmanager(e.address)
        let start = ContinuousClock.now
        var backoff = config.retryBackoff
        var attempts = 0
        while true {
            attempts += 1
            let why: String
            switch await bounded(deadline, { await self.attempt(body, to: e, http, deadline: deadline) }) {
            case .accepted:
                m.latency.recordNanoseconds((ContinuousClock.now - start).nanoseconds)
                m.sent.increment(by: alerts)
                return true
            case .refused(let msg):
                why = msg
            case .transient(let msg):
                if ContinuousClock.now + backoff < deadline {
                    m.retries.increment()
                    try? await Task.sleep(for: backoff)
                    backoff *= 2
                    continue
                }
                why = msg
            }
            m.errors.increment()
            logs.warning(key: "am " + e.address, "Sending alerts failed",
                         metadata: ["alertmanager": "\(e.address)", "url": "\(e.url)", "numAlerts": "\(alerts)",
                                    "attempts": "\(attempts)", "err": "\(why)"])
            return false
        }
    }

    /// `op`, or a timeout at `deadline`: the client's own deadline ends with the answer's
    /// head, and an Alertmanager that stalls in the middle of its body must not hold the
    /// batch up either.
    private func bounded(_ deadline: ContinuousClock.Instant, _ op: @escaping @Sendable () async -> Outcome) async -> Outcome {
        await withTaskGroup(of: Outcome?.self) { group in
            group.addTask { await op() }
            group.addTask {
                try? await Task.sleep(until: deadline, clock: .continuous)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? .transient("no answer within the send timeout \(config.sendTimeout)")
        }
    }

    private func attempt(_ body: ByteBuffer, to e: Endpoint, _ http: HTTPClient, deadline: ContinuousClock.Instant) async -> Outcome {
        let left = deadline - ContinuousClock.now
        guard left > .zero else { return .transient("send timeout \(config.sendTimeout) exceeded") }
        var req = HTTPClientRequest(url: e.url)
        req.method = .POST
        req.headers.add(name: "Content-Type", value: "application/json")
        req.headers.add(name: "User-Agent", value: "strata/\(StrataVersion.version)")
        do {
            if let auth = try authorization(targets[e.target]) { req.headers.add(name: "Authorization", value: auth) }
        } catch {
            return .refused("credentials: \(error)")
        }
        req.body = .bytes(body)
        do {
            let resp = try await http.execute(req, deadline: .now() + .nanoseconds(left.nanoseconds))
            // Read the whole answer (the connection is reused), keeping its start for the log.
            var text: [UInt8] = []
            for try await chunk in resp.body where text.count < 512 {
                text += chunk.readableBytesView.prefix(512 - text.count)
            }
            let code = Int(resp.status.code)
            if (200..<300).contains(code) { return .accepted }
            let msg = "\(resp.status.code) \(resp.status.reasonPhrase): \(String(decoding: text, as: UTF8.self))"
            return code >= 500 || code == 429 ? .transient(msg) : .refused(msg)
        } catch let error as HTTPClientError where error == .deadlineExceeded {
            return .transient("no answer within the send timeout \(config.sendTimeout)")
        } catch {
            return .transient("\(error)")
        }
    }

    /// A URL's `user:password@` first, then the configured `http_config` credentials.
    private func authorization(_ t: AlertmanagerURL) throws -> String? {
        if let user = t.user {
            return "Basic " + Data((user + ":" + t.password).utf8).base64EncodedString()
        }
        return try config.http.authorizationHeader()
    }
}

import Logging
import StrataCore
import Synchronization

/// Thanos's `alert.Queue`: alerts waiting for the sender, taken in batches. Pushing never
/// waits — the rule evaluation must not be slowed down by an Alertmanager — so when the queue
/// is full the oldest alerts make room for the new ones (a newer notification of the same
/// alert supersedes an older one anyway) and are counted as dropped.
///
/// Label drop and external labels are applied on push, as Thanos does, so what is queued is
/// exactly what will be sent.
final class AlertQueue: Sendable {
    let capacity: Int
    let maxBatchSize: Int
    private let drop: Set<String>
    private let external: Labels
    private let metrics: AlertSenderMetrics
    private let logs: RateLimitedLog

    /// `items[head...]` is the queue; the consumed front is cut off once it is half the array.
    private struct State {
        var items: [Alert] = []
        var head = 0
        var count: Int { items.count - head }
    }
    private let state = Mutex(State())

    /// Thanos's `morec`: one pending wake-up at most, for the single consumer.
    let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    init(capacity: Int, maxBatchSize: Int, labelDrop: [String], externalLabels: Labels, metrics: AlertSenderMetrics, logs: RateLimitedLog) {
        self.capacity = capacity
        self.maxBatchSize = maxBatchSize
        drop = Set(labelDrop)
        external = externalLabels.removing(Set(labelDrop))
        self.metrics = metrics
        self.logs = logs
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        metrics.queueCapacity.record(capacity)
        metrics.queueLength.record(0)
    }

    var count: Int { state.withLock { $0.count } }

    /// Adds `alerts` (labels rewritten); returns how many queued alerts had to go.
    @discardableResult
    func push(_ alerts: [Alert]) -> Int {
        guard !alerts.isEmpty else { return 0 }
        var incoming = alerts.map { a -> Alert in
            var a = a
            a.labels = a.labels.removing(drop).merging(external, overwrite: true)
            return a
        }
        var dropped = 0
        if incoming.count > capacity {
            dropped = incoming.count - capacity
            incoming.removeFirst(dropped)
        }
        let length = state.withLock { s -> Int in
            let over = s.count + incoming.count - capacity
            if over > 0 {
                s.head += over
                dropped += over
            }
            if s.head > 1024 && s.head * 2 > s.items.count {
                s.items.removeFirst(s.head)
                s.head = 0
            }
            s.items.append(contentsOf: incoming)
            return s.count
        }
        metrics.queuePushed.increment(by: alerts.count)
        metrics.queueLength.record(length)
        if dropped > 0 {
            metrics.queueDropped.increment(by: dropped)
            logs.warning(key: "queue", "Alert notification queue full, dropping the oldest alerts",
                         metadata: ["numDropped": "\(dropped)", "capacity": "\(capacity)"])
        }
        wake.yield()
        return dropped
    }

    /// Up to `maxBatchSize` alerts from the front; empty when there are none.
    func pop() -> [Alert] {
        let (batch, length) = state.withLock { s -> ([Alert], Int) in
            let n = min(maxBatchSize, s.count)
            let batch = Array(s.items[s.head..<(s.head + n)])
            s.head += n
            if s.head == s.items.count {
                s.items.removeAll(keepingCapacity: s.items.count <= capacity)
                s.head = 0
            }
            return (batch, s.count)
        }
        if !batch.isEmpty {
            metrics.queuePopped.increment(by: batch.count)
            metrics.queueLength.record(length)
        }
        return batch
    }

    /// Empties the queue (alerts that cannot be sent any more); returns how many there were.
    func discardAll() -> Int {
        let n = state.withLock { s -> Int in
            let n = s.count
            s = State()
            return n
        }
        metrics.queueLength.record(0)
        return n
    }

    /// Ends `wakeups`: the consumer finishes what is queued and stops.
    func close() { wake.finish() }
}

/// Warnings that may repeat at every batch (an Alertmanager down, the queue overflowing):
/// at most one line per key in `interval`, saying how many were held back since the last.
final class RateLimitedLog: Sendable {
    let logger: Logger
    let interval: Duration
    private let last = Mutex<[String: (at: ContinuousClock.Instant, suppressed: Int)]>([:])

    init(logger: Logger, interval: Duration) {
        self.logger = logger
        self.interval = interval
    }

    func warning(key: String, _ message: @autoclosure () -> Logger.Message, metadata: Logger.Metadata = [:]) {
        let now = ContinuousClock.now
        let suppressed = last.withLock { m -> Int? in
            if let l = m[key], now - l.at < interval {
                m[key] = (l.at, l.suppressed + 1)
                return nil
            }
            let s = m[key]?.suppressed ?? 0
            m[key] = (now, 0)
            return s
        }
        guard let suppressed else { return }
        var md = metadata
        if suppressed > 0 { md["suppressed"] = "\(suppressed)" }
        logger.warning(message(), metadata: md)
    }
}

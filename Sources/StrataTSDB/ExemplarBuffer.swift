import StrataCore
import Synchronization

/// Prometheus's circular exemplar storage (`tsdb/exemplar.go`): the newest `capacity`
/// exemplars of all series in one ring, each series' exemplars chained oldest to newest
/// through it, so a full ring drops the globally oldest exemplar and no series can hold more
/// than its share of time. Exemplars live in memory only (Prometheus also logs them in its
/// WAL; here a restart starts empty).
public final class ExemplarBuffer: Sendable {
    public struct Exemplar: Sendable, Equatable {
        public var labels: Labels
        public var value: Double
        public var timestamp: Int64

        public init(labels: Labels, value: Double, timestamp: Int64) {
            self.labels = labels
            self.value = value
            self.timestamp = timestamp
        }
    }

    /// Why an exemplar was not stored (Prometheus's `storage.Err*Exemplar`).
    public enum Refusal: String, Sendable, Error {
        /// Not newer than the series' newest exemplar (`out of order exemplar`).
        case outOfOrder = "out_of_order"
        /// Labels longer than 128 UTF-8 characters in all (`exemplar label set exceeds …`).
        case labelsTooLong = "labels_too_long"
    }

    /// Prometheus's `exemplar.ExemplarMaxLabelSetLength`.
    public static let maxLabelsLength = 128

    struct Entry {
        var series: Labels
        var exemplar: Exemplar
        /// Ring index of the series' next (newer) exemplar, -1 for its newest.
        var next: Int
    }

    struct State {
        var ring: [Entry?]
        var nextIndex = 0
        /// Per series: ring indexes of its oldest and newest exemplar.
        var chains: [Labels: (oldest: Int, newest: Int)] = [:]
    }

    public let capacity: Int
    private let state: Mutex<State>

    /// `capacity` 0 stores nothing (Thanos's `--tsdb.max-exemplars` default).
    public init(capacity: Int) {
        self.capacity = max(0, capacity)
        state = Mutex(State(ring: Array(repeating: nil, count: max(0, capacity))))
    }

    /// Stores `e` for `series`. An exact repeat of the series' newest exemplar is dropped
    /// silently, as Prometheus's appender does; returns whether it was stored.
    @discardableResult
    public func add(series: Labels, _ e: Exemplar) throws(Refusal) -> Bool {
        guard capacity > 0 else { return false }
        let length = e.labels.pairs.reduce(0) { $0 + $1.name.unicodeScalars.count + $1.value.unicodeScalars.count }
        guard length <= Self.maxLabelsLength else { throw .labelsTooLong }
        return try state.withLock { (s: inout State) throws(Refusal) -> Bool in
            if let chain = s.chains[series], let newest = s.ring[chain.newest]?.exemplar {
                if newest == e { return false }
                if e.timestamp <= newest.timestamp { throw .outOfOrder }
            }
            let i = s.nextIndex
            if let old = s.ring[i] {
                // The slot's exemplar is the oldest of its series: unlink it.
                if old.next < 0 { s.chains[old.series] = nil } else { s.chains[old.series]!.oldest = old.next }
            }
            s.ring[i] = Entry(series: series, exemplar: e, next: -1)
            if let chain = s.chains[series] {
                s.ring[chain.newest]!.next = i
                s.chains[series] = (chain.oldest, i)
            } else {
                s.chains[series] = (i, i)
            }
            s.nextIndex = (i + 1) % capacity
            return true
        }
    }

    /// The exemplars in [start, end] of the series matching any of the matcher sets, by
    /// series in label order, each series' oldest first (Prometheus's `ExemplarQuerier.Select`).
    public func select(start: Int64, end: Int64, _ matcherSets: [[Matcher]]) -> [(series: Labels, exemplars: [Exemplar])] {
        state.withLock { s in
            var out: [(series: Labels, exemplars: [Exemplar])] = []
            for (series, chain) in s.chains where matcherSets.contains(where: { ms in ms.allSatisfy { $0.matches(series[$0.name]) } }) {
                var found: [Exemplar] = []
                var i = chain.oldest
                while i >= 0, let entry = s.ring[i] {
                    if entry.exemplar.timestamp >= start && entry.exemplar.timestamp <= end { found.append(entry.exemplar) }
                    i = entry.next
                }
                if !found.isEmpty { out.append((series, found)) }
            }
            return out.sorted { $0.series < $1.series }
        }
    }
}

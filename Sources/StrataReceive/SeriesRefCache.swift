import StrataCore
import StrataRemoteWrite
import Synchronization

/// A tenant's head series by the decoder's intern key (`WriteSeries.internKey`): a known
/// series is appended by ref, without hashing its labels into the head's index — the head
/// lookup by labels was the largest cost of a write. A hit is confirmed by comparing labels,
/// which for an interned series are the same array (Array's `==` checks identity first). A
/// ref the head has dropped since (its series went into a block) is looked up again.
final class SeriesRefCache: Sendable {
    private let table = Mutex<[UInt64: (labels: Labels, ref: UInt64)]>([:])

    /// The cached ref of each series (nil: unknown), under one lock for the whole request.
    func refs(_ series: [WriteSeries]) -> [UInt64?] {
        table.withLock { t in
            series.map { s in
                guard s.internKey != 0, let e = t[s.internKey], e.labels == s.labels else { return nil }
                return e.ref
            }
        }
    }

    /// Remembers new refs; starts afresh when it holds far more than the head has series
    /// (refs of series the head dropped).
    func store(_ new: [(key: UInt64, labels: Labels, ref: UInt64)], headSeries: Int) {
        guard !new.isEmpty else { return }
        table.withLock { t in
            if t.count > 2 * headSeries + 100_000 { t.removeAll(keepingCapacity: true) }
            for n in new { t[n.key] = (n.labels, n.ref) }
        }
    }
}

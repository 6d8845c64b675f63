#if canImport(Glibc)
import Glibc
#endif
import StrataCore
import Synchronization

/// Label sets the decoder has built before, found again by their wire bytes. A Prometheus
/// sends the same series with the same bytes in every request, and building a series'
/// `Labels` — two validated Strings per label, an array — is most of what decoding costs.
/// A known series gets the very same `Labels` back (one retain), its `internKey`, and the
/// `tag` its user attached to it (the receiver's head series ref), all from one lookup.
///
/// Keyed by xxhash64 of the series' `Label` messages as sent; a hit is confirmed by comparing
/// the bytes, so a hash collision can never give a series another one's labels. Memory: the
/// bytes (about 10–20 bytes per label) per distinct series; when `capacity` distinct series
/// are held, the table starts afresh.
public final class SeriesInterner: Sendable {
    struct Entry {
        let bytes: [UInt8]
        let labels: Labels
        var tag: UInt64 = 0
    }

    public let capacity: Int
    private let table = Mutex<[UInt64: Entry]>([:])

    public init(capacity: Int = 4_000_000) { self.capacity = capacity }

    public var count: Int { table.withLock { $0.count } }

    func lookup(_ key: UInt64, _ bytes: UnsafeRawBufferPointer) -> (labels: Labels, tag: UInt64)? {
        table.withLock { t in
            // memcmp: the generic `elementsEqual` compares byte by byte through iterators.
            guard let e = t[key], e.bytes.count == bytes.count,
                  bytes.count == 0 || e.bytes.withUnsafeBytes({ memcmp($0.baseAddress!, bytes.baseAddress!, bytes.count) == 0 }) else { return nil }
            return (e.labels, e.tag)
        }
    }

    /// Attaches `tag` to the interned series `key` (no-op when it left the table); the next
    /// decode of the series returns it in `WriteSeries.internTag`.
    public func setTags(_ tags: [(key: UInt64, tag: UInt64)]) {
        guard !tags.isEmpty else { return }
        table.withLock { t in
            for (k, tag) in tags { t[k]?.tag = tag }
        }
    }

    func insert(_ key: UInt64, _ bytes: UnsafeRawBufferPointer, _ labels: Labels) {
        let entry = Entry(bytes: Array(bytes), labels: labels)
        table.withLock { t in
            if t.count >= capacity { t.removeAll(keepingCapacity: true) }
            t[key] = entry
        }
    }
}

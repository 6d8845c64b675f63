import StrataCore
import Synchronization

/// Label sets the decoder has built before, found again by their wire bytes. A Prometheus
/// sends the same series with the same bytes in every request, and building a series'
/// `Labels` — two validated Strings per label, an array — is most of what decoding costs.
/// A known series gets the very same `Labels` back (one retain), and its `internKey`, which
/// lets the receiver find the head series without hashing the labels again.
///
/// Keyed by xxhash64 of the series' `Label` messages as sent; a hit is confirmed by comparing
/// the bytes, so a hash collision can never give a series another one's labels. Memory: the
/// bytes (about 10–20 bytes per label) per distinct series; when `capacity` distinct series
/// are held, the table starts afresh.
public final class SeriesInterner: Sendable {
    struct Entry {
        let bytes: [UInt8]
        let labels: Labels
    }

    public let capacity: Int
    private let table = Mutex<[UInt64: Entry]>([:])

    public init(capacity: Int = 4_000_000) { self.capacity = capacity }

    public var count: Int { table.withLock { $0.count } }

    func lookup(_ key: UInt64, _ bytes: UnsafeRawBufferPointer) -> Labels? {
        table.withLock { t in
            guard let e = t[key], e.bytes.count == bytes.count,
                  e.bytes.withUnsafeBytes({ $0.elementsEqual(bytes) }) else { return nil }
            return e.labels
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

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
/// Keyed by xxhash64 of the series' `Label` fields as sent; a hit is confirmed by comparing
/// the bytes, so a hash collision can never give a series another one's labels. Memory: the
/// bytes (about 10–20 bytes per label) per distinct series; when `capacity` distinct series
/// are held, the table starts afresh.
public final class SeriesInterner: Sendable {
    public let capacity: Int
    private let table = Mutex(Table())

    public init(capacity: Int = 4_000_000) { self.capacity = capacity }

    public var count: Int { table.withLock { $0.entries.count } }

    func lookup(_ key: UInt64, _ bytes: UnsafeRawBufferPointer) -> (labels: Labels, tag: UInt64)? {
        table.withLock { t in
            guard let e = t.find(key, bytes) else { return nil }
            return (t.entries[e].labels, t.entries[e].tag)
        }
    }

    /// The labels interned under `key` (nil when the series left the table): what a
    /// `KnownSeries` stands for.
    public func labels(forKey key: UInt64) -> Labels? {
        table.withLock { t in t.find(key, nil).map { t.entries[$0].labels } }
    }

    /// Attaches `tag` to the interned series `key` (no-op when it left the table); the next
    /// decode of the series returns it in `WriteSeries.internTag`.
    public func setTags(_ tags: [(key: UInt64, tag: UInt64)]) {
        guard !tags.isEmpty else { return }
        table.withLock { t in
            for (k, tag) in tags {
                if let e = t.find(k, nil) { t.entries[e].tag = tag }
            }
        }
    }

    func insert(_ key: UInt64, _ bytes: UnsafeRawBufferPointer, _ labels: Labels) {
        table.withLock { t in
            if t.entries.count >= capacity { t = Table() }
            t.insert(key, bytes, labels)
        }
    }

    /// Open addressing over the keys themselves (already xxhash values, so their low bits
    /// index well), entries and their bytes in two arrays: a lookup is a probe, one compare
    /// of the key and one memcmp, without hashing the key again or copying an entry.
    struct Table {
        struct Entry {
            let key: UInt64
            /// Where the series' bytes are in `bytes`.
            let offset: Int
            let count: Int
            let labels: Labels
            var tag: UInt64 = 0
        }

        /// Entry index + 1 per slot, 0 when empty; twice the entries at least.
        var slots = [Int32](repeating: 0, count: 1024)
        var entries: [Entry] = []
        var bytes: [UInt8] = []

        /// The entry of `key` whose bytes equal `match` (any entry of `key` when nil).
        func find(_ key: UInt64, _ match: UnsafeRawBufferPointer?) -> Int? {
            let mask = slots.count - 1
            var i = Int(truncatingIfNeeded: key) & mask
            while slots[i] != 0 {
                let e = Int(slots[i]) - 1
                if entries[e].key == key {
                    guard let match else { return e }
                    let offset = entries[e].offset
                    if entries[e].count == match.count
                        && (match.count == 0 || bytes.withUnsafeBytes { memcmp($0.baseAddress! + offset, match.baseAddress!, match.count) == 0 }) {
                        return e
                    }
                }
                i = (i + 1) & mask
            }
            return nil
        }

        mutating func insert(_ key: UInt64, _ match: UnsafeRawBufferPointer, _ labels: Labels) {
            if (entries.count + 1) * 2 > slots.count { grow() }
            let offset = bytes.count
            // Typed, so the append is one memcpy.
            bytes.append(contentsOf: match.assumingMemoryBound(to: UInt8.self))
            entries.append(Entry(key: key, offset: offset, count: match.count, labels: labels))
            place(key, entries.count)
        }

        private mutating func place(_ key: UInt64, _ slot: Int) {
            let mask = slots.count - 1
            var i = Int(truncatingIfNeeded: key) & mask
            while slots[i] != 0 { i = (i + 1) & mask }
            slots[i] = Int32(slot)
        }

        private mutating func grow() {
            slots = [Int32](repeating: 0, count: slots.count * 2)
            for (n, e) in entries.enumerated() { place(e.key, n + 1) }
        }
    }
}

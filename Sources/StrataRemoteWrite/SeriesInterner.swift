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
/// bytes (about 10–20 bytes per label) and a 32-byte slot per distinct series; when `capacity`
/// distinct series (or 4 GiB of bytes) are held, the table starts afresh.
public final class SeriesInterner: Sendable {
    public let capacity: Int
    private let table = Mutex(Table())

    public init(capacity: Int = 4_000_000) { self.capacity = capacity }

    public var count: Int { table.withLock { $0.entries.count } }

    /// The interned series with `key` and these bytes: its tag, and its labels unless
    /// `labelsUnlessTagged` and it has a tag (a caller appending by ref needs no labels, and
    /// retaining them is a cache miss per series).
    func lookup(_ key: UInt64, _ bytes: UnsafeRawBufferPointer, labelsUnlessTagged: Bool = false) -> (labels: Labels?, tag: UInt64)? {
        table.withLock { t in t.find(key, bytes).map { t.found($0, labelsUnlessTagged: labelsUnlessTagged) } }
    }

    /// Looks every entry up under one lock (see `InternedSeries`), with the labels as
    /// `lookup(_:_:labelsUnlessTagged:)` gives them.
    func lookup(_ entries: inout [InternedSeries.Entry], labelsUnlessTagged: Bool) {
        table.withLock { t in
            t.touch(entries)
            for i in entries.indices {
                guard let start = entries[i].start, let end = entries[i].end,
                      let s = t.find(entries[i].key, UnsafeRawBufferPointer(start: start, count: end - start)) else { continue }
                entries[i].found = t.found(s, labelsUnlessTagged: labelsUnlessTagged)
            }
        }
    }

    /// The labels interned under `key` (nil when the series left the table): what a
    /// `KnownSeries` stands for.
    public func labels(forKey key: UInt64) -> Labels? {
        table.withLock { t in t.find(key, nil).map { t.entries[Int(t.slots[$0].entry) - 1] } }
    }

    /// Attaches `tag` to the interned series `key` (no-op when it left the table); the next
    /// decode of the series returns it in `WriteSeries.internTag`.
    public func setTags(_ tags: [(key: UInt64, tag: UInt64)]) {
        guard !tags.isEmpty else { return }
        table.withLock { t in
            for (k, tag) in tags {
                if let i = t.find(k, nil) { t.slots[i].tag = tag }
            }
        }
    }

    func insert(_ key: UInt64, _ bytes: UnsafeRawBufferPointer, _ labels: Labels) {
        table.withLock { t in
            // Another request may have interned the series since this one looked.
            guard t.find(key, bytes) == nil else { return }
            if t.entries.count >= capacity || t.bytes.count + bytes.count > Int(UInt32.max) { t = Table() }
            t.insert(key, bytes, labels)
        }
    }

    /// Open addressing over the keys themselves (already xxhash values, so their low bits
    /// index well). A slot holds what a lookup of a known series needs — key, tag and where
    /// its bytes are — so a hit costs the slot, one memcmp against the arena and no rehash;
    /// the labels are a separate array, read only when asked for.
    struct Table {
        struct Slot {
            var key: UInt64 = 0
            var tag: UInt64 = 0
            /// Where the series' bytes are in `bytes`.
            var offset: UInt32 = 0
            var count: UInt32 = 0
            /// Index into `entries` + 1; 0 when the slot is empty.
            var entry: Int32 = 0
        }

        /// Twice the entries at least.
        var slots = [Slot](repeating: Slot(), count: 1024)
        var entries: [Labels] = []
        var bytes: [UInt8] = []

        /// Reads the first slot each entry's probe will look at. These loads depend on
        /// nothing, so their cache misses overlap; the probes that follow then find the slots
        /// in cache (a request's 2,000 slots are 128 KB) instead of waiting for each in turn.
        mutating func touch(_ entries: [InternedSeries.Entry]) {
            var sum: UInt64 = 0
            slots.withUnsafeBufferPointer { slots in
                let mask = slots.count - 1
                for e in entries { sum &+= slots[Int(truncatingIfNeeded: e.key) & mask].key }
            }
            touched = sum
        }

        /// Slot `i`'s tag, and its labels unless `labelsUnlessTagged` and it has a tag.
        func found(_ i: Int, labelsUnlessTagged: Bool) -> (labels: Labels?, tag: UInt64) {
            let tag = slots[i].tag
            return (labelsUnlessTagged && tag != 0 ? nil : entries[Int(slots[i].entry) - 1], tag)
        }

        /// What `touch` read, kept so the loads are not optimised away.
        private var touched: UInt64 = 0

        /// The slot of `key` whose bytes equal `match` (any slot of `key` when nil).
        func find(_ key: UInt64, _ match: UnsafeRawBufferPointer?) -> Int? {
            slots.withUnsafeBufferPointer { slots in
                let mask = slots.count - 1
                var i = Int(truncatingIfNeeded: key) & mask
                while slots[i].entry != 0 {
                    if slots[i].key == key {
                        guard let match else { return i }
                        let count = Int(slots[i].count), offset = Int(slots[i].offset)
                        if count == match.count
                            && (count == 0 || bytes.withUnsafeBytes { memcmp($0.baseAddress! + offset, match.baseAddress!, count) == 0 }) {
                            return i
                        }
                    }
                    i = (i + 1) & mask
                }
                return nil
            }
        }

        mutating func insert(_ key: UInt64, _ match: UnsafeRawBufferPointer, _ labels: Labels) {
            if (entries.count + 1) * 2 > slots.count { grow() }
            let offset = bytes.count
            // Typed, so the append is one memcpy.
            bytes.append(contentsOf: match.assumingMemoryBound(to: UInt8.self))
            entries.append(labels)
            place(Slot(key: key, offset: UInt32(offset), count: UInt32(match.count), entry: Int32(entries.count)))
        }

        private mutating func place(_ slot: Slot) {
            let mask = slots.count - 1
            var i = Int(truncatingIfNeeded: slot.key) & mask
            while slots[i].entry != 0 { i = (i + 1) & mask }
            slots[i] = slot
        }

        private mutating func grow() {
            let old = slots
            slots = [Slot](repeating: Slot(), count: slots.count * 2)
            for s in old where s.entry != 0 { place(s) }
        }
    }
}

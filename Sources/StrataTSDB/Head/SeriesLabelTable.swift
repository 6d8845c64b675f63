import StrataCore

/// The head's series by label set. Swift's `Dictionary` rehashes every key each time it
/// grows, and hashing a `Labels` hashes all its strings: creating 100 k series spent a third
/// of its time in those rehashes. Keys here carry their hash, so growing rehashes one word
/// per series, and a series looked up and then inserted has its labels hashed once.
struct SeriesLabelTable {
    private struct Key: Hashable {
        let labels: Labels
        let hash: Int

        init(_ labels: Labels) {
            self.labels = labels
            hash = labels.hashValue
        }

        func hash(into h: inout Hasher) { h.combine(hash) }
        static func == (a: Key, b: Key) -> Bool { a.hash == b.hash && a.labels == b.labels }
    }

    private var map: [Key: MemSeries] = [:]

    var count: Int { map.count }

    subscript(labels: Labels) -> MemSeries? {
        get { map[Key(labels)] }
        set { map[Key(labels)] = newValue }
    }

    /// The series with `labels`, or the one `create` makes (inserted); `created` says which.
    mutating func series(for labels: Labels, create: () -> MemSeries) -> (series: MemSeries, created: Bool) {
        let key = Key(labels)
        if let s = map[key] { return (s, false) }
        let s = create()
        map[key] = s
        return (s, true)
    }
}

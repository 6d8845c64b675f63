import StrataCore

import StrataTSDB

/// One block's share of a series: the chunks it holds.
struct SeriesPart<Block> {
    var block: Block
    var chunks: [ChunkMeta]
    /// Where the block starts: a series' parts are sent in this order.
    var blockMinTime: Int64
}

extension SeriesPart: Sendable where Block: Sendable {}

/// Series found in several blocks, gathered into one entry per label set and put in label
/// order — the merge `LocalBlockStore` and `BucketStore` both answer a Series request with.
/// A series spanning 85 blocks keeps one copy of its labels; labels are hashed once per part
/// added, never after the sort. With one block the label sets are unique already: no
/// lookup table, no hashing at all (the usual instant query and short range).
struct SeriesGroups<Block> {
    typealias Part = SeriesPart<Block>

    private(set) var entries: [(labels: Labels, parts: [Part])] = []
    private var slot: [Labels: Int] = [:]
    private let unique: Bool

    init(singleBlock: Bool) { unique = singleBlock }

    var count: Int { entries.count }

    /// Adds `part` to the entry of `labels`. `admit` learns first whether the label set is
    /// new and may throw to refuse the part (a byte budget charges what is held).
    mutating func add(_ labels: Labels, _ part: Part, admit: (_ isNew: Bool) throws -> Void) rethrows {
        let k = unique ? nil : slot[labels]
        try admit(k == nil)
        if let k {
            entries[k].parts.append(part)
        } else {
            if !unique { slot[labels] = entries.count }
            entries.append((labels, [part]))
        }
    }

    mutating func add(_ labels: Labels, _ part: Part) { add(labels, part) { _ in } }

    /// Puts the entries in label order and drops the lookup table. A block's series come in
    /// label order and merged external labels rarely change that, so a check often saves
    /// the sort.
    mutating func sortByLabels() {
        slot = [:]
        if !zip(entries, entries.dropFirst()).allSatisfy({ Labels.compare($0.labels, $1.labels) < 0 }) {
            entries.sort { Labels.compare($0.labels, $1.labels) < 0 }
        }
    }

    /// The parts of entry `i` in time order.
    func partsInTimeOrder(_ i: Int) -> [Part] { entries[i].parts.sorted { $0.blockMinTime < $1.blockMinTime } }

    /// Frees the parts of entry `i` once it is sent.
    mutating func release(_ i: Int) { entries[i].parts = [] }
}

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
/// Each block yields its series in label order, so the blocks' lists are merged like sorted
/// runs: equal label sets end up next to each other, without hashing a label set or sorting
/// the result. A series spanning 85 blocks keeps one copy of its labels.
struct SeriesGroups<Block> {
    typealias Part = SeriesPart<Block>
    typealias Found = (labels: Labels, part: Part)

    private(set) var entries: [(labels: Labels, parts: [Part])] = []

    /// `lists` holds each block's series. A list out of label order (merged external labels
    /// can reorder label sets that are prefixes of others) is sorted first.
    init(merging lists: [[Found]]) {
        // The runs end to end in one array, merged as runs of positions in it (cheap to copy),
        // pairwise: n·log₂(blocks) comparisons of label sets. The label sets are kept apart:
        // reading one out of a `Found` copies (retains) its part too.
        let all = Array(lists.joined())
        let labelSets = all.map(\.labels)
        var runs: [[Int]] = []
        var start = 0
        for list in lists where !list.isEmpty {
            let range = start..<(start + list.count)
            start = range.upperBound
            let sorted = labelSets[range].indices.dropFirst().allSatisfy { Labels.compare(labelSets[$0 - 1], labelSets[$0]) < 0 }
            runs.append(sorted ? Array(range) : range.sorted { Labels.compare(labelSets[$0], labelSets[$1]) < 0 })
        }
        labelSets.withUnsafeBufferPointer { labelSets in
            while runs.count > 1 {
                var next: [[Int]] = []
                next.reserveCapacity((runs.count + 1) / 2)
                var r = 0
                while r + 1 < runs.count {
                    next.append(Self.merge(runs[r], runs[r + 1], labelSets))
                    r += 2
                }
                if r < runs.count { next.append(runs[r]) }
                runs = next
            }
            // Equal label sets are neighbours now (two series of one block can be equal too,
            // once external labels are merged in).
            let order = runs.first ?? []
            entries.reserveCapacity(order.count)
            var i = 0
            while i < order.count {
                let labels = labelSets[order[i]]
                var parts = [all[order[i]].part]
                i += 1
                while i < order.count, labelSets[order[i]] == labels {
                    parts.append(all[order[i]].part)
                    i += 1
                }
                entries.append((labels, parts))
            }
        }
    }

    /// Two runs of positions in `labelSets`, each in label order, as one (a stable merge).
    private static func merge(_ a: [Int], _ b: [Int], _ labelSets: UnsafeBufferPointer<Labels>) -> [Int] {
        var out: [Int] = []
        out.reserveCapacity(a.count + b.count)
        var i = 0, j = 0
        while i < a.count && j < b.count {
            if Labels.compare(labelSets[b[j]], labelSets[a[i]]) < 0 {
                out.append(b[j])
                j += 1
            } else {
                out.append(a[i])
                i += 1
            }
        }
        out += a[i...]
        out += b[j...]
        return out
    }

    var count: Int { entries.count }

    /// The parts of entry `i` in time order.
    func partsInTimeOrder(_ i: Int) -> [Part] { entries[i].parts.sorted { $0.blockMinTime < $1.blockMinTime } }

    /// Frees the parts of entry `i` once it is sent.
    mutating func release(_ i: Int) { entries[i].parts = [] }
}

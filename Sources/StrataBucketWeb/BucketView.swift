import StrataBucket
import StrataCore
import StrataTSDB

/// What the bucket viewer shows, computed from one sync of the bucket: the blocks grouped as
/// the compactor groups them (external labels and resolution), each group's gaps and
/// overlaps, the marks, partial uploads and unreadable blocks.
///
/// Pure and computed once per sync, so the page only draws: the rules that decide what an
/// operator sees as a problem (a gap, an overlap) live here, tested, not in JavaScript.
public struct BucketView: Sendable, Equatable {
    /// Blocks of one external-label set at one resolution: the unit the compactor compacts.
    public struct Group: Sendable, Equatable {
        /// `{labels}@resolution`, unique and stable across syncs (the page keys its rows on it).
        public var key: String
        /// The value of the `--label` external label when given and present, else all labels.
        public var title: String
        public var labels: [String: String]
        /// Milliseconds; 0 is raw data.
        public var resolution: Int64
        /// Every block of the group, deletion-marked ones included, sorted by (minTime, ULID).
        public var blocks: [ULID]
        public var minTime: Int64
        public var maxTime: Int64
        public var gaps: [TimeRange]
        public var overlaps: [Overlap]
    }

    /// A half-open range `[minTime, maxTime)` in milliseconds, as block ranges are.
    public struct TimeRange: Sendable, Equatable {
        public var minTime: Int64
        public var maxTime: Int64
        public init(_ minTime: Int64, _ maxTime: Int64) {
            self.minTime = minTime
            self.maxTime = maxTime
        }
    }

    /// Time covered by more than one live block of a group, and the blocks involved.
    public struct Overlap: Sendable, Equatable {
        public var range: TimeRange
        public var blocks: [ULID]
    }

    public var groups: [Group]
    /// Blocks with a readable meta.json, sorted by (minTime, ULID).
    public var metas: [BlockMeta]
    public var deletionMarks: [ULID: BlockMarker]
    public var noCompactMarks: [ULID: BlockMarker]
    public var noDownsampleMarks: [ULID: BlockMarker]
    /// Block directories without meta.json: an upload in progress or one that died.
    public var partial: [ULID]
    /// Blocks whose meta.json (or a marker) cannot be read, with the reason.
    public var unreadable: [ULID: String]

    /// A gap shorter than this (or than the group's resolution) is not reported: a block cut
    /// from scraped samples ends at its last sample + 1 ms while the next one starts on the
    /// next range boundary, so adjacent blocks are routinely a scrape interval apart.
    public static let defaultMinGap: Int64 = 15 * 60_000

    public init(snapshot: BlockMetaFetcher.Snapshot, titleLabel: String? = nil, minGap: Int64 = defaultMinGap) {
        metas = snapshot.sortedMetas
        deletionMarks = snapshot.deletionMarks
        noCompactMarks = snapshot.noCompactMarks
        noDownsampleMarks = snapshot.noDownsampleMarks
        partial = snapshot.partial.sorted()
        unreadable = snapshot.corrupted
        var byKey: [String: [BlockMeta]] = [:]
        for m in metas { byKey[Self.groupKey(m), default: []].append(m) }
        groups = byKey.map { key, blocks -> Group in
            let first = blocks[0]
            let labels = first.thanos?.labels ?? [:]
            let live = blocks.filter { snapshot.deletionMarks[$0.ulid] == nil }
            return Group(key: key, title: Self.title(labels, titleLabel: titleLabel), labels: labels, resolution: first.resolution,
                         blocks: blocks.map(\.ulid), minTime: blocks.map(\.minTime).min()!, maxTime: blocks.map(\.maxTime).max()!,
                         gaps: Self.gaps(live, minGap: max(minGap, first.resolution)), overlaps: Self.overlaps(live))
        }.sorted { ($0.title, $0.key, $0.resolution) < ($1.title, $1.key, $1.resolution) }
    }

    static func groupKey(_ m: BlockMeta) -> String { "\(m.externalLabels)@\(m.resolution)" }

    static func title(_ labels: [String: String], titleLabel: String?) -> String {
        if let l = titleLabel, let v = labels[l] { return v }
        return "\(Labels(labels))"
    }

    /// Uncovered time between the first and the last block of a group. Deletion-marked
    /// blocks are left out by the caller: their data is already in another block or expired,
    /// so they neither fill a gap nor make one.
    static func gaps(_ blocks: [BlockMeta], minGap: Int64) -> [TimeRange] {
        let sorted = blocks.sorted { ($0.minTime, $0.ulid) < ($1.minTime, $1.ulid) }
        guard var end = sorted.first?.maxTime else { return [] }
        var out: [TimeRange] = []
        for b in sorted.dropFirst() {
            if b.minTime - end >= minGap { out.append(TimeRange(end, b.minTime)) }
            end = max(end, b.maxTime)
        }
        return out
    }

    /// Time covered by two or more blocks of a group (ranges are half-open, so blocks that
    /// only touch do not overlap). Overlaps that meet in time are reported as one stretch
    /// naming every block involved; a long block overlapped at two separate places gives two.
    static func overlaps(_ blocks: [BlockMeta]) -> [Overlap] {
        let sorted = blocks.sorted { ($0.minTime, $0.ulid) < ($1.minTime, $1.ulid) }
        var out: [Overlap] = []
        var active: [BlockMeta] = []
        for b in sorted {
            active.removeAll { $0.maxTime <= b.minTime }
            if !active.isEmpty {
                let end = min(b.maxTime, active.map(\.maxTime).max()!)
                let ids = active.map(\.ulid) + [b.ulid]
                if var last = out.last, b.minTime <= last.range.maxTime {
                    last.range.maxTime = max(last.range.maxTime, end)
                    for id in ids where !last.blocks.contains(id) { last.blocks.append(id) }
                    out[out.count - 1] = last
                } else {
                    out.append(Overlap(range: TimeRange(b.minTime, end), blocks: ids))
                }
            }
            active.append(b)
        }
        return out
    }
}

import StrataCore
import StrataTSDB

/// Blocks that may be compacted together: same external labels (minus replica labels when
/// deduplicating) and same resolution — Thanos's compaction group.
public struct CompactionGroup: Sendable {
    public var labels: Labels
    public var resolution: Int64
    /// Sorted by (minTime, ULID).
    public var blocks: [BlockMeta]

    /// `<resolution>@{labels}`, like Thanos's group key but readable; used in logs and as the
    /// group's scratch directory name.
    public var key: String {
        "\(resolution)@" + labels.description
    }
}

/// Pure planning over block metadata (no I/O), so every decision of a pass is unit-testable:
/// grouping, Prometheus's leveled compaction plan over aligned ranges, overlaps, duplicates
/// left by an interrupted pass, retention and downsampling candidates.
public enum CompactPlanner {
    static let hour: Int64 = 3_600_000
    /// Thanos's default `--compact.block-ranges`-equivalent: 2h, 8h, 2d, 14d.
    public static let defaultRanges: [Int64] = [2 * hour, 8 * hour, 48 * hour, 14 * 24 * hour]
    /// Raw blocks spanning at least this are downsampled to 5m (Thanos: 40h, about 2 chunks of 5m samples per series).
    public static let downsampleRange5m: Int64 = 40 * hour
    /// 5m blocks spanning at least this are downsampled to 1h (Thanos: 10 days).
    public static let downsampleRange1h: Int64 = 10 * 24 * hour

    public static func groups(_ metas: [BlockMeta], replicaLabels: Set<String> = []) -> [CompactionGroup] {
        var byKey: [String: CompactionGroup] = [:]
        for m in metas {
            let labels = m.externalLabels.removing(replicaLabels)
            var g = CompactionGroup(labels: labels, resolution: m.resolution, blocks: [])
            g = byKey[g.key] ?? g
            g.blocks.append(m)
            byKey[g.key] = g
        }
        return byKey.values.map { g in
            var g = g
            g.blocks.sort { ($0.minTime, $0.ulid) < ($1.minTime, $1.ulid) }
            return g
        }.sorted { $0.key < $1.key }
    }

    /// Sets of blocks whose time ranges overlap (each set sorted by minTime), in time order.
    public static func overlaps(_ blocks: [BlockMeta]) -> [[BlockMeta]] {
        let sorted = blocks.sorted { ($0.minTime, $0.ulid) < ($1.minTime, $1.ulid) }
        var out: [[BlockMeta]] = []
        var current: [BlockMeta] = []
        var reach = Int64.min
        for b in sorted {
            if b.minTime < reach {
                current.append(b)
            } else {
                if current.count > 1 { out.append(current) }
                current = [b]
            }
            reach = max(reach, b.maxTime)
        }
        if current.count > 1 { out.append(current) }
        return out
    }

    /// The next compaction of a group without overlaps (Prometheus's `LeveledCompactor.plan`):
    /// the newest block is left out (it may still be growing a sibling), then for each range
    /// above the smallest, the first aligned window holding more than one block that either
    /// spans the whole window or lies entirely before the newest block. Empty: nothing to do.
    public static func plan(_ blocks: [BlockMeta], ranges: [Int64] = defaultRanges) -> [BlockMeta] {
        let sorted = blocks.sorted { ($0.minTime, $0.ulid) < ($1.minTime, $1.ulid) }
        guard ranges.count >= 2, sorted.count >= 2 else { return [] }
        let candidates = Array(sorted.dropLast())
        let highTime = candidates.last!.minTime
        for r in ranges.dropFirst() {
            for part in split(candidates, range: r) where part.count > 1 {
                let minT = part.first!.minTime, maxT = part.last!.maxTime
                if maxT - minT == r || maxT <= highTime { return part }
            }
        }
        return []
    }

    /// Blocks grouped by the aligned window `[t0, t0 + range)` that wholly contains them;
    /// blocks wider than a window or straddling two are skipped (Prometheus's `splitByRange`).
    static func split(_ blocks: [BlockMeta], range: Int64) -> [[BlockMeta]] {
        var out: [[BlockMeta]] = []
        var i = 0
        while i < blocks.count {
            let m = blocks[i]
            let t0 = m.minTime >= 0 ? range * (m.minTime / range) : range * ((m.minTime - range + 1) / range)
            if m.maxTime > t0 + range { i += 1; continue }
            var part: [BlockMeta] = []
            while i < blocks.count, blocks[i].maxTime <= t0 + range, blocks[i].minTime >= t0 {
                part.append(blocks[i])
                i += 1
            }
            if part.isEmpty { i += 1 } else { out.append(part) }
        }
        return out
    }

    /// How many compactions the group still needs: plans simulated on metadata until none is left.
    public static func pendingCompactions(_ blocks: [BlockMeta], ranges: [Int64] = defaultRanges) -> Int {
        var blocks = blocks
        var n = 0
        while case let p = plan(blocks, ranges: ranges), !p.isEmpty {
            let ids = Set(p.map(\.ulid))
            var merged = BlockMeta(ulid: ULID(), minTime: p.map(\.minTime).min()!, maxTime: p.map(\.maxTime).max()!)
            merged.compaction.sources = p.flatMap(\.sourceIDs)
            blocks = blocks.filter { !ids.contains($0.ulid) } + [merged]
            n += 1
        }
        return n
    }

    /// Blocks whose sources are all covered by another block of the same group — what an
    /// interrupted pass leaves when it uploaded a compacted block but did not get to mark its
    /// inputs. The covering block has more sources, or the same sources and a lower level is
    /// the duplicate (ties broken by ULID, so exactly one copy survives).
    public static func duplicates(_ blocks: [BlockMeta]) -> [BlockMeta] {
        let sources = blocks.map { Set($0.sourceIDs) }
        // A covering block holds every source, so it is among the holders of the first one:
        // near-linear instead of comparing all pairs of a group of thousands of blocks.
        var holders: [ULID: [Int]] = [:]
        for (j, c) in blocks.enumerated() { for s in c.sourceIDs { holders[s, default: []].append(j) } }
        var out: [BlockMeta] = []
        for (i, b) in blocks.enumerated() {
            guard let first = b.sourceIDs.first else { continue }
            for j in holders[first] ?? [] where i != j && sources[i].isSubset(of: sources[j]) {
                let c = blocks[j]
                let covered = sources[j].count > sources[i].count
                    || (b.compaction.level, c.ulid) < (c.compaction.level, b.ulid)
                if covered { out.append(b); break }
            }
        }
        return out
    }

    /// Blocks whose data is older than their resolution's retention (0 = kept forever).
    /// A block goes only when all of it is older: its maxTime is before `now - retention`.
    public static func expired(_ blocks: [BlockMeta], nowMs: Int64, retention: [Int64: Int64]) -> [BlockMeta] {
        blocks.filter { b in
            guard let r = retention[b.resolution], r > 0 else { return false }
            return b.maxTime < nowMs - r
        }
    }

    /// Blocks to downsample next (Thanos's rules): raw blocks spanning ≥ 40h to 5m and 5m
    /// blocks spanning ≥ 10d to 1h, unless every source is already in a block of the target
    /// resolution (the downsampled copy exists, maybe inside a bigger compacted block).
    public static func downsamplings(_ blocks: [BlockMeta]) -> [(BlockMeta, Int64)] {
        var covered: [Int64: Set<ULID>] = [:]
        for b in blocks where b.resolution > 0 { covered[b.resolution, default: []].formUnion(b.sourceIDs) }
        var out: [(BlockMeta, Int64)] = []
        for b in blocks.sorted(by: { ($0.minTime, $0.ulid) < ($1.minTime, $1.ulid) }) {
            let target: Int64
            switch b.resolution {
            case 0 where b.maxTime - b.minTime >= downsampleRange5m: target = Downsample.resolution5m
            case Downsample.resolution5m where b.maxTime - b.minTime >= downsampleRange1h: target = Downsample.resolution1h
            default: continue
            }
            if b.sourceIDs.allSatisfy({ covered[target]?.contains($0) == true }) { continue }
            out.append((b, target))
        }
        return out
    }
}

extension BlockMeta {
    /// The 2h blocks this block was made of (itself when it was never compacted).
    public var sourceIDs: [ULID] { compaction.sources.isEmpty ? [ulid] : compaction.sources }
}

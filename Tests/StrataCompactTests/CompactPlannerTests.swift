import StrataCore
import StrataTSDB
import Testing
@testable import StrataCompact

/// The planner's decisions on metadata alone.
@Suite struct CompactPlannerTests {
    static let h: Int64 = 3_600_000

    static func meta(_ minH: Int64, _ maxH: Int64, level: Int = 1, sources: [ULID] = []) -> BlockMeta {
        var m = BlockMeta(ulid: ULID(), minTime: minH * h, maxTime: maxH * h)
        m.compaction.level = level
        m.compaction.sources = sources.isEmpty ? [m.ulid] : sources
        return m
    }

    @Test func leveledPlanOverAlignedWindows() {
        // 3 days of 2h blocks from an epoch-aligned 2d boundary: 9 compactions in all.
        let blocks = (0..<36).map { Self.meta(Int64($0) * 2 + 48 * 10000, Int64($0) * 2 + 2 + 48 * 10000) }
        #expect(CompactPlanner.pendingCompactions(blocks) == 9)
        let first = CompactPlanner.plan(blocks)
        #expect(first.map(\.ulid) == blocks.prefix(4).map(\.ulid))
        // The newest block is never planned, even when its window is otherwise complete.
        #expect(CompactPlanner.plan(Array(blocks.suffix(4))).isEmpty)
        // A block straddling two windows is skipped, not merged across them.
        let straddle = [Self.meta(7, 9), Self.meta(9, 10), Self.meta(20, 22)]
        #expect(CompactPlanner.split(straddle, range: 8 * Self.h).map { $0.map(\.minTime) } == [[9 * Self.h], [20 * Self.h]])
    }

    @Test func duplicatesKeepExactlyOneCopy() {
        let a = Self.meta(0, 2), b = Self.meta(2, 4)
        let merged = Self.meta(0, 4, level: 2, sources: [a.ulid, b.ulid])
        #expect(Set(CompactPlanner.duplicates([a, b, merged]).map(\.ulid)) == [a.ulid, b.ulid])
        // Two compactions of the same sources (a pass re-run after a crash): the lower ULID stays.
        let twin = Self.meta(0, 4, level: 2, sources: [a.ulid, b.ulid])
        let dups = CompactPlanner.duplicates([merged, twin])
        #expect(dups.count == 1 && dups[0].ulid == max(merged.ulid, twin.ulid))
    }

    @Test func overlapsAndDownsamplingCandidates() {
        let x = Self.meta(0, 2), y = Self.meta(1, 3), z = Self.meta(4, 6)
        #expect(CompactPlanner.overlaps([z, y, x]).map { $0.map(\.ulid) } == [[x.ulid, y.ulid]])
        var twoDays = Self.meta(0, 48, level: 3)
        #expect(CompactPlanner.downsamplings([twoDays]).map(\.1) == [Downsample.resolution5m])
        var fiveMinute = twoDays
        fiveMinute.ulid = ULID()
        fiveMinute.thanos = ThanosMeta(labels: [:])
        fiveMinute.thanos?.downsampleResolution = Downsample.resolution5m
        #expect(CompactPlanner.downsamplings([twoDays, fiveMinute]).isEmpty, "already downsampled")
        twoDays.maxTime = 39 * Self.h
        #expect(CompactPlanner.downsamplings([twoDays]).isEmpty, "shorter than 40h")
    }
}

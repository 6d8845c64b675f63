import StrataBucket
import StrataCore
import StrataTSDB
import Testing
@testable import StrataBucketWeb

/// The viewer's model: grouping by external labels and resolution, gaps, overlaps, marks,
/// partial uploads and unreadable blocks, on hand-made metas.
@Suite struct BucketViewTests {
    static let h: Int64 = 3_600_000

    static func meta(_ minH: Int64, _ maxH: Int64, level: Int = 1, labels: [String: String] = ["cluster": "eu"], resolution: Int64 = 0,
                     seed: Int64 = 0) -> BlockMeta {
        var m = BlockMeta(ulid: ULID(timestampMs: 1_700_000_000_000 + minH * 1000 + seed), minTime: minH * h, maxTime: maxH * h)
        m.compaction.level = level
        m.thanos = ThanosMeta(labels: labels, source: "sidecar", resolution: resolution)
        return m
    }

    static func snapshot(_ metas: [BlockMeta]) -> BlockMetaFetcher.Snapshot {
        var s = BlockMetaFetcher.Snapshot()
        for m in metas { s.metas[m.ulid] = m }
        return s
    }

    @Test func groupsByExternalLabelsAndResolution() {
        let metas = [Self.meta(0, 2), Self.meta(2, 4), Self.meta(0, 48, level: 3, resolution: 300_000),
                     Self.meta(0, 2, labels: ["cluster": "us"]), Self.meta(0, 2, labels: ["cluster": "eu", "replica": "b"])]
        let v = BucketView(snapshot: Self.snapshot(metas))
        #expect(v.groups.map(\.title) == ["{cluster=\"eu\", replica=\"b\"}", "{cluster=\"eu\"}", "{cluster=\"eu\"}", "{cluster=\"us\"}"])
        let eu = v.groups.filter { $0.labels == ["cluster": "eu"] }
        #expect(eu.map(\.resolution) == [0, 300_000])
        #expect(eu[0].blocks == [metas[0].ulid, metas[1].ulid])
        #expect(eu[0].minTime == 0 && eu[0].maxTime == 4 * Self.h)
        #expect(Set(v.groups.map(\.key)).count == 4)
        #expect(v.metas.count == 5)

        // --label: the label's value titles the group; groups without it keep all labels.
        let titled = BucketView(snapshot: Self.snapshot(metas + [Self.meta(0, 2, labels: ["env": "x"])]), titleLabel: "cluster")
        #expect(titled.groups.map(\.title) == ["eu", "eu", "eu", "us", "{env=\"x\"}"])
    }

    @Test func gapsBetweenBlocksNotAtTheEdges() {
        // 0-2, 2-4, gap 4-8, 8-10, then 10h05m-12 (a 5 minute hole: not a gap).
        var last = Self.meta(10, 12)
        last.minTime += 5 * 60_000
        let metas = [Self.meta(0, 2), Self.meta(2, 4), Self.meta(8, 10), last]
        let g = BucketView(snapshot: Self.snapshot(metas)).groups[0]
        #expect(g.gaps == [BucketView.TimeRange(4 * Self.h, 8 * Self.h)])
        #expect(g.overlaps.isEmpty)
        // A gap shorter than the resolution is not one (1h blocks a few minutes apart).
        let coarse = BucketView(snapshot: Self.snapshot([Self.meta(0, 240, resolution: 3_600_000), Self.meta(240, 480, resolution: 3_600_000)]))
        #expect(coarse.groups[0].gaps.isEmpty)
        #expect(BucketView.gaps([Self.meta(0, 2), Self.meta(2, 4)].map { var m = $0; m.maxTime -= 30_000; return m }, minGap: 0).count == 1)
    }

    @Test func overlapsNameTheBlocksAndMergeWhenTheyMeet() {
        let a = Self.meta(0, 8, level: 2), b = Self.meta(6, 8), c = Self.meta(7, 10, seed: 1)
        let d = Self.meta(10, 12), e = Self.meta(20, 22), f = Self.meta(21, 23, seed: 2)
        let g = BucketView(snapshot: Self.snapshot([a, b, c, d, e, f])).groups[0]
        #expect(g.overlaps.count == 2)
        #expect(g.overlaps[0].range == BucketView.TimeRange(6 * Self.h, 8 * Self.h))
        #expect(Set(g.overlaps[0].blocks) == [a.ulid, b.ulid, c.ulid])
        #expect(g.overlaps[1].range == BucketView.TimeRange(21 * Self.h, 22 * Self.h))
        #expect(g.overlaps[1].blocks == [e.ulid, f.ulid])
        #expect(g.gaps == [BucketView.TimeRange(12 * Self.h, 20 * Self.h)])
        // Blocks that only touch (half-open ranges) do not overlap.
        #expect(BucketView.overlaps([Self.meta(0, 2), Self.meta(2, 4)]).isEmpty)
        // A long block overlapped at two separate places: two overlaps, not one spanning the middle.
        let long = Self.meta(0, 48, level: 3), early = Self.meta(2, 4), late = Self.meta(40, 42)
        #expect(BucketView.overlaps([long, early, late]).map(\.range) == [BucketView.TimeRange(2 * Self.h, 4 * Self.h),
                                                                          BucketView.TimeRange(40 * Self.h, 42 * Self.h)])
    }

    @Test func deletionMarkedBlocksNeitherOverlapNorFillGaps() {
        // The 8h block replaced its four 2h sources, which are marked for deletion: no overlap.
        let sources = (0..<4).map { Self.meta(Int64($0) * 2, Int64($0) * 2 + 2) }
        let compacted = Self.meta(0, 8, level: 2, seed: 9)
        // A marked block alone between two live ones leaves a gap.
        let before = Self.meta(8, 10), marked = Self.meta(10, 12), after = Self.meta(12, 14)
        var s = Self.snapshot(sources + [compacted, before, marked, after])
        for m in sources + [marked] { s.deletionMarks[m.ulid] = BlockMarker(kind: .deletion, id: m.ulid, time: 1_700_000_000) }
        s.noCompactMarks[before.ulid] = BlockMarker(kind: .noCompact, id: before.ulid, time: 1_700_000_000, reason: "manual")
        let v = BucketView(snapshot: s)
        let g = v.groups[0]
        #expect(g.blocks.count == 8, "marked blocks are still shown")
        #expect(g.overlaps.isEmpty)
        #expect(g.gaps == [BucketView.TimeRange(10 * Self.h, 12 * Self.h)])
        #expect(v.deletionMarks.count == 5 && v.noCompactMarks.keys.first == before.ulid)
    }

    @Test func partialUploadsAndUnreadableBlocksAreKeptApart() throws {
        var s = Self.snapshot([Self.meta(0, 2)])
        let partial = try ULID(parsing: "01HQZZZZZZZZZZZZZZZZZZZZZZ"), bad = try ULID(parsing: "01HQYYYYYYYYYYYYYYYYYYYYYY")
        s.partial = [partial]
        s.corrupted[bad] = "meta.json: unexpected end of input"
        let v = BucketView(snapshot: s)
        #expect(v.partial == [partial] && v.unreadable[bad] == "meta.json: unexpected end of input")
        #expect(v.groups.count == 1 && v.groups[0].blocks.count == 1)
        // The JSON answer keeps Thanos's shape and carries them as extra members.
        let state = BucketViewState(titleLabel: "cluster")
        state.record(s)
        let j = try JSONValue(parsing: state.json)
        #expect(j["status"]?.stringValue == "success")
        #expect(j["data"]?["blocks"]?.arrayValue?.first?["ulid"]?.stringValue == v.metas[0].ulid.description)
        #expect(j["data"]?["label"]?.stringValue == "cluster")
        #expect(j["data"]?["refreshedAt"]?.stringValue != nil)
        #expect(j["data"]?["partial"]?.arrayValue?.first?["ulid"]?.stringValue == partial.description)
        #expect(j["data"]?["unreadable"]?.arrayValue?.first?["error"]?.stringValue == "meta.json: unexpected end of input")
        #expect(j["data"]?["err"] == .null && j["data"]?["pending"] == .null)
    }

    @Test func aFailedSyncKeepsTheLastList() throws {
        struct Down: Error, CustomStringConvertible { var description: String { "connection refused" } }
        let state = BucketViewState()
        var j = try JSONValue(parsing: state.json)
        #expect(j["data"]?["pending"]?.stringValue == "the bucket has not been read yet")
        #expect(j["data"]?["blocks"]?.arrayValue?.isEmpty == true)
        state.record(Self.snapshot([Self.meta(0, 2), Self.meta(2, 4)]))
        state.recordFailure(Down())
        j = try JSONValue(parsing: state.json)
        #expect(j["data"]?["blocks"]?.arrayValue?.count == 2)
        #expect(j["data"]?["err"]?.stringValue == "connection refused")
        #expect(j["data"]?["errAt"]?.stringValue != nil && j["data"]?["syncFailures"]?.int64Value == 1)
        state.record(.failure(CancellationError()))
        #expect(try JSONValue(parsing: state.json)["data"]?["syncFailures"]?.int64Value == 1, "a stop is not a failure")
        state.record(.success(Self.snapshot([Self.meta(0, 2)])))
        j = try JSONValue(parsing: state.json)
        #expect(j["data"]?["err"] == .null && j["data"]?["blocks"]?.arrayValue?.count == 1)
    }
}

import StrataCore
import StrataPromQL
import Testing
@testable import StrataQuery

@Suite struct DedupTests {
    static func cols(_ pts: [(Int64, Double)]) -> SampleColumns {
        SampleColumns(timestamps: pts.map(\.0), values: pts.map(\.1))
    }

    /// Two replicas scraping every 15 s, 3 s apart, each with its own gap: the merge fills
    /// both gaps, never takes both replicas' samples of one interval, and switches within
    /// the penalty (at most 3 intervals between samples).
    @Test func penaltyFillsGapsWithoutDoubling() {
        let a = Self.cols((0..<40).filter { !(10..<16).contains($0) }.map { (Int64($0) * 15_000, Double($0)) })
        let b = Self.cols((0..<40).filter { !(25..<30).contains($0) }.map { (Int64($0) * 15_000 + 3000, Double($0)) })
        let m = Dedup.penalty(a, b, counter: false)
        let gaps = zip(m.timestamps, m.timestamps.dropFirst()).map { $1 - $0 }
        #expect(gaps.allSatisfy { $0 >= 12_000 && $0 <= 45_000 }, "\(gaps)")
        #expect(gaps.filter { $0 > 18_000 }.count == 2, "one switch per gap: \(gaps)")
        #expect(m.timestamps.first == 0)
        #expect(m.timestamps.last == 39 * 15_000 + 3000 || m.timestamps.last == 39 * 15_000)
    }

    @Test func chainIsTheUnion() {
        let m = SeriesMerge.chain(Self.cols([(1, 1), (3, 3), (5, 5)]), Self.cols([(2, 20), (3, 30), (6, 60)]))
        #expect(m.timestamps == [1, 2, 3, 5, 6])
        #expect(m.values == [1, 20, 3, 5, 60])
    }

    /// Replica b runs slightly behind a (its counter is lower at the switch): a plain merge
    /// would show a drop, i.e. a counter reset that never happened.
    @Test func counterSwitchDoesNotFakeAReset() {
        let a = Self.cols([(0, 100), (15_000, 110), (30_000, 120)])
        let b = Self.cols([(1000, 99), (16_000, 104), (31_000, 110), (46_000, 114), (61_000, 118), (76_000, 125)])
        let plain = Dedup.penalty(a, b, counter: false)
        #expect(zip(plain.values, plain.values.dropFirst()).contains { $1 < $0 })
        let m = Dedup.penalty(a, b, counter: true)
        #expect(zip(m.values, m.values.dropFirst()).allSatisfy { $1 >= $0 }, "\(m.values)")
        // b at 31s is a near-duplicate of a at 30s; from 46s on b continues, lifted by 6.
        #expect(m.values == [100, 110, 120, 120, 124, 131])
    }

    /// A real reset seen by the replica switched to is kept (Thanos would hide it).
    @Test func counterRealResetAcrossSwitchIsKept() {
        let a = Self.cols([(0, 100), (15_000, 110), (30_000, 120)])
        // b: before the switch it was at 119; at 46 s the target restarted.
        let b = Self.cols([(31_000, 119), (46_000, 5), (61_000, 15)])
        let m = Dedup.penalty(a, b, counter: true)
        let drops = zip(m.values, m.values.dropFirst()).filter { $1 < $0 }.count
        #expect(drops == 1, "\(m.timestamps) \(m.values)")
    }

    @Test func deduplicateGroupsByLabelsWithoutReplica() {
        let s1 = StorageSeries(labels: Labels(["__name__": "up", "replica": "a"]), samples: Self.cols([(0, 1)]))
        let s2 = StorageSeries(labels: Labels(["__name__": "up", "replica": "b"]), samples: Self.cols([(30_000, 1)]))
        let s3 = StorageSeries(labels: Labels(["__name__": "up", "job": "x", "replica": "a"]), samples: Self.cols([(0, 2)]))
        let out = Dedup.deduplicate([s3, s2, s1], replicaLabels: ["replica"], algorithm: .penalty, counter: false)
        #expect(out.map(\.labels) == [Labels(["__name__": "up"]), Labels(["__name__": "up", "job": "x"])])
        #expect(out[0].samples.timestamps == [0, 30_000])
    }
}

extension DedupTests {
    /// Deduplicated history (no replica label, ends) followed by a live replica: the switch
    /// keeps every sample (Thanos's penalty would drop the replica's first two).
    @Test func historyThenReplicaKeepsEverySample() {
        let history = Self.cols([(0, 1), (120_000, 2), (240_000, 3)])
        let live = Self.cols([(360_000, 4), (480_000, 5), (600_000, 6)])
        let m = Dedup.penalty(history, live, counter: false)
        #expect(m.timestamps == [0, 120_000, 240_000, 360_000, 480_000, 600_000])
        let c = Dedup.penalty(history, live, counter: true)
        #expect(c.values == [1, 2, 3, 4, 5, 6])
    }
}

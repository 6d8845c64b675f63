import Foundation
import StrataCore
import StrataObjStore
import StrataTestSupport
import Testing
@testable import StrataCompact

/// `--selector.relabel-config` on the compactor: which groups a selection owns, one lock per
/// selection, and the overlap rule between live compactors (the later one stops).
@Suite struct CompactorShardingTests {
    static let c1 = Labels(["cluster": "c1", "replica": "a"]), c1b = Labels(["cluster": "c1", "replica": "b"])
    static let c2 = Labels(["cluster": "c2"]), c3 = Labels(["cluster": "c3"])

    static func keep(_ regex: String, _ label: String = "cluster") throws -> CompactorSelection {
        try CompactorSelection(yaml: "- action: keep\n  source_labels: [\(label)]\n  regex: \(regex)\n")
    }

    @Test func selectionsOwnWholeGroups() throws {
        #expect(throws: ConfigError.self) { try CompactorSelection(yaml: "- action: keep\n  source_labels: [__block_id]\n  regex: 01.*\n") }
        #expect(throws: ConfigError.self) { try CompactorSelection(yaml: "") }
        #expect(throws: ConfigError.self) { try CompactorSelection(yaml: "- action: labelmap\n") }
        let a = try Self.keep("c1|c2"), b = try Self.keep("c3")
        #expect(a.selects(Self.c1) && a.selects(Self.c2) && !a.selects(Self.c3))
        #expect(a.shardID == (try Self.keep("c1|c2")).shardID && a.shardID != b.shardID && a.shardID.count == 16)
        let sets = [Self.c1, Self.c1b, Self.c2, Self.c3]
        #expect(CompactorSelection.overlap(a, b, labelSets: sets, replicaLabels: ["replica"]).isEmpty)
        #expect(CompactorSelection.overlap(a, nil, labelSets: sets, replicaLabels: ["replica"]) == [Labels(["cluster": "c1"]), Self.c2])
        // Rules over the replica label touch one group from two sides: an overlap.
        let ra = try Self.keep("a", "replica"), rb = try Self.keep("b", "replica")
        #expect(CompactorSelection.overlap(ra, rb, labelSets: sets, replicaLabels: ["replica"]) == [Labels(["cluster": "c1"])])
    }

    @Test func laterOverlappingCompactorStops() async throws {
        let (bucket, _) = try Fixture.fsBucket("lock-shards")
        let sets = [Self.c2, Self.c3, Labels(["cluster": "c1"])]
        func lock(_ s: CompactorSelection?) -> CompactorLock {
            let l = CompactorLock(bucket: bucket, ttl: .seconds(60), selection: s)
            l.noteLabelSets(sets)
            return l
        }
        let first = lock(try Self.keep("c1|c2"))
        try await first.acquire()
        #expect(first.key.hasPrefix(CompactorLock.shardPrefix) && first.key.hasSuffix(".lock"))
        try await first.checkOverlaps()

        // Disjoint: both work.
        let disjoint = lock(try Self.keep("c3"))
        try await disjoint.acquire()
        try await disjoint.verify()
        try await first.verify()

        // Overlapping on c2: the later one stops, naming both selections and the group; the
        // first goes on.
        let late = lock(try Self.keep("c2|c3"))
        try await late.acquire()
        do {
            try await late.verify()
            Issue.record("an overlapping later compactor must stop")
        } catch let e as CompactorLockError {
            guard case .overlap(let h, let ours, let groups) = e else { throw e }
            #expect(h.owner == first.owner || h.owner == disjoint.owner)
            #expect(ours == "- action: keep\n  source_labels: [cluster]\n  regex: c2|c3")
            #expect(!groups.isEmpty)
            #expect(e.description.contains("regex: c2|c3") && e.description.contains("compacts --selector.relabel-config"))
        }
        try await first.verify()
        try await late.release()

        // The same rules share one lock object: held, as without sharding.
        do {
            try await lock(try Self.keep("c1|c2")).acquire()
            Issue.record("the same selection must find its lock held")
        } catch CompactorLockError.held(let h) {
            #expect(h.owner == first.owner && h.selection?.contains("c1|c2") == true)
        }

        // A whole-bucket compactor overlaps every live sharded one; released locks count for nothing.
        let whole = lock(nil)
        try await whole.acquire()
        await #expect(throws: CompactorLockError.self) { try await whole.checkOverlaps() }
        try await whole.release()
        try await first.release()
        try await disjoint.release()
        let alone = lock(nil)
        try await alone.acquire()
        try await alone.verify()
    }
}

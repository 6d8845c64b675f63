import Testing
import StrataCore
@testable import StrataStore

/// The merge both block-backed stores answer a Series request with.
@Suite struct SeriesGroupsTests {
    typealias Groups = SeriesGroups<String>

    func P(blockMinTime t: Int64) -> SeriesPart<String> { SeriesPart(block: "b\(t)", chunks: [], blockMinTime: t) }

    @Test func oneEntryPerLabelSetInLabelOrderPartsInTimeOrder() {
        var g = Groups(singleBlock: false)
        var fresh: [Bool] = []
        for (name, t) in [("b", 20), ("a", 10), ("b", 0), ("c", 5), ("a", 0)] {
            g.add(Labels(["n": name]), P(blockMinTime: Int64(t))) { fresh.append($0) }
        }
        #expect(fresh == [true, true, false, true, false])
        g.sortByLabels()
        #expect(g.entries.map { $0.labels["n"] } == ["a", "b", "c"])
        #expect(g.partsInTimeOrder(1).map(\.blockMinTime) == [0, 20])
        g.release(1)
        #expect(g.entries[1].parts.isEmpty)
    }

    @Test func aRefusedPartIsNotAdded() {
        struct Full: Error {}
        var g = Groups(singleBlock: false)
        #expect(throws: Full.self) { try g.add(Labels(["n": "a"]), P(blockMinTime: 0)) { _ in throw Full() } }
        #expect(g.count == 0)
    }

    @Test func oneBlockNeedsNoLookup() {
        var g = Groups(singleBlock: true)
        for name in ["b", "a"] { g.add(Labels(["n": name]), P(blockMinTime: 0)) { #expect($0) } }
        g.sortByLabels()
        #expect(g.entries.map { $0.labels["n"] } == ["a", "b"])
    }
}

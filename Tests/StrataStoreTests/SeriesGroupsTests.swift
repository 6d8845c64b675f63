import Testing
import StrataCore
@testable import StrataStore

/// The merge both block-backed stores answer a Series request with.
@Suite struct SeriesGroupsTests {
    typealias Groups = SeriesGroups<String>

    func P(blockMinTime t: Int64) -> SeriesPart<String> { SeriesPart(block: "b\(t)", chunks: [], blockMinTime: t) }

    func found(_ names: [String], at t: Int64) -> [Groups.Found] { names.map { (Labels(["n": $0]), P(blockMinTime: t)) } }

    @Test func oneEntryPerLabelSetInLabelOrderPartsInTimeOrder() {
        // Blocks in completion order, not time order; each block's series in label order.
        var g = Groups(merging: [found(["b", "d"], at: 20), found(["a", "b", "c"], at: 0), found([], at: 5),
                                 found(["a", "c", "d"], at: 10)])
        #expect(g.entries.map { $0.labels["n"] } == ["a", "b", "c", "d"])
        #expect(g.entries.map(\.parts.count) == [2, 2, 2, 2])
        #expect(g.partsInTimeOrder(1).map(\.blockMinTime) == [0, 20])
        #expect(g.partsInTimeOrder(3).map(\.blockMinTime) == [10, 20])
        g.release(1)
        #expect(g.entries[1].parts.isEmpty)
    }

    /// A block's list out of label order is sorted; two of its series that became one label
    /// set (external labels merged in) are one entry with both parts.
    @Test func unsortedListsAndDuplicatesWithinABlock() {
        let g = Groups(merging: [found(["c", "a", "b", "a"], at: 0), found(["b"], at: 7)])
        #expect(g.entries.map { $0.labels["n"] } == ["a", "b", "c"])
        #expect(g.entries.map(\.parts.count) == [2, 2, 1])
        #expect(Groups(merging: []).count == 0)
    }

    @Test func oneBlock() {
        let g = Groups(merging: [found(["a", "b"], at: 0)])
        #expect(g.entries.map { $0.labels["n"] } == ["a", "b"])
        #expect(g.entries.allSatisfy { $0.parts.count == 1 })
    }
}

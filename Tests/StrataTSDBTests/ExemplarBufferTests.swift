import StrataCore
import StrataTSDB
import Testing

@Suite struct ExemplarBufferTests {
    static func e(_ t: Int64, _ v: Double, trace: String = "t") -> ExemplarBuffer.Exemplar {
        .init(labels: Labels(["trace_id": trace]), value: v, timestamp: t)
    }

    @Test func keepsTheNewestAcrossSeriesAndRefusesOldOnes() throws {
        let b = ExemplarBuffer(capacity: 4)
        let a = Labels(["__name__": "a"]), c = Labels(["__name__": "c"])
        #expect(try b.add(series: a, Self.e(1, 1)))
        #expect(try b.add(series: c, Self.e(2, 2)))
        #expect(try b.add(series: a, Self.e(3, 3)))
        // An exact repeat is dropped silently; an older or equal timestamp is out of order.
        #expect(try !b.add(series: a, Self.e(3, 3)))
        #expect(throws: ExemplarBuffer.Refusal.outOfOrder) { try b.add(series: a, Self.e(3, 4)) }
        #expect(throws: ExemplarBuffer.Refusal.outOfOrder) { try b.add(series: a, Self.e(2, 4)) }
        #expect(throws: ExemplarBuffer.Refusal.labelsTooLong) {
            try b.add(series: a, .init(labels: Labels(["trace_id": String(repeating: "x", count: 121)]), value: 1, timestamp: 9))
        }
        // Two more push out the two oldest (a@1, c@2): c has none left.
        try b.add(series: a, Self.e(4, 4))
        try b.add(series: a, Self.e(5, 5))
        #expect(try b.add(series: c, Self.e(6, 6)))
        let all = b.select(start: .min, end: .max, [[try Matcher(.regexMatch, "__name__", ".+")]])
        #expect(all.map(\.series) == [a, c])
        #expect(all[0].exemplars.map(\.timestamp) == [3, 4, 5] && all[1].exemplars.map(\.timestamp) == [6])
        // Time range and matchers.
        let some = b.select(start: 4, end: 5, [[try Matcher(.equal, "__name__", "a")]])
        #expect(some.count == 1 && some[0].exemplars.map(\.value) == [4, 5])
        #expect(b.select(start: 0, end: 100, [[try Matcher(.equal, "__name__", "zzz")]]).isEmpty)
    }

    @Test func capacityZeroStoresNothing() throws {
        let b = ExemplarBuffer(capacity: 0)
        #expect(try !b.add(series: Labels(["__name__": "a"]), Self.e(1, 1)))
        #expect(b.select(start: .min, end: .max, [[]]).isEmpty)
    }
}

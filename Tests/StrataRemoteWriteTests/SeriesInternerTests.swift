import StrataCore
@testable import StrataRemoteWrite
import Testing

@Suite struct SeriesInternerTests {
    static func request(_ t: Int64, _ names: [String]) -> [UInt8] {
        RemoteWriteV1.encode(WriteBatch(series: names.map {
            WriteSeries(labels: Labels(["__name__": $0, "job": "node", "instance": "a:9100"]), samples: [WriteSample(t, 1)])
        }))
    }

    /// The same series in a later request gets the same labels (one instance) and key; other
    /// series other keys; what an interned decode returns equals a plain decode.
    @Test func knownSeriesGetTheirLabelsBack() throws {
        let interner = SeriesInterner()
        let a = try RemoteWriteV1.decode(Self.request(1, ["up", "load1"]), interner: interner)
        let b = try RemoteWriteV1.decode(Self.request(2, ["load1", "up", "load5"]), interner: interner)
        let plain = try RemoteWriteV1.decode(Self.request(2, ["load1", "up", "load5"]))
        #expect(b.series.map(\.labels) == plain.series.map(\.labels) && plain.series.allSatisfy { $0.internKey == 0 })
        #expect(interner.count == 3)
        #expect(a.series[0].internKey == b.series[1].internKey && a.series[1].internKey == b.series[0].internKey)
        #expect(Set(b.series.map(\.internKey)).count == 3 && b.series.allSatisfy { $0.internKey != 0 })
        a.series[0].labels.pairs.withUnsafeBufferPointer { x in
            b.series[1].labels.pairs.withUnsafeBufferPointer { y in #expect(x.baseAddress == y.baseAddress) }
        }
    }

    /// Invalid label sets are refused every time, never interned.
    @Test func invalidSeriesAreNeverInterned() throws {
        let interner = SeriesInterner()
        let bad = RemoteWriteV1.encode(WriteBatch(series: [WriteSeries(labels: Labels(["job": "x"]), samples: [WriteSample(1, 1)])]))
        for _ in 0..<2 {
            let r = try RemoteWriteV1.decode(bad, invalidSeries: .collect, interner: interner)
            #expect(r.series.isEmpty && r.rejected.count == 1)
        }
        #expect(interner.count == 0)
    }

    /// Labels sent with another field between them (no sender we know does) are keyed by the
    /// same bytes as when they are adjacent: same labels, same key.
    @Test func labelsSplitByAnotherFieldGetTheSameKey() throws {
        var w = ProtoWriter(capacity: 256)
        w.withMessage(1) { w in
            w.withMessage(1) { w in w.stringField(1, "__name__"); w.stringField(2, "up") }
            w.withMessage(2) { w in w.doubleField(1, 1); w.int64Field(2, 5) }
            w.withMessage(1) { w in w.stringField(1, "job"); w.stringField(2, "node") }
        }
        let interner = SeriesInterner()
        let split = try RemoteWriteV1.decode(w.bytes, interner: interner)
        let adjacent = try RemoteWriteV1.decode(RemoteWriteV1.encode(WriteBatch(series: [
            WriteSeries(labels: Labels(["__name__": "up", "job": "node"]), samples: [WriteSample(5, 1)])])), interner: interner)
        #expect(split.series.map(\.labels) == [Labels(["__name__": "up", "job": "node"])])
        #expect(split.series[0].internKey == adjacent.series[0].internKey && interner.count == 1)
    }

    /// A request's series are looked up before it is decoded (`InternedSeries`): a tagged
    /// series with float samples only comes back by ref without labels; one with an exemplar
    /// needs its labels and gets them; a new series in the same request is built and interned.
    @Test func seriesLookedUpBeforeDecodingResolveLikeOneByOne() throws {
        let interner = SeriesInterner()
        let up = Labels(["__name__": "up", "job": "node"]), load = Labels(["__name__": "load1", "job": "node"])
        let first = try RemoteWriteV1.decode(RemoteWriteV1.encode(WriteBatch(series: [
            WriteSeries(labels: up, samples: [WriteSample(1, 1)]), WriteSeries(labels: load, samples: [WriteSample(1, 1)])])),
            interner: interner, knownByRef: true)
        interner.setTags(first.series.enumerated().map { (key: $1.internKey, tag: UInt64($0 + 10)) })
        let fresh = Labels(["__name__": "load5", "job": "node"])
        let second = try RemoteWriteV1.decode(RemoteWriteV1.encode(WriteBatch(series: [
            WriteSeries(labels: up, samples: [WriteSample(2, 1)]),
            WriteSeries(labels: load, samples: [WriteSample(2, 1)], exemplars: [WriteExemplar(labels: Labels(["id": "x"]), timestamp: 2, value: 1)]),
            WriteSeries(labels: fresh, samples: [WriteSample(2, 1)])])), interner: interner, knownByRef: true)
        #expect(second.known.map(\.ref) == [10] && second.known[0].internKey == first.series[0].internKey)
        #expect(second.series.map(\.labels) == [load, fresh] && second.series.map(\.internTag) == [11, 0])
        #expect(interner.count == 3)
    }

    /// Remote write 2.0 series are keyed by their labels written as 1.0 sends them: a series
    /// first seen over 1.0 is found again over 2.0 (by ref when tagged), a new 2.0 series is
    /// interned, invalid ones never are, and what comes back equals a plain 2.0 decode.
    @Test func remoteWrite2SharesTheTableWith1() throws {
        let interner = SeriesInterner()
        let up = Labels(["__name__": "up", "job": "node", "empty": ""]), load = Labels(["__name__": "load1", "job": "node"])
        let v1 = try RemoteWriteV1.decode(RemoteWriteV1.encode(WriteBatch(series: [WriteSeries(labels: up, samples: [WriteSample(1, 1)])])),
                                          interner: interner)
        interner.setTags([(key: v1.series[0].internKey, tag: 7)])
        let request = RemoteWriteV2.encode(WriteBatch(series: [
            WriteSeries(labels: up, samples: [WriteSample(2, 1)]), WriteSeries(labels: load, samples: [WriteSample(2, 1)]),
            WriteSeries(labels: Labels(["job": "no name"]), samples: [WriteSample(2, 1)])]))
        let byRef = try RemoteWriteV2.decode(request, invalidSeries: .collect, interner: interner, knownByRef: true)
        #expect(byRef.known.map(\.ref) == [7] && byRef.known[0].internKey == v1.series[0].internKey)
        #expect(byRef.series.map(\.labels) == [load] && byRef.rejected.count == 1 && interner.count == 2)
        let withLabels = try RemoteWriteV2.decode(request, invalidSeries: .collect, interner: interner)
        let plain = try RemoteWriteV2.decode(request, invalidSeries: .collect)
        #expect(withLabels.series.map(\.labels) == plain.series.map(\.labels) && withLabels.rejected == plain.rejected)
        #expect(withLabels.series.map(\.internTag) == [7, 0] && interner.count == 2)
    }

    /// Thousands of series: the table grows and every series is found again, tags included.
    @Test func growsAndFindsEverySeries() throws {
        let interner = SeriesInterner()
        let names = (0..<5000).map { "m\($0)" }
        let first = try RemoteWriteV1.decode(Self.request(1, names), interner: interner)
        interner.setTags(first.series.enumerated().map { (key: $1.internKey, tag: UInt64($0 + 1)) })
        let again = try RemoteWriteV1.decode(Self.request(2, names), interner: interner)
        #expect(interner.count == 5000)
        #expect(again.series.enumerated().allSatisfy { $1.internTag == UInt64($0 + 1) && $1.labels == first.series[$0].labels })
    }

    /// Two series whose keys collide are told apart by their bytes.
    @Test func collidingKeysAreToldApartByBytes() {
        var t = SeriesInterner.Table()
        let a: [UInt8] = [1, 2, 3], b: [UInt8] = [4, 5, 6]
        a.withUnsafeBytes { t.insert(7, $0, Labels(["__name__": "a"])) }
        b.withUnsafeBytes { t.insert(7, $0, Labels(["__name__": "b"])) }
        /// The labels of the entry `find` gives for these bytes.
        func found(_ bytes: [UInt8]) -> Labels? {
            bytes.withUnsafeBytes { t.find(7, $0) }.map { t.entries[Int(t.slots[$0].entry) - 1] }
        }
        #expect(found(b) == Labels(["__name__": "b"]) && found(a) == Labels(["__name__": "a"]))
        #expect(found([9, 9, 9]) == nil && t.find(8, nil) == nil)
    }

    @Test func aFullTableStartsAfresh() throws {
        let interner = SeriesInterner(capacity: 2)
        _ = try RemoteWriteV1.decode(Self.request(1, ["a", "b", "c"]), interner: interner)
        #expect(interner.count == 1)
    }
}

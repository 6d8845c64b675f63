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

    @Test func aFullTableStartsAfresh() throws {
        let interner = SeriesInterner(capacity: 2)
        _ = try RemoteWriteV1.decode(Self.request(1, ["a", "b", "c"]), interner: interner)
        #expect(interner.count == 1)
    }
}

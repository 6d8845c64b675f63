import Testing
import StrataCore
@testable import StrataRemoteWrite

/// What Prometheus 3.14's write handler refuses, with its messages.
@Suite struct ValidationTests {
    /// A 1.0 request of one series per label list, each with one sample, labels in the given
    /// (possibly unsorted) order, raw bytes allowed.
    static func v1(_ series: [[([UInt8], [UInt8])]]) -> [UInt8] {
        var w = ProtoWriter()
        for labels in series {
            w.withMessage(1) { w in
                for (n, v) in labels {
                    w.withMessage(1) { w in
                        w.tag(1, .lengthDelimited); w.varint(UInt64(n.count)); w.bytes += n
                        w.tag(2, .lengthDelimited); w.varint(UInt64(v.count)); w.bytes += v
                    }
                }
                w.withMessage(2) { w in w.doubleField(1, 1); w.int64Field(2, 1) }
            }
        }
        return w.bytes
    }

    static func l(_ n: String, _ v: String) -> ([UInt8], [UInt8]) { (Array(n.utf8), Array(v.utf8)) }

    @Test func unsortedLabelsAreSortedAndEmptyValuesDropped() throws {
        let b = try RemoteWriteV1.decode(Self.v1([[Self.l("job", "a"), Self.l("zone", ""), Self.l("__name__", "m"), Self.l("Alpha", "x")]]))
        #expect(b.series[0].labels.pairs == [Label("Alpha", "x"), Label("__name__", "m"), Label("job", "a")])
    }

    @Test(arguments: [
        ([l("job", "a")], "invalid metric name or labels, got {job=\"a\"}"),
        ([], "invalid metric name or labels, got {}"),
        ([l("__name__", ""), l("job", "a")], "invalid metric name or labels, got {__name__=\"\", job=\"a\"}"),
        ([l("__name__", "m"), l("", "a")], "invalid metric name or labels, got {=\"a\", __name__=\"m\"}"),
        ([l("__name__", "m"), l("job", "a"), l("job", "b")], "invalid labels for series, labels {__name__=\"m\", job=\"a\", job=\"b\"}, duplicated label job"),
        ([l("job", "b"), l("__name__", "m"), l("job", "")], "invalid labels for series, labels {__name__=\"m\", job=\"b\", job=\"\"}, duplicated label job"),
    ])
    func invalidSeries(labels: [([UInt8], [UInt8])], message: String) throws {
        let bytes = Self.v1([labels, [Self.l("__name__", "ok")]])
        #expect(throws: RemoteWriteError(httpStatus: 400, message)) { try RemoteWriteV1.decode(bytes) }
        let collected = try RemoteWriteV1.decode(bytes, invalidSeries: .collect)
        #expect(collected.series.map(\.labels.metricName) == ["ok"])
        #expect(collected.rejected == [message])
        #expect(collected.rejectionError == RemoteWriteError(httpStatus: 400, message))
    }

    @Test func invalidUTF8IsRefused() throws {
        let bytes = Self.v1([[Self.l("__name__", "m"), (Array("job".utf8), [0x61, 0xff])]])
        #expect(throws: RemoteWriteError.self) { try RemoteWriteV1.decode(bytes) }
        let bad = Self.v1([[([0xc3], Array("v".utf8)), Self.l("__name__", "m")]])
        let c = try RemoteWriteV1.decode(bad, invalidSeries: .collect)
        #expect(c.series.isEmpty && c.rejected.count == 1 && c.rejected[0].hasPrefix("invalid metric name or labels"))
        // Non-ASCII UTF-8 is fine (Prometheus 3 accepts UTF-8 names).
        let ok = try RemoteWriteV1.decode(Self.v1([[Self.l("__name__", "temp.°C"), Self.l("ünit", "µs")]]))
        #expect(ok.series[0].labels.metricName == "temp.°C")
    }

    /// A 2.0 request from symbols and per-series (refs, samples, metadata help ref).
    static func v2(_ symbols: [String], _ series: [(refs: [UInt32], samples: Int, help: UInt64, exemplarRefs: [UInt32]?)]) -> [UInt8] {
        var w = ProtoWriter()
        for s in symbols { w.stringField(4, s, always: true) }
        for s in series {
            w.withMessage(5) { w in
                w.packedVarints(1, s.refs) { UInt64($0) }
                for _ in 0..<s.samples { w.withMessage(2) { w in w.doubleField(1, 1); w.int64Field(2, 1) } }
                if let e = s.exemplarRefs { w.withMessage(4) { w in w.packedVarints(1, e) { UInt64($0) }; w.doubleField(2, 3) } }
                w.withMessage(5) { w in w.varintField(1, s.help == 0 ? 0 : 1); w.varintField(3, s.help) }
            }
        }
        return w.bytes
    }

    static let symbols = ["", "__name__", "m", "job", "a"]

    @Test(arguments: [
        ([1, 2, 3], 1, 0, "parsing labels for series [1 2 3]: invalid labelRefs length 3"),
        ([1, 2, 3, 9], 1, 0, "parsing labels for series [1 2 3 9]: labelRefs 3 (name) = 9 (value) outside of symbols table (size 5)"),
        ([1, 2], 1, 7, "parsing metadata for series [1 2]: metadata help_ref 7 outside of symbols table (size 5)"),
        ([3, 4], 1, 0, "invalid metric name or labels, got {job=\"a\"}"),
        ([1, 2, 3, 4, 3, 2], 1, 0, "invalid labels for series, labels {__name__=\"m\", job=\"a\", job=\"m\"}, duplicated label job"),
        ([1, 2], 0, 0, "TimeSeries must contain at least one sample or histogram for series {__name__=\"m\"}"),
    ] as [([UInt32], Int, UInt64, String)])
    func v2InvalidSeries(refs: [UInt32], samples: Int, help: UInt64, message: String) throws {
        let bytes = Self.v2(Self.symbols, [(refs, samples, help, nil), ([1, 2, 3, 4], 1, 4, nil)])
        #expect(throws: RemoteWriteError(httpStatus: 400, message)) { try RemoteWriteV2.decode(bytes) }
        let c = try RemoteWriteV2.decode(bytes, invalidSeries: .collect)
        #expect(c.rejected == [message])
        #expect(c.series.map(\.labels) == [Labels([Label("__name__", "m"), Label("job", "a")])])
        #expect(c.metadataCount == 1)
    }

    @Test func v2SymbolTableMustStartEmpty() throws {
        let bytes = Self.v2(["__name__", "m"], [([0, 1], 1, 0, nil)])
        #expect(throws: RemoteWriteError(httpStatus: 400, "symbols table must start with an empty string, got \"__name__\"")) {
            try RemoteWriteV2.decode(bytes, invalidSeries: .collect)
        }
    }

    /// A bad exemplar drops the exemplar, not the series (Prometheus writes the samples and
    /// answers 400).
    @Test func v2BadExemplarKeepsSeries() throws {
        let bytes = Self.v2(Self.symbols, [([1, 2], 1, 0, [3, 40])])
        let c = try RemoteWriteV2.decode(bytes, invalidSeries: .collect)
        #expect(c.series.count == 1 && c.series[0].exemplars.isEmpty && c.series[0].samples.count == 1)
        #expect(c.rejected == ["parsing exemplar for series {__name__=\"m\"}: labelRefs 3 (name) = 40 (value) outside of symbols table (size 5)"])
        let ok = try RemoteWriteV2.decode(Self.v2(Self.symbols, [([1, 2], 1, 0, [3, 4])]))
        #expect(ok.series[0].exemplars == [WriteExemplar(labels: Labels([Label("job", "a")]), timestamp: 0, value: 3)])
    }

    @Test func malformedWireTypeForKnownField() throws {
        var w = ProtoWriter()
        w.tag(1, .varint); w.varint(3)  // timeseries must be length-delimited
        #expect(throws: RemoteWriteError.self) { try RemoteWriteV1.decode(w.bytes) }
        #expect(throws: RemoteWriteError.self) { try RemoteWriteV1.decode([0x0a, 0x05, 0x0a]) }  // length past the end
        #expect(throws: RemoteWriteError.self) { try RemoteWriteV1.decode([0x00, 0x01]) }  // field 0
        #expect(throws: RemoteWriteError.self) { try RemoteWriteV1.decode([0x08] + [UInt8](repeating: 0xff, count: 10) + [0x01]) }
    }
}

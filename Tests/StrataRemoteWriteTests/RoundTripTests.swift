import Testing
import StrataCore
import StrataTSDB
@testable import StrataRemoteWrite

@Suite struct RoundTripTests {
    @Test func v1RoundTrip() throws {
        #expect(try RemoteWriteV1.decode(RemoteWriteV1.encode(Fixtures.batch)) == Fixtures.batch)
    }

    @Test func v2RoundTrip() throws {
        let bytes = RemoteWriteV2.encode(Fixtures.batch)
        #expect(try RemoteWriteV2.decode(bytes) == Fixtures.batch)
    }

    @Test func thanosRoundTrip() throws {
        let tuple = ThanosWriteRequest.TenantBatch(tenant: "team-b", batch: WriteBatch(series: [Fixtures.series[1]]))
        let req = ThanosWriteRequest(tenant: "team-a", replica: 2, batch: Fixtures.batch, tenantBatches: [tuple])
        let back = try ThanosWriteRequest.decode(req.encode())
        #expect(back == req)
        #expect(back.allTenantBatches == [tuple])
        let plain = ThanosWriteRequest(tenant: "t", replica: 0, batch: Fixtures.batch)
        #expect(try ThanosWriteRequest.decode(plain.encode()).allTenantBatches == [.init(tenant: "t", batch: Fixtures.batch)])
    }

    @Test(arguments: [RemoteWriteVersion.v1, .v2])
    func loadRequestRoundTrip(version: RemoteWriteVersion) throws {
        let req = RemoteWriteLoad.request(series: 500, labels: 10, version: version, histograms: true)
        #expect(req.batch.series.allSatisfy { $0.labels.count == 10 })
        #expect(Set(req.batch.series.map(\.labels)).count == 500)
        #expect(req.batch.histogramCount == 125 && req.batch.sampleCount == 375)
        let back = try RemoteWriteProtocol.decodeBody(req.body, version: version, maxDecompressedBytes: 1 << 24)
        #expect(back == req.batch)
    }

    @Test func emptyRequests() throws {
        #expect(try RemoteWriteV1.decode([UInt8]()) == WriteBatch())
        #expect(try RemoteWriteV2.decode([UInt8]()) == WriteBatch())
        #expect(RemoteWriteV2.encode(WriteBatch()) == [0x22, 0x00])  // symbols = [""]
    }

    /// Repeated scalars sent unpacked (one field per element), as proto2-era senders do, must
    /// read the same as packed ones.
    @Test func unpackedRepeatedScalars() throws {
        var h = ProtoWriter()
        h.varintField(1, 20, always: true)
        for d in Fixtures.intHistogram.positiveBuckets { h.tag(12, .varint); h.varint(zigZagEncode(d)) }
        h.tag(16, .fixed64); h.appendFixed64((0.5).bitPattern)
        h.tag(16, .fixed64); h.appendFixed64((1.0).bitPattern)
        var f = ProtoWriter()
        f.doubleField(2, 7, always: true)
        for c in [1.5, 2.5] { f.tag(13, .fixed64); f.appendFixed64(c.bitPattern) }
        var w = ProtoWriter()
        w.withMessage(1) { w in
            w.withMessage(1) { w in w.stringField(1, "__name__"); w.stringField(2, "h") }
            w.withMessage(4) { w in w.bytes += h.bytes }
            w.withMessage(4) { w in w.bytes += f.bytes }
        }
        let b = try RemoteWriteV1.decode(w.bytes)
        guard case .int(let ih) = b.series[0].histograms[0].value, case .float(let fh) = b.series[0].histograms[1].value else {
            Issue.record("wrong histogram kinds"); return
        }
        #expect(ih.positiveBuckets == [4, -1, 5] && ih.customValues == [0.5, 1] && ih.count == 20)
        #expect(fh.positiveBuckets == [1.5, 2.5] && fh.count == 7)

        // 2.0 label refs unpacked.
        var v2 = ProtoWriter()
        for s in ["", "__name__", "m"] { v2.stringField(4, s, always: true) }
        v2.withMessage(5) { w in
            for r: UInt64 in [1, 2] { w.tag(1, .varint); w.varint(r) }
            w.withMessage(2) { w in w.doubleField(1, 1); w.int64Field(2, 5) }
        }
        #expect(try RemoteWriteV2.decode(v2.bytes).series == [WriteSeries(labels: Labels([Label("__name__", "m")]), samples: [WriteSample(5, 1)])])
    }

    /// Fields a newer sender adds, of every wire type, at every level, are skipped.
    @Test func unknownFieldsSkipped() throws {
        func junk(_ w: inout ProtoWriter) {
            w.tag(90, .varint); w.varint(1 << 40)
            w.tag(91, .fixed64); w.appendFixed64(42)
            w.tag(92, .fixed32); w.bytes += [1, 2, 3, 4]
            w.tag(93, .lengthDelimited); w.varint(3); w.bytes += [9, 9, 9]
            w.tag(94, .startGroup); w.tag(1, .varint); w.varint(5); w.tag(2, .startGroup); w.tag(2, .endGroup); w.tag(94, .endGroup)
        }
        var w = ProtoWriter()
        junk(&w)
        w.withMessage(1) { w in
            junk(&w)
            w.withMessage(1) { w in junk(&w); w.stringField(1, "__name__"); w.stringField(2, "m") }
            w.withMessage(2) { w in w.doubleField(1, 2); junk(&w); w.int64Field(2, 7) }
            w.withMessage(4) { w in w.varintField(1, 1, always: true); junk(&w); w.varintField(15, 9) }
            w.withMessage(3) { w in junk(&w); w.doubleField(2, 1) }
        }
        w.withMessage(2) { w in junk(&w) }  // reserved field 2
        w.withMessage(3) { w in junk(&w) }  // metadata
        junk(&w)
        let b = try RemoteWriteV1.decode(w.bytes)
        #expect(b.series == [WriteSeries(labels: Labels([Label("__name__", "m")]), samples: [WriteSample(7, 2)],
                                         histograms: [WriteHistogram(9, .int(Histogram(count: 1)))],
                                         exemplars: [WriteExemplar(labels: Labels(), timestamp: 0, value: 1)])])
        #expect(b.metadataCount == 1)

        var t = ProtoWriter()
        junk(&t)
        t.stringField(2, "tenant")
        t.withMessage(5) { w in junk(&w) }
        #expect(try ThanosWriteRequest.decode(t.bytes).tenant == "tenant")
    }

    /// Every prefix of a valid message and every single-byte corruption must throw or decode,
    /// never trap or hang (hostile or truncated bodies reach the decoder directly).
    @Test func truncationAndCorruptionNeverTrap() throws {
        let thanos = ThanosWriteRequest(tenant: "a", replica: 1, batch: Fixtures.batch,
                                        tenantBatches: [.init(tenant: "b", batch: Fixtures.batch)]).encode()
        let inputs: [(String, [UInt8])] = [("v1", RemoteWriteV1.encode(Fixtures.batch)), ("v2", RemoteWriteV2.encode(Fixtures.batch)), ("thanos", thanos)]
        var decoded = 0, failed = 0
        func attempt(_ kind: String, _ bytes: [UInt8]) {
            for policy in [InvalidSeriesPolicy.reject, .collect] {
                do throws(RemoteWriteError) {
                    switch kind {
                    case "v1": _ = try RemoteWriteV1.decode(bytes, invalidSeries: policy)
                    case "v2": _ = try RemoteWriteV2.decode(bytes, invalidSeries: policy)
                    default: _ = try ThanosWriteRequest.decode(bytes, invalidSeries: policy)
                    }
                    decoded += 1
                } catch {
                    #expect(error.httpStatus == 400)
                    failed += 1
                }
            }
        }
        for (kind, bytes) in inputs {
            for n in 0..<bytes.count { attempt(kind, Array(bytes[..<n])) }
            for i in bytes.indices {
                for x: UInt8 in [0x01, 0x80, 0xff, 0x07] {
                    var c = bytes
                    c[i] ^= x
                    attempt(kind, c)
                }
            }
        }
        #expect(failed > 0 && decoded > 0)
    }

    @Test func negativeAndLargeValues() throws {
        var s = WriteSeries(labels: Labels([Label("__name__", "x")]))
        s.samples = [WriteSample(Int64.min, -.infinity), WriteSample(Int64.max, .greatestFiniteMagnitude), WriteSample(0, 0)]
        let b = WriteBatch(series: [s])
        #expect(try RemoteWriteV1.decode(RemoteWriteV1.encode(b)) == b)
        #expect(try RemoteWriteV2.decode(RemoteWriteV2.encode(b)) == b)
        // NaN is not equal to itself: compare bits.
        s.samples = [WriteSample(1, .nan)]
        let back = try RemoteWriteV1.decode(RemoteWriteV1.encode(WriteBatch(series: [s])))
        #expect(back.series[0].samples[0].value.bitPattern == Double.nan.bitPattern)
    }
}

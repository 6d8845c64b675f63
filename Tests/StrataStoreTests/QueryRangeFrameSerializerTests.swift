import Foundation
import GRPCCore
import StrataCore
import StrataStoreAPI
import Testing

/// The one-pass encoder of pushed-down answers must write exactly SwiftProtobuf's bytes.
@Suite struct QueryRangeFrameSerializerTests {
    func series(_ rng: inout SystemRandomNumberGenerator) -> Prometheus_TimeSeries {
        var s = Prometheus_TimeSeries()
        for i in 0..<Int.random(in: 0...8, using: &rng) {
            var l = Prometheus_Label()
            l.name = i == 0 ? "__name__" : (i % 5 == 4 ? "" : "label_\(i)")
            l.value = i % 3 == 2 ? "" : String(repeating: "välue-😀", count: Int.random(in: 1...30, using: &rng))
            s.labels.append(l)
        }
        let values: [Double] = [0, -0.0, 1, -1.5, .nan, .infinity, -.infinity, 1e-300, .greatestFiniteMagnitude]
        for _ in 0..<Int.random(in: 0...300, using: &rng) {
            var p = Prometheus_Sample()
            p.value = Bool.random(using: &rng) ? values.randomElement(using: &rng)! : Double.random(in: -1e9...1e9, using: &rng)
            p.timestamp = [0, -1, 1, 127, 128, 1_709_856_000_000, Int64.min, Int64.max].randomElement(using: &rng)!
            s.samples.append(p)
        }
        return s
    }

    @Test func bytesMatchSwiftProtobuf() throws {
        var rng = SystemRandomNumberGenerator()
        let serializer = QueryRangeFrameSerializer()
        for _ in 0..<300 {
            let m = Thanos_QueryRangeResponse.series(series(&rng))
            let ours: [UInt8] = try serializer.serialize(m)
            #expect(ours == (try m.serializedBytes() as [UInt8]))
            // Read back and written again (NaN samples make the messages unequal to themselves).
            #expect(try Thanos_QueryRangeResponse(serializedBytes: ours).serializedBytes() == ours)
        }
        for n in [0, 1, 7, 64] {
            let list = (0..<n).map { _ in series(&rng) }
            let m = Thanos_QueryRangeResponse.batch(list)
            let ours: [UInt8] = try serializer.serialize(m)
            #expect(ours == (try m.serializedBytes() as [UInt8]))
            // A store's float series, written straight from label sets and columns.
            let floats = list.map { s in
                FloatSeries(labels: Labels(s.labels.map { Label($0.name, $0.value) }),
                            timestamps: s.samples.map(\.timestamp), values: s.samples.map(\.value))
            }
            var asSets = m
            asSets.timeseriesBatch.series = floats.map { f in
                var s = Prometheus_TimeSeries()
                s.labels = f.labels.pairs.map { l in
                    var p = Prometheus_Label()
                    p.name = l.name
                    p.value = l.value
                    return p
                }
                s.samples = zip(f.timestamps, f.values).map { t, v in
                    var p = Prometheus_Sample()
                    p.timestamp = t
                    p.value = v
                    return p
                }
                return s
            }
            #expect(QueryRangeFrameSerializer.floatBatch(floats) == (try asSets.serializedBytes() as [UInt8]))
        }
    }

    /// Warnings, histograms, exemplars and unknown fields take SwiftProtobuf's encoder: the
    /// same bytes either way.
    @Test func otherFramesFallBack() throws {
        var rng = SystemRandomNumberGenerator()
        let serializer = QueryRangeFrameSerializer()
        var withHistogram = series(&rng)
        var h = Prometheus_Histogram()
        h.timestamp = 5
        h.schema = 3
        withHistogram.histograms = [h]
        var withExemplar = series(&rng)
        withExemplar.exemplars = [Prometheus_Exemplar()]
        var unknown = Thanos_QueryRangeResponse.series(series(&rng))
        try unknown.merge(serializedBytes: [0xF8, 0x3E, 0x01] as [UInt8])  // field 999, varint 1
        for m in [Thanos_QueryRangeResponse.warning("a warning"), .series(withHistogram), .batch([withExemplar, series(&rng)]), unknown] {
            let ours: [UInt8] = try serializer.serialize(m)
            #expect(ours == (try m.serializedBytes() as [UInt8]))
        }
        #expect(!unknown.unknownFields.data.isEmpty)
    }
}

extension QueryRangeFrameSerializerTests {
    /// The querier's one-pass reader gives exactly SwiftProtobuf's message (compared as bytes
    /// written again: NaN samples are unequal to themselves) for answers, batches, fallback
    /// frames, and cut or damaged bytes (where both fail, or both read the same thing).
    @Test func deserializerMatchesSwiftProtobuf() throws {
        var rng = SystemRandomNumberGenerator()
        let serializer = QueryRangeFrameSerializer(), deserializer = QueryRangeFrameDeserializer()
        func same(_ bytes: [UInt8]) throws {
            let theirs: [UInt8]? = try? Thanos_QueryRangeResponse(serializedBytes: bytes).serializedBytes()
            let ours: [UInt8]? = try? deserializer.deserialize(bytes).serializedBytes()
            #expect(ours == theirs, "\(bytes.prefix(40))")
        }
        var frames: [Thanos_QueryRangeResponse] = (0..<100).map { _ in .series(series(&rng)) }
        frames += [0, 1, 9].map { n in .batch((0..<n).map { _ in series(&rng) }) }
        var h = series(&rng)
        h.histograms = [Prometheus_Histogram()]
        frames += [.warning("w"), .series(h)]
        for m in frames {
            let bytes: [UInt8] = try serializer.serialize(m)
            try same(bytes)
            if bytes.count > 3 {
                try same(Array(bytes.prefix(bytes.count / 2)))
                var bad = bytes
                bad[Int.random(in: 0..<bad.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
                try same(bad)
            }
        }
        // A sample whose value is given twice: SwiftProtobuf keeps the last; so does ours (by
        // falling back).
        let twice: [UInt8] = [0x12, 0x16, 0x12, 0x14, 0x09] + [UInt8](repeating: 1, count: 8) + [0x09] + [UInt8](repeating: 2, count: 8) + [0x10, 0x05]
        try same(twice)
    }
}

extension QueryRangeFrameSerializerTests {
    /// The querier's float-series reader gives what SwiftProtobuf's message holds (label set
    /// as `Labels` builds it, samples bit for bit), for single series and batches; nil for
    /// frames holding anything else (warnings, histograms), and never a series SwiftProtobuf
    /// would not read from cut or damaged bytes.
    @Test func floatSeriesMatchSwiftProtobuf() throws {
        var rng = SystemRandomNumberGenerator()
        let serializer = QueryRangeFrameSerializer()
        func expected(_ bytes: [UInt8]) -> [FloatSeries]? {
            guard let m = try? Thanos_QueryRangeResponse(serializedBytes: bytes) else { return nil }
            let list: [Prometheus_TimeSeries]
            switch m.result {
            case .timeseries(let ts): list = [ts]
            case .timeseriesBatch(let b): list = b.series
            default: return nil
            }
            return list.map { ts in
                FloatSeries(labels: Labels(ts.labels.map { Label($0.name, $0.value) }),
                            timestamps: ts.samples.map(\.timestamp), values: ts.samples.map(\.value))
            }
        }
        func same(_ a: [FloatSeries], _ b: [FloatSeries]) -> Bool {
            a.count == b.count && zip(a, b).allSatisfy {
                $0.labels == $1.labels && $0.timestamps == $1.timestamps && $0.values.map(\.bitPattern) == $1.values.map(\.bitPattern)
            }
        }
        var frames: [Thanos_QueryRangeResponse] = (0..<100).map { _ in .series(series(&rng)) }
        frames += [0, 1, 9].map { n in .batch((0..<n).map { _ in series(&rng) }) }
        for m in frames {
            let bytes: [UInt8] = try serializer.serialize(m)
            let got = try #require(QueryRangeFrameDeserializer.floatSeries(bytes))
            #expect(same(got, try #require(expected(bytes))))
            for cut in [Array(bytes.prefix(bytes.count / 2)), bytes.enumerated().map { $0.offset == bytes.count / 3 ? $0.element ^ 0x5A : $0.element }] {
                if let got = QueryRangeFrameDeserializer.floatSeries(cut) {
                    let want = try #require(expected(cut), "read a series SwiftProtobuf refuses")
                    #expect(same(got, want))
                }
            }
        }
        var h = series(&rng)
        h.histograms = [Prometheus_Histogram()]
        for m in [Thanos_QueryRangeResponse.warning("w"), .series(h), .batch([series(&rng), h])] {
            let bytes: [UInt8] = try serializer.serialize(m)
            #expect(QueryRangeFrameDeserializer.floatSeries(bytes) == nil, "\(m.result.debugDescription)")
        }
    }
}

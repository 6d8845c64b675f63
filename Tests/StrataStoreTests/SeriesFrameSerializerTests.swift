import Foundation
import GRPCCore
import StrataCore
@testable import StrataStoreAPI
import SwiftProtobuf
import Testing

/// The one-pass Series frame encoder must write exactly SwiftProtobuf's bytes.
@Suite struct SeriesFrameSerializerTests {
    func chunk(_ rng: inout SystemRandomNumberGenerator, _ n: Int) -> Thanos_Chunk {
        var c = Thanos_Chunk()
        c.data = Data((0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) })
        if Bool.random(using: &rng) { c.hash = UInt64.random(in: 0...UInt64.max, using: &rng) }
        if Int.random(in: 0..<5, using: &rng) == 0 { c.type = [.histogram, .floatHistogram, .UNRECOGNIZED(-3), .UNRECOGNIZED(200)].randomElement(using: &rng)! }
        return c
    }

    func frame(_ rng: inout SystemRandomNumberGenerator) -> Thanos_SeriesResponse {
        var s = Thanos_Series()
        for i in 0..<Int.random(in: 0...12, using: &rng) {
            var l = Thanos_Label()
            l.name = i == 0 ? "__name__" : (i % 5 == 4 ? "" : "label_\(i)")
            l.value = i % 3 == 2 ? "" : String(repeating: "välue-😀", count: Int.random(in: 1...40, using: &rng))
            s.labels.append(l)
        }
        for _ in 0..<Int.random(in: 0...6, using: &rng) {
            var a = Thanos_AggrChunk()
            a.minTime = [0, -1, 1_700_000_000_000, Int64.min, Int64.max].randomElement(using: &rng)!
            a.maxTime = a.minTime &+ Int64.random(in: 0...7_200_000, using: &rng)
            let sizes = [0, 1, 127, 128, 300, 20_000]
            if Bool.random(using: &rng) {
                a.raw = chunk(&rng, sizes.randomElement(using: &rng)!)
            } else {
                a.count = chunk(&rng, 40); a.sum = chunk(&rng, 200)
                if Bool.random(using: &rng) { a.min = chunk(&rng, 3); a.max = chunk(&rng, 0); a.counter = chunk(&rng, 129) }
            }
            s.chunks.append(a)
        }
        return .series(s)
    }

    @Test func bytesMatchSwiftProtobuf() throws {
        var rng = SystemRandomNumberGenerator()
        let serializer = SeriesFrameSerializer()
        for _ in 0..<500 {
            let m = frame(&rng)
            let ours: [UInt8] = try serializer.serialize(m)
            let theirs: [UInt8] = try m.serializedBytes()
            #expect(ours == theirs)
            #expect(try Thanos_SeriesResponse(serializedBytes: ours) == m)
        }
        // Batches of series (Thanos's response_batch_size), including an empty one.
        for n in [0, 1, 5, 64] {
            let m = Thanos_SeriesResponse.batch((0..<n).map { _ in frame(&rng).series })
            let ours: [UInt8] = try serializer.serialize(m)
            #expect(ours == (try m.serializedBytes() as [UInt8]))
        }
    }

    /// A store's series written straight from label sets and chunk bytes (raw XOR chunks as
    /// slices, anything else as `AggrChunk`s): the bytes SwiftProtobuf writes for their
    /// messages, as single series and in batches.
    @Test func selectedSeriesMatchTheirMessages() throws {
        var rng = SystemRandomNumberGenerator()
        func selected() -> SelectedSeries {
            let m = frame(&rng).series
            let labels = Labels(m.labels.map { Label($0.name, $0.value) })
            guard Bool.random(using: &rng) else { return SelectedSeries(labels: labels, chunks: .messages(m.chunks)) }
            // Slices of one fetched buffer, as a store holds them.
            let buffer = (0..<30_000).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let xor: [RawXORChunk<ArraySlice<UInt8>>] = (0..<Int.random(in: 0...5, using: &rng)).map { _ in
                let at = Int.random(in: 0..<25_000, using: &rng), n = [0, 1, 127, 128, 300, 4_000].randomElement(using: &rng)!
                let t = [0, -1, 1_700_000_000_000, Int64.min].randomElement(using: &rng)!
                return RawXORChunk(minTime: t, maxTime: t &+ Int64.random(in: 0...7_200_000, using: &rng), data: buffer[at..<(at + n)])
            }
            return SelectedSeries(labels: labels, chunks: .xor(xor))
        }
        for _ in 0..<300 {
            let s = selected()
            let ours: [UInt8] = SeriesFrameSerializer.frame([s], batch: false)
            #expect(ours == (try Thanos_SeriesResponse.series(Thanos_Series(s)).serializedBytes() as [UInt8]))
        }
        for n in [0, 1, 5, 64] {
            let list = (0..<n).map { _ in selected() }
            let ours: [UInt8] = SeriesFrameSerializer.frame(list, batch: true)
            #expect(ours == (try Thanos_SeriesResponse.batch(list.map(Thanos_Series.init)).serializedBytes() as [UInt8]))
        }
    }

    /// The querier reads series of raw XOR chunks (in time order, none overlapping) as label
    /// sets and slices of the frame, giving SwiftProtobuf's message; any frame it cannot read
    /// so (aggregates, histograms, hashes, overlaps, warnings, cut or damaged bytes) is nil,
    /// never a different series.
    @Test func selectedSeriesReadBackAsSwiftProtobufReadsThem() throws {
        var rng = SystemRandomNumberGenerator()
        func xorSeries() -> SelectedSeries {
            let m = frame(&rng).series
            var t: Int64 = 1_700_000_000_000
            let chunks: [RawXORChunk<ArraySlice<UInt8>>] = (0..<Int.random(in: 0...6, using: &rng)).map { _ in
                let data = (0..<Int.random(in: 1...300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                defer { t += 7_200_000 }
                return RawXORChunk(minTime: t, maxTime: t + Int64.random(in: 0..<7_200_000, using: &rng), data: data[...])
            }
            return SelectedSeries(labels: Labels(m.labels.map { Label($0.name, $0.value) }), chunks: .xor(chunks))
        }
        func check(_ bytes: [UInt8], readable: Bool) throws {
            let got = SeriesFrameDeserializer.selectedSeries(bytes)
            if readable { #expect(got != nil) }
            guard let got else { return }
            let theirs = try Thanos_SeriesResponse(serializedBytes: bytes)
            let list: [Thanos_Series]
            switch theirs.result {
            case .series(let s)?: list = [s]
            case .batch(let b)?: list = b.series
            default: list = []
            }
            #expect(got.map(Thanos_Series.init) == list.map { s in
                var plain = s
                plain.labels = Labels(s.labels.map { Label($0.name, $0.value) }).proto
                return plain
            })
        }
        for n in [1, 3, 64] {
            let list = (0..<n).map { _ in xorSeries() }
            let bytes: [UInt8] = SeriesFrameSerializer.frame(list, batch: true)
            try check(bytes, readable: true)
            try check(Array(bytes.prefix(bytes.count / 2)), readable: false)
            var bad = bytes
            bad[Int.random(in: 0..<bad.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng)
            try check(bad, readable: false)
        }
        try check(SeriesFrameSerializer.frame([xorSeries()], batch: false), readable: true)
        for _ in 0..<300 {
            let m = frame(&rng)
            try check(try m.serializedBytes(), readable: false)
        }
        try check(try Thanos_SeriesResponse.warning("w").serializedBytes(), readable: false)
        // Overlapping chunks stay messages.
        let d: [UInt8] = [1, 2, 3]
        let overlap = SelectedSeries(labels: Labels(["a": "b"]), chunks: .xor([RawXORChunk(minTime: 0, maxTime: 10, data: d[...]),
                                                                               RawXORChunk(minTime: 10, maxTime: 20, data: d[...])]))
        #expect(SeriesFrameDeserializer.selectedSeries(SeriesFrameSerializer.frame([overlap], batch: false)) == nil)
    }

    /// The querier's one-pass reader gives exactly SwiftProtobuf's message for every frame:
    /// series, batches, warnings, unknown fields, repeated fields, invalid UTF-8, and cut or
    /// damaged bytes (where both fail, or both read the same thing).
    @Test func deserializerMatchesSwiftProtobuf() throws {
        var rng = SystemRandomNumberGenerator()
        let serializer = SeriesFrameSerializer(), deserializer = SeriesFrameDeserializer()
        func same(_ bytes: [UInt8]) {
            let theirs = try? Thanos_SeriesResponse(serializedBytes: bytes)
            let ours = try? deserializer.deserialize(bytes)
            #expect(ours == theirs, "\(bytes.prefix(40))")
        }
        for i in 0..<400 {
            let m = i % 7 == 0 ? Thanos_SeriesResponse.batch((0..<(i % 5)).map { _ in frame(&rng).series }) : frame(&rng)
            let bytes: [UInt8] = try serializer.serialize(m)
            #expect(try deserializer.deserialize(bytes) == m)
            // Damaged copies: a flipped byte, a cut tail, a field appended.
            var flipped = bytes
            if !flipped.isEmpty { flipped[Int.random(in: 0..<flipped.count, using: &rng)] ^= UInt8.random(in: 1...255, using: &rng) }
            same(flipped)
            same(Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &rng))))
            same(bytes + [0x12, 0x03, 0x61, 0x62, 0x63])
        }
        same(try Thanos_SeriesResponse.warning("a warning").serializedBytes())
        // A label with invalid UTF-8 and a label field given twice go to SwiftProtobuf.
        same([0x0A, 0x07, 0x0A, 0x05, 0x0A, 0x01, 0xFF, 0x12, 0x00])
        same([0x0A, 0x08, 0x0A, 0x06, 0x0A, 0x01, 0x61, 0x0A, 0x01, 0x62])
    }

    /// Warnings and frames with unknown fields take SwiftProtobuf's path, unknown fields kept.
    @Test func otherFramesFallBack() throws {
        let serializer = SeriesFrameSerializer()
        let w = Thanos_SeriesResponse.warning("block 01H… skipped")
        #expect((try serializer.serialize(w) as [UInt8]) == (try w.serializedBytes() as [UInt8]))
        var s = Thanos_Series()
        var l = Thanos_Label()
        l.name = "a"; l.value = "b"
        s.labels = [l]
        // Field 9 (varint 1) is unknown to Series: it must survive the round trip.
        var bytes: [UInt8] = try s.serializedBytes()
        bytes += [9 << 3, 1]
        let withUnknown = try Thanos_Series(serializedBytes: bytes)
        let m = Thanos_SeriesResponse.series(withUnknown)
        let ours: [UInt8] = try serializer.serialize(m)
        #expect(ours == (try m.serializedBytes() as [UInt8]))
        #expect(try Thanos_SeriesResponse(serializedBytes: ours).series.unknownFields.data == Data([9 << 3, 1]))
    }

    /// With `response_batch_size` N, up to N series share a message; anything else (a warning)
    /// closes the open batch first, so the order of frames is kept.
    @Test func responseBatchGroupsSeries() {
        func series(_ i: Int) -> Thanos_Series {
            var l = Thanos_Label()
            l.name = "i"; l.value = "\(i)"
            var s = Thanos_Series()
            s.labels = [l]
            return s
        }
        let b = ResponseBatch(seriesPerMessage: 7)
        var out: [Thanos_SeriesResponse] = []
        for i in 0..<10 { out += b.add(.series(series(i))) ?? [] }
        out += b.add(.warning("w")) ?? []
        for i in 10..<20 { out += b.add(.series(series(i))) ?? [] }
        out += b.drain()
        let shape = out.map { f -> String in
            switch f.result {
            case .batch(let x)?: return "b\(x.series.count)"
            case .warning?: return "w"
            default: return "?"
            }
        }
        #expect(shape == ["b7", "b3", "w", "b7", "b3"])
        let order = out.flatMap { $0.batch.series.map { $0.labels[0].value } }
        #expect(order == (0..<20).map { "\($0)" })
        // Without a batch size every series stays its own message.
        let single = ResponseBatch()
        var frames: [Thanos_SeriesResponse] = []
        for i in 0..<3 { frames += single.add(.series(series(i))) ?? [] }
        frames += single.drain()
        #expect(frames.map { $0.series.labels[0].value } == ["0", "1", "2"])
    }
}

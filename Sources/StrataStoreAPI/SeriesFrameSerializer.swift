import Foundation
import GRPCCore
import GRPCProtobuf

/// Serializes `thanos.SeriesResponse` frames for the wire in one pass over exact sizes.
///
/// Series frames are most of what a store sends, and SwiftProtobuf's generic encoder walks a
/// frame twice through its visitor (once to size each nested message, once to write), with a
/// dynamic dispatch per field and the size of every chunk computed again at every level. The
/// sizes here are plain arithmetic on lengths, so the frame is sized, allocated once and
/// written straight through. Series and batch frames are covered; the bytes are the same as
/// SwiftProtobuf's (tested). Other frames — warnings, hints, anything with unknown fields —
/// go to SwiftProtobuf.
public struct SeriesFrameSerializer: MessageSerializer {
    public typealias Message = Thanos_SeriesResponse
    let fallback = ProtobufSerializer<Thanos_SeriesResponse>()

    public init() {}

    public func serialize<Bytes: GRPCContiguousBytes>(_ message: Thanos_SeriesResponse) throws -> Bytes {
        guard let (field, list) = Self.plainSeries(message) else { return try fallback.serialize(message) }
        // `series` (1) is one Series; `batch` (4) is a SeriesBatch of repeated Series (1).
        let sizes = list.map(Self.size)
        return ProtoWriter.frame(field: field, batch: field == 4, sizes: sizes) { Self.write(list[$0], &$1) }
    }

    /// The frame's field and series when it is a series or batch frame with no unknown
    /// fields anywhere.
    static func plainSeries(_ m: Thanos_SeriesResponse) -> (Int, [Thanos_Series])? {
        guard m.unknownFields.data.isEmpty else { return nil }
        let field: Int, list: [Thanos_Series]
        switch m.result {
        case .series(let s)?: (field, list) = (1, [s])
        case .batch(let b)? where b.unknownFields.data.isEmpty: (field, list) = (4, b.series)
        default: return nil
        }
        for s in list {
            guard s.unknownFields.data.isEmpty else { return nil }
            for l in s.labels where !l.unknownFields.data.isEmpty { return nil }
            for c in s.chunks {
                guard c.unknownFields.data.isEmpty else { return nil }
                var plain = true
                forEachPart(c) { _, part in plain = plain && part.unknownFields.data.isEmpty }
                if !plain { return nil }
            }
        }
        return (field, list)
    }

    static func size(_ s: Thanos_Series) -> Int {
        var n = 0
        for l in s.labels { n += ProtoWriter.fieldSize(ProtoWriter.labelSize(l.name, l.value)) }
        for c in s.chunks { n += ProtoWriter.fieldSize(size(c)) }
        return n
    }

    static func size(_ c: Thanos_AggrChunk) -> Int {
        var n = 0
        if c.minTime != 0 { n += 1 + ProtoWriter.varintSize(UInt64(bitPattern: c.minTime)) }
        if c.maxTime != 0 { n += 1 + ProtoWriter.varintSize(UInt64(bitPattern: c.maxTime)) }
        forEachPart(c) { _, part in n += ProtoWriter.fieldSize(size(part)) }
        return n
    }

    /// The chunk's present parts (raw = 3, count … counter = 8) in field order, each read once.
    @inline(__always)
    static func forEachPart(_ c: Thanos_AggrChunk, _ body: (Int, Thanos_Chunk) -> Void) {
        if c.hasRaw { body(3, c.raw) }
        if c.hasCount { body(4, c.count) }
        if c.hasSum { body(5, c.sum) }
        if c.hasMin { body(6, c.min) }
        if c.hasMax { body(7, c.max) }
        if c.hasCounter { body(8, c.counter) }
    }

    static func size(_ c: Thanos_Chunk) -> Int {
        var n = 0
        if c.type != .xor { n += 1 + ProtoWriter.varintSize(UInt64(bitPattern: Int64(c.type.rawValue))) }
        if !c.data.isEmpty { n += ProtoWriter.fieldSize(c.data.count) }
        if c.hash != 0 { n += 1 + ProtoWriter.varintSize(c.hash) }
        return n
    }

    static func write(_ s: Thanos_Series, _ w: inout ProtoWriter) {
        for l in s.labels { w.label(field: 1, l.name, l.value) }
        for c in s.chunks { write(c, &w) }
    }

    static func write(_ c: Thanos_AggrChunk, _ w: inout ProtoWriter) {
        w.lengthPrefix(field: 2, size(c))
        if c.minTime != 0 { w.varint(field: 1, UInt64(bitPattern: c.minTime)) }
        if c.maxTime != 0 { w.varint(field: 2, UInt64(bitPattern: c.maxTime)) }
        forEachPart(c) { field, part in write(part, field: field, &w) }
    }

    /// A frame of series as a store holds them: one `series`, or a `batch` of them, written
    /// straight from label sets and chunk bytes — the bytes `serialize` writes for the same
    /// series as messages (tested), without an `AggrChunk` built per raw chunk first.
    public static func frame<Bytes: GRPCContiguousBytes>(_ list: [SelectedSeries], batch: Bool) -> Bytes {
        precondition(batch || list.count == 1, "a series frame holds one series")
        return ProtoWriter.frame(field: batch ? 4 : 1, batch: batch, sizes: list.map(size)) { write(list[$0], &$1) }
    }

    static func size(_ s: SelectedSeries) -> Int {
        var n = 0
        for l in s.labels.pairs { n += ProtoWriter.fieldSize(ProtoWriter.labelSize(l.name, l.value)) }
        switch s.chunks {
        case .xor(let list): for c in list { n += ProtoWriter.fieldSize(size(c)) }
        case .messages(let list): for c in list { n += ProtoWriter.fieldSize(size(c)) }
        }
        return n
    }

    static func write(_ s: SelectedSeries, _ w: inout ProtoWriter) {
        for l in s.labels.pairs { w.label(field: 1, l.name, l.value) }
        switch s.chunks {
        case .xor(let list):
            for c in list {
                w.lengthPrefix(field: 2, size(c))
                if c.minTime != 0 { w.varint(field: 1, UInt64(bitPattern: c.minTime)) }
                if c.maxTime != 0 { w.varint(field: 2, UInt64(bitPattern: c.maxTime)) }
                // `raw` (3): a Chunk of type XOR (the enum's zero, left out) and the bytes.
                w.lengthPrefix(field: 3, c.data.isEmpty ? 0 : ProtoWriter.fieldSize(c.data.count))
                if !c.data.isEmpty {
                    w.lengthPrefix(field: 2, c.data.count)
                    c.data.withUnsafeBytes { w.bytes($0) }
                }
            }
        case .messages(let list):
            for c in list { write(c, &w) }
        }
    }

    /// An `AggrChunk` holding one raw XOR chunk.
    static func size(_ c: RawXORChunk<ArraySlice<UInt8>>) -> Int {
        var n = ProtoWriter.fieldSize(c.data.isEmpty ? 0 : ProtoWriter.fieldSize(c.data.count))
        if c.minTime != 0 { n += 1 + ProtoWriter.varintSize(UInt64(bitPattern: c.minTime)) }
        if c.maxTime != 0 { n += 1 + ProtoWriter.varintSize(UInt64(bitPattern: c.maxTime)) }
        return n
    }

    static func write(_ c: Thanos_Chunk, field: Int, _ w: inout ProtoWriter) {
        w.lengthPrefix(field: field, size(c))
        if c.type != .xor { w.varint(field: 1, UInt64(bitPattern: Int64(c.type.rawValue))) }
        if !c.data.isEmpty {
            w.lengthPrefix(field: 2, c.data.count)
            c.data.withUnsafeBytes { w.bytes($0) }
        }
        if c.hash != 0 { w.varint(field: 3, c.hash) }
    }
}

/// Writes series as a store holds them as one frame (`WireSender.send` takes serializers).
struct SelectedSeriesSerializer: MessageSerializer {
    let batch: Bool

    func serialize<Bytes: GRPCContiguousBytes>(_ list: [SelectedSeries]) throws -> Bytes {
        SeriesFrameSerializer.frame(list, batch: batch)
    }
}

import Foundation
import GRPCCore
import GRPCProtobuf
import StrataCore

/// Reads `thanos.SeriesResponse` frames in one pass over their bytes: the mirror of
/// `SeriesFrameSerializer`, on the querier's side.
///
/// Series and batch frames are most of what a querier receives, and SwiftProtobuf's generic
/// decoder visits every field through dynamic dispatch (per label, per chunk, per sub-chunk).
/// Here the known layout is walked directly. Anything else — warnings, hints, unknown fields,
/// a field given twice, invalid UTF-8 — goes to SwiftProtobuf, so the result is always what
/// SwiftProtobuf would have produced (tested).
public struct SeriesFrameDeserializer: MessageDeserializer {
    public typealias Message = Thanos_SeriesResponse
    public init() {}

    public func deserialize<Bytes: GRPCContiguousBytes>(_ serializedMessageBytes: Bytes) throws -> Thanos_SeriesResponse {
        try deserializeFrame(serializedMessageBytes, Self.frame)
    }

    /// A frame of exactly one `series` (1) or `batch` (4) field.
    static func frame(_ r: inout ProtoReader) -> Message? {
        r.frame(one: 1, batch: 4, series, single: { .series($0) }, many: { .batch($0) })
    }

    static func series(_ r: inout ProtoReader) -> Thanos_Series? {
        var s = Thanos_Series()
        let read = r.series(label: { name, value in
            var l = Thanos_Label()
            l.name = name
            l.value = value
            s.labels.append(l)
        }, chunk: { b in
            guard let c = aggrChunk(&b) else { return false }
            s.chunks.append(c)
            return true
        })
        return read ? s : nil
    }

    static func aggrChunk(_ r: inout ProtoReader) -> Thanos_AggrChunk? {
        var a = Thanos_AggrChunk()
        var seen = 0
        while !r.atEnd {
            guard let tag = r.varint() else { return nil }
            let field = Int(tag >> 3), wire = tag & 7
            guard (1...8).contains(field), seen & (1 << field) == 0 else { return nil }
            seen |= 1 << field
            if field <= 2 {
                guard wire == 0, let v = r.varint() else { return nil }
                if field == 1 { a.minTime = Int64(bitPattern: v) } else { a.maxTime = Int64(bitPattern: v) }
                continue
            }
            guard wire == 2, let body = r.bytes() else { return nil }
            var b = body
            guard let c = chunk(&b) else { return nil }
            switch field {
            case 3: a.raw = c
            case 4: a.count = c
            case 5: a.sum = c
            case 6: a.min = c
            case 7: a.max = c
            default: a.counter = c
            }
        }
        return a
    }

    static func chunk(_ r: inout ProtoReader) -> Thanos_Chunk? {
        var c = Thanos_Chunk()
        var seen = 0
        while !r.atEnd {
            guard let tag = r.varint() else { return nil }
            let field = Int(tag >> 3), wire = tag & 7
            guard (1...3).contains(field), seen & (1 << field) == 0 else { return nil }
            seen |= 1 << field
            switch (field, wire) {
            case (1, 0):
                guard let v = r.varint() else { return nil }
                c.type = Thanos_Chunk.Encoding(rawValue: Int(Int32(truncatingIfNeeded: v))) ?? .UNRECOGNIZED(Int(Int32(truncatingIfNeeded: v)))
            case (2, 2):
                guard let d = r.bytes() else { return nil }
                c.data = d.data
            case (3, 0):
                guard let v = r.varint() else { return nil }
                c.hash = v
            default:
                return nil
            }
        }
        return c
    }

    /// A series or batch frame whose chunks are all raw XOR chunks in time order, none
    /// overlapping the next, read into label sets and slices of `bytes` (the frame, copied
    /// once and shared by its series): no message and `Data` per chunk, and the decoder reads
    /// the slices as it reads a store's own. Nil for any other frame (warnings, hints,
    /// aggregates, histograms, hashes, overlaps, anything SwiftProtobuf would read otherwise):
    /// decode the message then.
    public static func selectedSeries(_ bytes: [UInt8]) -> [SelectedSeries]? {
        bytes.withUnsafeBytes { buf in
            var r = ProtoReader(buf)
            return r.frame(one: 1, batch: 4, { selected(&$0, bytes) }, single: { [$0] }, many: { $0 })
        }
    }

    static func selected(_ r: inout ProtoReader, _ bytes: [UInt8]) -> SelectedSeries? {
        var labels: [Label] = []
        var chunks: [RawXORChunk<ArraySlice<UInt8>>] = []
        let read = r.series(label: { labels.append(Label($0, $1)) }, chunk: { b in
            guard let c = rawXOR(&b, bytes), chunks.last.map({ c.minTime > $0.maxTime }) ?? true else { return false }
            chunks.append(c)
            return true
        })
        return read ? SelectedSeries(labels: Labels(labels), chunks: .xor(chunks)) : nil
    }

    /// An `AggrChunk` of `min_time` (1), `max_time` (2) and `raw` (3) only, `raw` an XOR
    /// chunk with data and no hash; each field at most once.
    static func rawXOR(_ r: inout ProtoReader, _ bytes: [UInt8]) -> RawXORChunk<ArraySlice<UInt8>>? {
        var minTime: Int64 = 0, maxTime: Int64 = 0
        var data: Range<Int>?
        var seen = 0
        while !r.atEnd {
            guard let tag = r.varint() else { return nil }
            let field = Int(tag >> 3)
            guard (1...3).contains(field), seen & (1 << field) == 0 else { return nil }
            seen |= 1 << field
            switch (field, tag & 7) {
            case (1, 0):
                guard let v = r.varint() else { return nil }
                minTime = Int64(bitPattern: v)
            case (2, 0):
                guard let v = r.varint() else { return nil }
                maxTime = Int64(bitPattern: v)
            case (3, 2):
                // The chunk: only its `data` (2), given once (type XOR is the default).
                guard var c = r.bytes(), !c.atEnd, let (f, d) = c.lengthDelimited(), f == 2, c.atEnd else { return nil }
                data = d.at..<d.end
            default:
                return nil
            }
        }
        guard let data else { return nil }
        return RawXORChunk(minTime: minTime, maxTime: maxTime, data: bytes[data])
    }
}

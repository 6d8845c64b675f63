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
        while !r.atEnd {
            guard let (field, body) = r.lengthDelimited() else { return nil }
            var b = body
            switch field {
            case 1:
                guard let (name, value) = b.label() else { return nil }
                var l = Thanos_Label()
                l.name = name
                l.value = value
                s.labels.append(l)
            case 2:
                guard let c = aggrChunk(&b) else { return nil }
                s.chunks.append(c)
            default:
                return nil
            }
        }
        return s
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
}

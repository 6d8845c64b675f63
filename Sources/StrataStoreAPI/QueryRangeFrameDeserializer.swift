import Foundation
import GRPCCore
import GRPCProtobuf
import StrataCore

/// Reads `thanos.QueryRangeResponse` frames (a pushed-down fragment's answer) in one pass: the
/// mirror of `QueryRangeFrameSerializer`, on the querier's side. SwiftProtobuf's generic decoder
/// visited each step's sample message through dynamic dispatch: half of the querier's CPU for
/// `count by (node) (up)` over a day. Float series and batches of them are read here; anything
/// else — warnings, stats, histograms, exemplars, unknown fields, a field given twice, invalid
/// UTF-8 — goes to SwiftProtobuf, so the result is always what SwiftProtobuf gives (tested).
public struct QueryRangeFrameDeserializer: MessageDeserializer {
    public typealias Message = Thanos_QueryRangeResponse
    public init() {}

    public func deserialize<Bytes: GRPCContiguousBytes>(_ serializedMessageBytes: Bytes) throws -> Thanos_QueryRangeResponse {
        try deserializeFrame(serializedMessageBytes, Self.frame)
    }

    /// A frame of exactly one `timeseries` (2) or `timeseries_batch` (4) field.
    static func frame(_ r: inout ProtoReader) -> Message? {
        r.frame(one: 2, batch: 4, timeSeries, single: { .series($0) }, many: { .batch($0) })
    }

    static func timeSeries(_ r: inout ProtoReader) -> Prometheus_TimeSeries? {
        var s = Prometheus_TimeSeries()
        while !r.atEnd {
            guard let (field, body) = r.lengthDelimited() else { return nil }
            var b = body
            switch field {
            case 1:
                guard let (name, value) = b.label() else { return nil }
                // Labels come first, each 4 bytes and more: grown once at most, not per label.
                if s.labels.isEmpty { s.labels.reserveCapacity(min(16, 1 + (r.end - r.at) / 4)) }
                var l = Prometheus_Label()
                l.name = name
                l.value = value
                s.labels.append(l)
            case 2:
                guard let p = sample(&b) else { return nil }
                // Samples come after the labels, each 18 bytes or less (10 for a zero value):
                // room for what is left, instead of growing one sample at a time.
                if s.samples.isEmpty { s.samples.reserveCapacity(1 + (r.end - r.at) / 16) }
                s.samples.append(p)
            default:
                return nil
            }
        }
        return s
    }

    /// `double value = 1` (fixed64), `int64 timestamp = 2` (varint), each at most once.
    @inline(__always)
    static func sample(_ r: inout ProtoReader) -> Prometheus_Sample? {
        var p = Prometheus_Sample()
        var seen = 0
        while !r.atEnd {
            guard let tag = r.varint() else { return nil }
            switch tag {
            case 1 << 3 | 1 where seen & 2 == 0:
                guard let v = r.fixed64() else { return nil }
                p.value = Double(bitPattern: v)
                seen |= 2
            case 2 << 3 where seen & 4 == 0:
                guard let v = r.varint() else { return nil }
                p.timestamp = Int64(bitPattern: v)
                seen |= 4
            default:
                return nil
            }
        }
        return p
    }
}

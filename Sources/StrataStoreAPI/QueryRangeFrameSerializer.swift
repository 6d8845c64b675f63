import Foundation
import GRPCCore
import GRPCProtobuf

/// Serializes `thanos.QueryRangeResponse` frames (a pushed-down fragment's answer) in one pass
/// over exact sizes, as `SeriesFrameSerializer` does for Series frames. A fragment's answer is
/// one sample message per step per series: SwiftProtobuf's generic encoder sized and wrote
/// each through its visitor twice, and measured at 40% of a store's CPU for
/// `count by (node) (up)` over a day. Float series and batches of them are covered, with the
/// bytes SwiftProtobuf writes (tested); frames with histograms, exemplars or unknown fields,
/// warnings and stats go to SwiftProtobuf.
public struct QueryRangeFrameSerializer: MessageSerializer {
    public typealias Message = Thanos_QueryRangeResponse
    let fallback = ProtobufSerializer<Thanos_QueryRangeResponse>()

    public init() {}

    public func serialize<Bytes: GRPCContiguousBytes>(_ message: Thanos_QueryRangeResponse) throws -> Bytes {
        guard let (field, list) = Self.plainSeries(message) else { return try fallback.serialize(message) }
        // `timeseries` (2) is one TimeSeries; `timeseries_batch` (4) a batch of them (1).
        let sizes = list.map(Self.size)
        return ProtoWriter.frame(field: field, batch: field == 4, sizes: sizes) { Self.write(list[$0], &$1) }
    }

    /// The frame's field and series when it holds float series only, with no unknown fields.
    static func plainSeries(_ m: Thanos_QueryRangeResponse) -> (Int, [Prometheus_TimeSeries])? {
        guard m.unknownFields.data.isEmpty else { return nil }
        let field: Int, list: [Prometheus_TimeSeries]
        switch m.result {
        case .timeseries(let s)?: (field, list) = (2, [s])
        case .timeseriesBatch(let b)? where b.unknownFields.data.isEmpty: (field, list) = (4, b.series)
        default: return nil
        }
        for s in list {
            guard s.unknownFields.data.isEmpty, s.exemplars.isEmpty, s.histograms.isEmpty else { return nil }
            for l in s.labels where !l.unknownFields.data.isEmpty { return nil }
            for p in s.samples where !p.unknownFields.data.isEmpty { return nil }
        }
        return (field, list)
    }

    static func size(_ s: Prometheus_TimeSeries) -> Int {
        var n = 0
        for l in s.labels { n += ProtoWriter.fieldSize(ProtoWriter.labelSize(l.name, l.value)) }
        for p in s.samples { n += ProtoWriter.fieldSize(sampleSize(p.timestamp, p.value)) }
        return n
    }

    static func write(_ s: Prometheus_TimeSeries, _ w: inout ProtoWriter) {
        for l in s.labels { w.label(field: 1, l.name, l.value) }
        for p in s.samples { sample(p.timestamp, p.value, &w) }
    }

    /// A `timeseries_batch` frame of float series written straight from label sets and sample
    /// columns (a store's answer over the wire): the bytes `serialize` writes for the same
    /// series as messages (tested), without a message built per series and sample first.
    public static func floatBatch<Bytes: GRPCContiguousBytes>(_ list: [FloatSeries]) -> Bytes {
        ProtoWriter.frame(field: 4, batch: true, sizes: list.map(size)) { write(list[$0], &$1) }
    }

    static func size(_ s: FloatSeries) -> Int {
        var n = 0
        for l in s.labels.pairs { n += ProtoWriter.fieldSize(ProtoWriter.labelSize(l.name, l.value)) }
        for j in s.timestamps.indices { n += ProtoWriter.fieldSize(sampleSize(s.timestamps[j], s.values[j])) }
        return n
    }

    static func write(_ s: FloatSeries, _ w: inout ProtoWriter) {
        for l in s.labels.pairs { w.label(field: 1, l.name, l.value) }
        for j in s.timestamps.indices { sample(s.timestamps[j], s.values[j], &w) }
    }

    /// `double value = 1` (fixed64, left out when its bits are zero), `int64 timestamp = 2`.
    @inline(__always)
    static func sampleSize(_ t: Int64, _ v: Double) -> Int {
        (v.bitPattern == 0 ? 0 : 9) + (t == 0 ? 0 : 1 + ProtoWriter.varintSize(UInt64(bitPattern: t)))
    }

    @inline(__always)
    static func sample(_ t: Int64, _ v: Double, _ w: inout ProtoWriter) {
        w.lengthPrefix(field: 2, sampleSize(t, v))
        if v.bitPattern != 0 { w.fixed64(field: 1, v.bitPattern) }
        if t != 0 { w.varint(field: 2, UInt64(bitPattern: t)) }
    }
}

/// Writes the float series of a pushed-down answer as one `timeseries_batch` frame
/// (`WireSender.send` takes serializers).
struct FloatBatchSerializer: MessageSerializer {
    func serialize<Bytes: GRPCContiguousBytes>(_ list: [FloatSeries]) throws -> Bytes {
        QueryRangeFrameSerializer.floatBatch(list)
    }
}

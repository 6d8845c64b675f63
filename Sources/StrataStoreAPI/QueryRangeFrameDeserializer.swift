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
        let read = walk(&r, reserve: { labels, samples in
            s.labels.reserveCapacity(labels)
            s.samples.reserveCapacity(samples)
        }, label: { name, value in
            var l = Prometheus_Label()
            l.name = name
            l.value = value
            s.labels.append(l)
        }, sample: { s.samples.append($0) })
        return read ? s : nil
    }

    /// A frame of float series (one, or a batch) read straight into label sets and sample
    /// columns: the querier's partials, without a message per series and per sample built and
    /// then copied out again. Nil for any other frame (warnings, histograms, …): decode the
    /// message then.
    public static func floatSeries<Bytes: GRPCContiguousBytes>(_ bytes: Bytes) -> [FloatSeries]? {
        bytes.withUnsafeBytes { buf in
            var r = ProtoReader(buf)
            return r.frame(one: 2, batch: 4, floatSeries, single: { [$0] }, many: { $0 })
        }
    }

    static func floatSeries(_ r: inout ProtoReader) -> FloatSeries? {
        var labels: [Label] = []
        var s = FloatSeries()
        let read = walk(&r, reserve: { n, samples in
            labels.reserveCapacity(n)
            s.timestamps.reserveCapacity(samples)
            s.values.reserveCapacity(samples)
        }, label: { labels.append(Label($0, $1)) }, sample: {
            s.timestamps.append($0.timestamp)
            s.values.append($0.value)
        })
        guard read else { return nil }
        s.labels = Labels(labels)
        return s
    }

    /// A `prometheus.TimeSeries` of labels (1) and float samples (2), nothing else: false
    /// otherwise. `reserve` is told before the first label how many labels there may be (each
    /// 4 bytes and more; samples 0), before the first sample how many samples (each at most 18
    /// bytes, 10 for a zero value; labels 0): the lists grow once at most, not per item.
    @inline(__always)
    static func walk(_ r: inout ProtoReader, reserve: (_ labels: Int, _ samples: Int) -> Void,
                     label onLabel: (String, String) -> Void, sample onSample: (Prometheus_Sample) -> Void) -> Bool {
        var labels = 0, samples = 0
        while !r.atEnd {
            guard let (field, body) = r.lengthDelimited() else { return false }
            var b = body
            switch field {
            case 1:
                guard let (name, value) = b.label() else { return false }
                if labels == 0 { reserve(min(16, 1 + (r.end - r.at) / 4), 0) }
                labels += 1
                onLabel(name, value)
            case 2:
                guard let p = sample(&b) else { return false }
                if samples == 0 { reserve(0, 1 + (r.end - r.at) / 16) }
                samples += 1
                onSample(p)
            default:
                return false
            }
        }
        return true
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

/// A float series of a pushed-down fragment's answer, as the querier's engine holds it.
public struct FloatSeries: Sendable {
    public var labels: Labels
    public var timestamps: [Int64]
    public var values: [Double]

    public init(labels: Labels = Labels(), timestamps: [Int64] = [], values: [Double] = []) {
        self.labels = labels
        self.timestamps = timestamps
        self.values = values
    }
}

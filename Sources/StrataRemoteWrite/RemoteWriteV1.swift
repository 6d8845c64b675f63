import StrataCore

/// Remote write 1.0: `prometheus.WriteRequest { repeated TimeSeries timeseries = 1;
/// reserved 2; repeated MetricMetadata metadata = 3; }` (Prometheus prompb/remote.proto,
/// types.proto). Thanos's forwarded request carries the same `TimeSeries`
/// (`ThanosWriteRequest` uses the series functions here).
public enum RemoteWriteV1 {
    /// Decodes an uncompressed body. Malformed protobuf throws a 400; invalid series follow
    /// `policy`. `knownByRef`: interned series with a head ref and only float samples go to
    /// `WriteBatch.known` (for a receiver that writes every series itself).
    public static func decode(_ bytes: UnsafeRawBufferPointer, invalidSeries policy: InvalidSeriesPolicy = .reject,
                              interner: SeriesInterner? = nil, knownByRef: Bool = false) throws(RemoteWriteError) -> WriteBatch {
        var r = ProtoReader(bytes)
        var batch = WriteBatch()
        var labels = LabelCollector(interner: interner)
        var samples: [WriteSample] = []
        let interned = interner.map { InternedSeries(request: bytes, interner: $0, labelsUnlessTagged: knownByRef) }
        var index = 0
        while !r.isAtEnd {
            let (field, wire) = try r.readTag()
            switch field {
            case 1:
                try ProtoReader.expect(wire, .lengthDelimited, field: field, in: "WriteRequest")
                try decodeSeries(try r.readLengthDelimited(), into: &batch, labels: &labels, samples: &samples,
                                 knownByRef: knownByRef, interned: interned, index: index, policy)
                index += 1
            case 3:
                // Metadata is counted, not stored; its bytes are only framed.
                try ProtoReader.expect(wire, .lengthDelimited, field: field, in: "WriteRequest")
                _ = try r.readLengthDelimited()
                batch.metadataCount += 1
            default:
                try r.skip(wire, field: field)
            }
        }
        return batch
    }

    public static func decode(_ bytes: [UInt8], invalidSeries policy: InvalidSeriesPolicy = .reject,
                              interner: SeriesInterner? = nil, knownByRef: Bool = false) throws(RemoteWriteError) -> WriteBatch {
        try withBytes(bytes) { (b) throws(RemoteWriteError) in try decode(b, invalidSeries: policy, interner: interner, knownByRef: knownByRef) }
    }

    /// Encodes `batch` as a `prometheus.WriteRequest` (metadata is not carried: the batch
    /// only counts it).
    public static func encode(_ batch: WriteBatch) -> [UInt8] {
        var w = ProtoWriter(capacity: batch.series.count * 128)
        for s in batch.series {
            w.withMessage(1) { w in encodeSeries(s, into: &w) }
        }
        return w.bytes
    }

    /// One `TimeSeries { labels = 1; samples = 2; exemplars = 3; histograms = 4 }`: appended
    /// to `batch.series` (or `batch.known`, see `decode`) when its labels are valid, else
    /// handed to `policy`. `samples` is scratch space kept across series.
    static func decodeSeries(_ r: ProtoReader, into batch: inout WriteBatch, labels: inout LabelCollector,
                             samples: inout [WriteSample], knownByRef: Bool = false,
                             interned: InternedSeries? = nil, index: Int = 0,
                             _ policy: InvalidSeriesPolicy) throws(RemoteWriteError) {
        var r = r
        labels.reset()
        samples.removeAll(keepingCapacity: true)
        var histograms: [WriteHistogram] = []
        var exemplars: [WriteExemplar] = []
        while !r.isAtEnd {
            let fieldStart = r.pos
            let (field, wire) = try r.readTag()
            switch field {
            case 1:
                try ProtoReader.expect(wire, .lengthDelimited, field: field, in: "TimeSeries")
                try labels.add(field: try r.readLengthDelimited(), wireStart: fieldStart, decode: decodeLabel)
            case 2:
                try ProtoReader.expect(wire, .lengthDelimited, field: field, in: "TimeSeries")
                samples.append(try decodeSample(try r.readLengthDelimited()))
            case 3:
                try ProtoReader.expect(wire, .lengthDelimited, field: field, in: "TimeSeries")
                exemplars.append(try decodeExemplar(try r.readLengthDelimited()))
            case 4:
                try ProtoReader.expect(wire, .lengthDelimited, field: field, in: "TimeSeries")
                histograms.append(try ProtoHistogram.decode(try r.readLengthDelimited()))
            default:
                try r.skip(wire, field: field)
            }
        }
        let byRef = knownByRef && histograms.isEmpty && exemplars.isEmpty
        let (result, key, tag): (Result<Labels, SeriesRejection>, UInt64, UInt64)
        switch try labels.labels(tagSuffices: byRef, interned: interned, index: index, decode: decodeLabel) {
        case .tagged(let k, let t):
            let start = batch.knownSamples.count
            batch.knownSamples.append(contentsOf: samples)
            batch.known.append(KnownSeries(internKey: k, ref: t, samples: start..<batch.knownSamples.count))
            return
        case .labels(let r, let k, let t): (result, key, tag) = (r, k, t)
        }
        switch result {
        case .success(let ls):
            var s = WriteSeries(labels: ls, samples: samples, histograms: histograms, exemplars: exemplars)
            s.internKey = key
            s.internTag = tag
            batch.series.append(s)
        case .failure(let rejection):
            try batch.reject(rejection, policy)
        }
    }

    /// `Label { string name = 1; string value = 2; }` as raw bytes (validated by the caller).
    @inline(__always)
    private static func decodeLabel(_ r: ProtoReader) throws(RemoteWriteError) -> (UnsafeRawBufferPointer, UnsafeRawBufferPointer) {
        var r = r
        var name = UnsafeRawBufferPointer(start: nil, count: 0)
        var value = name
        while !r.isAtEnd {
            let (field, wire) = try r.readTag()
            switch field {
            case 1:
                try ProtoReader.expect(wire, .lengthDelimited, field: field, in: "Label")
                name = try r.readBytes()
            case 2:
                try ProtoReader.expect(wire, .lengthDelimited, field: field, in: "Label")
                value = try r.readBytes()
            default:
                try r.skip(wire, field: field)
            }
        }
        return (name, value)
    }

    /// `Sample { double value = 1; int64 timestamp = 2; }` (2.0's Sample has the same two
    /// first fields and adds start_timestamp = 3, which is skipped).
    @inline(__always)
    static func decodeSample(_ r: ProtoReader) throws(RemoteWriteError) -> WriteSample {
        var r = r
        var s = WriteSample(0, 0)
        while !r.isAtEnd {
            let (field, wire) = try r.readTag()
            switch field {
            case 1:
                try ProtoReader.expect(wire, .fixed64, field: field, in: "Sample")
                s.value = try r.readDouble()
            case 2:
                try ProtoReader.expect(wire, .varint, field: field, in: "Sample")
                s.timestamp = Int64(bitPattern: try r.readVarint())
            default:
                try r.skip(wire, field: field)
            }
        }
        return s
    }

    /// `Exemplar { repeated Label labels = 1; double value = 2; int64 timestamp = 3; }`.
    /// Exemplar labels are not validated (Prometheus's handler does not either); bytes that
    /// are not UTF-8 are repaired rather than refused.
    private static func decodeExemplar(_ r: ProtoReader) throws(RemoteWriteError) -> WriteExemplar {
        var r = r
        var pairs: [Label] = []
        var e = WriteExemplar(labels: Labels(), timestamp: 0, value: 0)
        while !r.isAtEnd {
            let (field, wire) = try r.readTag()
            switch field {
            case 1:
                try ProtoReader.expect(wire, .lengthDelimited, field: field, in: "Exemplar")
                let (name, value) = try decodeLabel(try r.readLengthDelimited())
                pairs.append(Label(String(decoding: name, as: UTF8.self), String(decoding: value, as: UTF8.self)))
            case 2:
                try ProtoReader.expect(wire, .fixed64, field: field, in: "Exemplar")
                e.value = try r.readDouble()
            case 3:
                try ProtoReader.expect(wire, .varint, field: field, in: "Exemplar")
                e.timestamp = Int64(bitPattern: try r.readVarint())
            default:
                try r.skip(wire, field: field)
            }
        }
        e.labels = Labels(pairs)
        return e
    }

    static func encodeSeries(_ s: WriteSeries, into w: inout ProtoWriter) {
        for l in s.labels.pairs { encodeLabel(l, into: &w) }
        for x in s.samples {
            w.withMessage(2) { w in
                w.doubleField(1, x.value)
                w.int64Field(2, x.timestamp)
            }
        }
        for e in s.exemplars {
            w.withMessage(3) { w in
                for l in e.labels.pairs { encodeLabel(l, into: &w) }
                w.doubleField(2, e.value)
                w.int64Field(3, e.timestamp)
            }
        }
        for h in s.histograms {
            w.withMessage(4) { w in ProtoHistogram.encode(h, into: &w) }
        }
    }

    private static func encodeLabel(_ l: Label, into w: inout ProtoWriter) {
        w.withMessage(1) { w in
            w.stringField(1, l.name)
            w.stringField(2, l.value)
        }
    }
}

/// Runs `body` over an array's bytes with typed throws preserved.
@inline(__always)
func withBytes<R>(_ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) throws(RemoteWriteError) -> R) throws(RemoteWriteError) -> R {
    let result: Result<R, RemoteWriteError> = bytes.withUnsafeBytes { b in
        do throws(RemoteWriteError) { return .success(try body(b)) } catch { return .failure(error) }
    }
    return try result.get()
}

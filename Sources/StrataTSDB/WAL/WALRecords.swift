import StrataCore

/// The record types of Prometheus's WAL (`tsdb/record`). The first byte of every record.
/// Strata writes series (1), samples (2), histogram samples (7) and float histogram samples
/// (8) — every type Prometheus 2.42 replays, so its `promtool tsdb dump` reads a Strata
/// WAL — and reads those plus tombstones (3); the other types are recognised and skipped.
public enum WALRecordType: UInt8, Sendable, CaseIterable {
    case series = 1
    case samples = 2
    case tombstones = 3
    case exemplars = 4
    /// Out-of-order write-behind log only.
    case mmapMarkers = 5
    case metadata = 6
    case histogramSamples = 7
    case floatHistogramSamples = 8
    /// Prometheus 3.x: native histograms with custom buckets (NHCB). Written by 3.x only;
    /// 2.42 ignores them, so Strata never writes them.
    case customBucketsHistogramSamples = 9
    case customBucketsFloatHistogramSamples = 10
    /// Prometheus 3.x records with start timestamps; 2.42 ignores them.
    case samplesV2 = 11
    case histogramSamplesV2 = 12
    case floatHistogramSamplesV2 = 13

    public static func of(_ record: [UInt8]) -> WALRecordType? {
        record.first.flatMap(WALRecordType.init(rawValue:))
    }
}

/// A series with the reference its samples use (`record.RefSeries`).
public struct WALSeries: Sendable, Equatable {
    public var ref: UInt64
    public var labels: Labels
    public init(ref: UInt64, labels: Labels) { self.ref = ref; self.labels = labels }
}

public struct WALSample: Sendable, Equatable {
    public var ref: UInt64
    public var t: Int64
    public var v: Double
    public init(ref: UInt64, t: Int64, v: Double) { self.ref = ref; self.t = t; self.v = v }

    public static func == (a: WALSample, b: WALSample) -> Bool {
        a.ref == b.ref && a.t == b.t && a.v.bitPattern == b.v.bitPattern
    }
}

public struct WALHistogramSample: Sendable, Equatable {
    public var ref: UInt64
    public var t: Int64
    public var h: Histogram
    public init(ref: UInt64, t: Int64, h: Histogram) { self.ref = ref; self.t = t; self.h = h }
}

public struct WALFloatHistogramSample: Sendable, Equatable {
    public var ref: UInt64
    public var t: Int64
    public var h: FloatHistogram
    public init(ref: UInt64, t: Int64, h: FloatHistogram) { self.ref = ref; self.t = t; self.h = h }
}

/// A deleted interval `[minTime, maxTime]` of a series.
public struct WALTombstone: Sendable, Equatable {
    public var ref: UInt64
    public var minTime: Int64
    public var maxTime: Int64
    public init(ref: UInt64, minTime: Int64, maxTime: Int64) { self.ref = ref; self.minTime = minTime; self.maxTime = maxTime }
}

/// Encodes records exactly as Prometheus's `record.Encoder` does (big-endian fixed ints, Go
/// varints; the samples of a record as deltas to its first sample's ref and timestamp).
public enum WALEncoder {
    public static func series(_ series: [WALSeries], into w: inout ByteWriter) {
        var size = 1
        for s in series {
            size += 8 + UnsafeByteWriter.maxVarintBytes
            for l in s.labels.pairs { size += l.name.utf8.count + l.value.utf8.count + 2 * UnsafeByteWriter.maxVarintBytes }
        }
        w.write(upTo: size) { w in
            w.u8(WALRecordType.series.rawValue)
            for s in series {
                w.be64(s.ref)
                w.uvarint(UInt64(s.labels.count))
                for l in s.labels.pairs { w.ustr(l.name); w.ustr(l.value) }
            }
        }
    }

    public static func samples(_ samples: [WALSample], into w: inout ByteWriter) {
        w.write(upTo: 17 + samples.count * (2 * UnsafeByteWriter.maxVarintBytes + 8)) { w in
            w.u8(WALRecordType.samples.rawValue)
            guard let first = samples.first else { return }
            w.be64(first.ref)
            w.be64(UInt64(bitPattern: first.t))
            for s in samples {
                w.varint(Int64(bitPattern: s.ref &- first.ref))
                w.varint(s.t &- first.t)
                w.be64(s.v.bitPattern)
            }
        }
    }

    public static func tombstones(_ stones: [WALTombstone], into w: inout ByteWriter) {
        w.u8(WALRecordType.tombstones.rawValue)
        for s in stones {
            w.be64(s.ref)
            w.varint(s.minTime)
            w.varint(s.maxTime)
        }
    }

    /// Exponential-schema histograms only (type 7): custom-bucket histograms have their own
    /// record type in Prometheus 3, which 2.42 cannot read; the head refuses them.
    public static func histogramSamples(_ samples: [WALHistogramSample], into w: inout ByteWriter) {
        w.u8(WALRecordType.histogramSamples.rawValue)
        guard let first = samples.first else { return }
        w.be64(first.ref)
        w.be64(UInt64(bitPattern: first.t))
        for s in samples {
            w.varint(Int64(bitPattern: s.ref &- first.ref))
            w.varint(s.t &- first.t)
            let h = s.h
            w.u8(h.counterResetHint.rawValue)
            w.varint(Int64(h.schema))
            w.be64(h.zeroThreshold.bitPattern)
            w.uvarint(h.zeroCount)
            w.uvarint(h.count)
            w.be64(h.sum.bitPattern)
            spans(h.positiveSpans, &w)
            spans(h.negativeSpans, &w)
            w.uvarint(UInt64(h.positiveBuckets.count))
            for b in h.positiveBuckets { w.varint(b) }
            w.uvarint(UInt64(h.negativeBuckets.count))
            for b in h.negativeBuckets { w.varint(b) }
        }
    }

    public static func floatHistogramSamples(_ samples: [WALFloatHistogramSample], into w: inout ByteWriter) {
        w.u8(WALRecordType.floatHistogramSamples.rawValue)
        guard let first = samples.first else { return }
        w.be64(first.ref)
        w.be64(UInt64(bitPattern: first.t))
        for s in samples {
            w.varint(Int64(bitPattern: s.ref &- first.ref))
            w.varint(s.t &- first.t)
            let h = s.h
            w.u8(h.counterResetHint.rawValue)
            w.varint(Int64(h.schema))
            w.be64(h.zeroThreshold.bitPattern)
            w.be64(h.zeroCount.bitPattern)
            w.be64(h.count.bitPattern)
            w.be64(h.sum.bitPattern)
            spans(h.positiveSpans, &w)
            spans(h.negativeSpans, &w)
            w.uvarint(UInt64(h.positiveBuckets.count))
            for b in h.positiveBuckets { w.be64(b.bitPattern) }
            w.uvarint(UInt64(h.negativeBuckets.count))
            for b in h.negativeBuckets { w.be64(b.bitPattern) }
        }
    }

    static func spans(_ spans: [HistogramSpan], _ w: inout ByteWriter) {
        w.uvarint(UInt64(spans.count))
        for s in spans {
            w.varint(Int64(s.offset))
            w.uvarint(UInt64(s.length))
        }
    }
}

/// Decodes records as Prometheus's `record.Decoder` does, refusing trailing bytes and
/// truncated fields (a record that passed its CRC but does not parse is corruption).
public enum WALDecoder {
    public static func series(_ rec: [UInt8], into out: inout [WALSeries]) throws {
        try decode(rec, .series) { r in
            let ref = try r.be64()
            let n = try r.uvarintInt()
            var pairs: [Label] = []
            pairs.reserveCapacity(min(n, r.remaining / 2))
            for _ in 0..<n { pairs.append(Label(try r.ustr(), try r.ustr())) }
            out.append(WALSeries(ref: ref, labels: Labels(pairs)))
        }
    }

    public static func samples(_ rec: [UInt8], into out: inout [WALSample]) throws {
        try decodeBased(rec, .samples) { r, ref, t in
            out.append(WALSample(ref: ref, t: t, v: Double(bitPattern: try r.be64())))
        }
    }

    public static func tombstones(_ rec: [UInt8], into out: inout [WALTombstone]) throws {
        try decode(rec, .tombstones) { r in
            out.append(WALTombstone(ref: try r.be64(), minTime: try r.varint(), maxTime: try r.varint()))
        }
    }

    /// Types 7 and 9 (9 carries custom bucket bounds after the buckets).
    public static func histogramSamples(_ rec: [UInt8], into out: inout [WALHistogramSample]) throws {
        let type = WALRecordType.of(rec)
        guard type == .histogramSamples || type == .customBucketsHistogramSamples else {
            throw DecodeError.invalid(offset: 0, "not a histogram samples record")
        }
        try decodeBased(rec, type!) { r, ref, t in
            var h = Histogram()
            h.counterResetHint = CounterResetHint(rawValue: try r.u8()) ?? .unknown
            h.schema = Int32(truncatingIfNeeded: try r.varint())
            h.zeroThreshold = Double(bitPattern: try r.be64())
            h.zeroCount = try r.uvarint()
            h.count = try r.uvarint()
            h.sum = Double(bitPattern: try r.be64())
            h.positiveSpans = try spans(&r)
            h.negativeSpans = try spans(&r)
            h.positiveBuckets = try list(&r) { try $0.varint() }
            h.negativeBuckets = try list(&r) { try $0.varint() }
            if HistogramSchema.isCustomBuckets(h.schema) {
                h.customValues = try list(&r) { Double(bitPattern: try $0.be64()) }
            }
            out.append(WALHistogramSample(ref: ref, t: t, h: h))
        }
    }

    /// Types 8 and 10.
    public static func floatHistogramSamples(_ rec: [UInt8], into out: inout [WALFloatHistogramSample]) throws {
        let type = WALRecordType.of(rec)
        guard type == .floatHistogramSamples || type == .customBucketsFloatHistogramSamples else {
            throw DecodeError.invalid(offset: 0, "not a float histogram samples record")
        }
        try decodeBased(rec, type!) { r, ref, t in
            var h = FloatHistogram()
            h.counterResetHint = CounterResetHint(rawValue: try r.u8()) ?? .unknown
            h.schema = Int32(truncatingIfNeeded: try r.varint())
            h.zeroThreshold = Double(bitPattern: try r.be64())
            h.zeroCount = Double(bitPattern: try r.be64())
            h.count = Double(bitPattern: try r.be64())
            h.sum = Double(bitPattern: try r.be64())
            h.positiveSpans = try spans(&r)
            h.negativeSpans = try spans(&r)
            h.positiveBuckets = try list(&r) { Double(bitPattern: try $0.be64()) }
            h.negativeBuckets = try list(&r) { Double(bitPattern: try $0.be64()) }
            if HistogramSchema.isCustomBuckets(h.schema) {
                h.customValues = try list(&r) { Double(bitPattern: try $0.be64()) }
            }
            out.append(WALFloatHistogramSample(ref: ref, t: t, h: h))
        }
    }

    static func spans(_ r: inout ByteReader) throws -> [HistogramSpan] {
        try list(&r) { r in
            HistogramSpan(offset: Int32(truncatingIfNeeded: try r.varint()), length: UInt32(truncatingIfNeeded: try r.uvarint()))
        }
    }

    /// A uvarint count, then that many elements. Capacity is bounded by the bytes left, so
    /// a corrupt count cannot allocate more than the record could hold.
    static func list<T>(_ r: inout ByteReader, _ element: (inout ByteReader) throws -> T) throws -> [T] {
        let n = try r.uvarintInt()
        guard n > 0 else { return [] }
        guard n <= r.remaining else { throw DecodeError.invalid(offset: r.pos, "\(n) elements in \(r.remaining) bytes") }
        var out: [T] = []
        out.reserveCapacity(n)
        for _ in 0..<n { out.append(try element(&r)) }
        return out
    }

    /// A record of entries without a base: type byte, then entries to the end.
    static func decode(_ rec: [UInt8], _ type: WALRecordType, _ entry: (inout ByteReader) throws -> Void) throws {
        try rec.withUnsafeBytes { buf in
            var r = ByteReader(buf)
            guard try r.u8() == type.rawValue else { throw DecodeError.invalid(offset: 0, "not a \(type) record") }
            while !r.isAtEnd { try entry(&r) }
        }
    }

    /// A record whose entries are deltas to a base ref and timestamp (samples, histograms):
    /// an empty record is the type byte alone.
    static func decodeBased(_ rec: [UInt8], _ type: WALRecordType,
                            _ entry: (inout ByteReader, UInt64, Int64) throws -> Void) throws {
        try rec.withUnsafeBytes { buf in
            var r = ByteReader(buf)
            guard try r.u8() == type.rawValue else { throw DecodeError.invalid(offset: 0, "not a \(type) record") }
            guard !r.isAtEnd else { return }
            let baseRef = try r.be64()
            let baseTime = Int64(bitPattern: try r.be64())
            while !r.isAtEnd {
                let dref = try r.varint()
                let dt = try r.varint()
                try entry(&r, baseRef &+ UInt64(bitPattern: dref), baseTime &+ dt)
            }
        }
    }
}

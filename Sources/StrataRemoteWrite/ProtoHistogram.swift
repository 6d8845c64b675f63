import StrataCore

/// The `Histogram` message, identical in field numbers in 1.0 (`prometheus.Histogram`),
/// Thanos's copy and 2.0 (`io.prometheus.write.v2.Histogram`, which adds
/// start_timestamp = 17, skipped here like any unknown field).
///
/// Which kind a histogram is follows the `count` oneof, as Prometheus's
/// `IsFloatHistogram()` does: `count_float` makes a float histogram (absolute bucket
/// counts from `*_counts`, zero count from `zero_count_float`), otherwise it is an integer
/// histogram (delta buckets from `*_deltas`, `zero_count_int`). The other kind's fields are
/// read and dropped, as Prometheus's converters ignore them.
enum ProtoHistogram {
    static func decode(_ r: ProtoReader) throws(RemoteWriteError) -> WriteHistogram {
        var r = r
        var countIsFloat = false
        var countInt: UInt64 = 0, countFloat = 0.0
        var zeroInt: UInt64 = 0, zeroFloat = 0.0
        var sum = 0.0, zeroThreshold = 0.0
        var schema: Int32 = 0
        var negSpans: [HistogramSpan] = [], posSpans: [HistogramSpan] = []
        var negDeltas: [Int64] = [], posDeltas: [Int64] = []
        var negCounts: [Double] = [], posCounts: [Double] = []
        var custom: [Double] = []
        var hint = CounterResetHint.unknown
        var timestamp: Int64 = 0
        while !r.isAtEnd {
            let (field, wire) = try r.readTag()
            switch field {
            case 1:
                try ProtoReader.expect(wire, .varint, field: field, in: "Histogram")
                countInt = try r.readVarint(); countIsFloat = false
            case 2:
                try ProtoReader.expect(wire, .fixed64, field: field, in: "Histogram")
                countFloat = try r.readDouble(); countIsFloat = true
            case 3:
                try ProtoReader.expect(wire, .fixed64, field: field, in: "Histogram")
                sum = try r.readDouble()
            case 4:
                try ProtoReader.expect(wire, .varint, field: field, in: "Histogram")
                // sint32: zigzag of the 32-bit value; truncation matches Go's decoder.
                schema = Int32(truncatingIfNeeded: zigZagDecode(try r.readVarint() & 0xffff_ffff))
            case 5:
                try ProtoReader.expect(wire, .fixed64, field: field, in: "Histogram")
                zeroThreshold = try r.readDouble()
            case 6:
                try ProtoReader.expect(wire, .varint, field: field, in: "Histogram")
                zeroInt = try r.readVarint()
            case 7:
                try ProtoReader.expect(wire, .fixed64, field: field, in: "Histogram")
                zeroFloat = try r.readDouble()
            case 8, 11:
                try ProtoReader.expect(wire, .lengthDelimited, field: field, in: "Histogram")
                let span = try decodeSpan(try r.readLengthDelimited())
                if field == 8 { negSpans.append(span) } else { posSpans.append(span) }
            case 9:
                try r.forEachVarint(wire) { negDeltas.append(zigZagDecode($0)) }
            case 12:
                try r.forEachVarint(wire) { posDeltas.append(zigZagDecode($0)) }
            case 10:
                try r.forEachDouble(wire) { negCounts.append($0) }
            case 13:
                try r.forEachDouble(wire) { posCounts.append($0) }
            case 14:
                try ProtoReader.expect(wire, .varint, field: field, in: "Histogram")
                // An enum value this version does not know reads as "unknown": the reader
                // then checks for a reset itself, which is always safe.
                hint = CounterResetHint(rawValue: UInt8(truncatingIfNeeded: try r.readVarint() & 0xff)) ?? .unknown
            case 15:
                try ProtoReader.expect(wire, .varint, field: field, in: "Histogram")
                timestamp = Int64(bitPattern: try r.readVarint())
            case 16:
                try r.forEachDouble(wire) { custom.append($0) }
            default:
                try r.skip(wire, field: field)
            }
        }
        if countIsFloat {
            return WriteHistogram(timestamp, .float(FloatHistogram(
                counterResetHint: hint, schema: schema, zeroThreshold: zeroThreshold, zeroCount: zeroFloat,
                count: countFloat, sum: sum, positiveSpans: posSpans, negativeSpans: negSpans,
                positiveBuckets: posCounts, negativeBuckets: negCounts, customValues: custom)))
        }
        return WriteHistogram(timestamp, .int(Histogram(
            counterResetHint: hint, schema: schema, zeroThreshold: zeroThreshold, zeroCount: zeroInt,
            count: countInt, sum: sum, positiveSpans: posSpans, negativeSpans: negSpans,
            positiveBuckets: posDeltas, negativeBuckets: negDeltas, customValues: custom)))
    }

    private static func decodeSpan(_ r: ProtoReader) throws(RemoteWriteError) -> HistogramSpan {
        var r = r
        var span = HistogramSpan(offset: 0, length: 0)
        while !r.isAtEnd {
            let (field, wire) = try r.readTag()
            switch field {
            case 1:
                try ProtoReader.expect(wire, .varint, field: field, in: "BucketSpan")
                span.offset = Int32(truncatingIfNeeded: zigZagDecode(try r.readVarint() & 0xffff_ffff))
            case 2:
                try ProtoReader.expect(wire, .varint, field: field, in: "BucketSpan")
                span.length = UInt32(truncatingIfNeeded: try r.readVarint())
            default:
                try r.skip(wire, field: field)
            }
        }
        return span
    }

    /// Writes the message body (without its own tag) in field-number order. The oneof
    /// members `count_*` and `zero_count_*` are always written, even when zero, because their
    /// presence says which kind the histogram is.
    static func encode(_ h: WriteHistogram, into w: inout ProtoWriter) {
        switch h.value {
        case .int(let x):
            w.varintField(1, x.count, always: true)
            w.doubleField(3, x.sum)
            w.varintField(4, zigZagEncode(Int64(x.schema)))
            w.doubleField(5, x.zeroThreshold)
            w.varintField(6, x.zeroCount, always: true)
            encodeSpans(8, x.negativeSpans, into: &w)
            w.packedVarints(9, x.negativeBuckets) { zigZagEncode($0) }
            encodeSpans(11, x.positiveSpans, into: &w)
            w.packedVarints(12, x.positiveBuckets) { zigZagEncode($0) }
            w.varintField(14, UInt64(x.counterResetHint.rawValue))
            w.int64Field(15, h.timestamp)
            w.packedDoubles(16, x.customValues)
        case .float(let x):
            w.doubleField(2, x.count, always: true)
            w.doubleField(3, x.sum)
            w.varintField(4, zigZagEncode(Int64(x.schema)))
            w.doubleField(5, x.zeroThreshold)
            w.doubleField(7, x.zeroCount, always: true)
            encodeSpans(8, x.negativeSpans, into: &w)
            w.packedDoubles(10, x.negativeBuckets)
            encodeSpans(11, x.positiveSpans, into: &w)
            w.packedDoubles(13, x.positiveBuckets)
            w.varintField(14, UInt64(x.counterResetHint.rawValue))
            w.int64Field(15, h.timestamp)
            w.packedDoubles(16, x.customValues)
        }
    }

    private static func encodeSpans(_ field: UInt32, _ spans: [HistogramSpan], into w: inout ProtoWriter) {
        for s in spans {
            w.withMessage(field) { w in
                w.varintField(1, zigZagEncode(Int64(s.offset)))
                w.varintField(2, UInt64(s.length))
            }
        }
    }
}

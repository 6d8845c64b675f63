import StrataCore

/// The counter-reset flags in the top two bits of a histogram chunk's third byte
/// (Prometheus `CounterResetHeader`): what the chunk's first sample says about a reset
/// since the previous chunk. Later samples of a counter chunk never reset.
public enum CounterResetHeader: UInt8, Sendable {
    case unknown = 0x00
    case counterReset = 0x80
    case notCounterReset = 0x40
    case gauge = 0xC0

    static let mask: UInt8 = 0xC0

    /// The hint a sample read at position `index` (0-based) of the chunk carries
    /// (Prometheus `counterResetHint`): gauge chunks hold gauges; after the first sample
    /// a counter chunk holds no resets; the first sample's hint stays unknown because the
    /// previous chunk may not be the one the header was written against.
    public func hint(sampleIndex index: Int) -> CounterResetHint {
        if self == .gauge { return .gauge }
        return index > 0 ? .notCounterReset : .unknown
    }

    public init(_ hint: CounterResetHint) {
        switch hint {
        case .unknown: self = .unknown
        case .counterReset: self = .counterReset
        case .notCounterReset: self = .notCounterReset
        case .gauge: self = .gauge
        }
    }
}

/// Histogram and float histogram chunks: 2-byte big-endian sample count, 1 flags byte
/// (counter-reset header in its top two bits), then a bit stream whose first sample starts
/// with this layout. The start-timestamp encodings (5, 6) move the counter-reset bits to the
/// top of byte 0 (the count keeps 14 bits) and use byte 2 as `StartTimestampHeader`.
enum HistogramChunkFormat {
    static let headerSize = 3
    static let stCountMask = 0x3FFF

    static func writeHeader(_ w: inout BitWriter, _ header: CounterResetHeader, startTimestamps: Bool) {
        if startTimestamps {
            w.writeByte(header.rawValue)
            w.write(0, 16)
        } else {
            w.write(0, 16)
            w.writeByte(header.rawValue)
        }
    }

    static func header(_ bytes: [UInt8], startTimestamps: Bool) -> CounterResetHeader {
        CounterResetHeader(rawValue: bytes[startTimestamps ? 0 : 2] & CounterResetHeader.mask)!
    }

    static func setHeader(_ w: inout BitWriter, _ header: CounterResetHeader, startTimestamps: Bool) {
        let i = startTimestamps ? 0 : 2
        w.patch(at: i, (w.bytes[i] & ~CounterResetHeader.mask) | header.rawValue)
    }

    static func setCount(_ w: inout BitWriter, _ count: Int, startTimestamps: Bool) {
        precondition(count <= (startTimestamps ? stCountMask : 0xFFFF), "histogram chunk capacity exceeded")
        let hi = UInt8(truncatingIfNeeded: count >> 8)
        w.patch(at: 0, startTimestamps ? (w.bytes[0] & CounterResetHeader.mask) | (hi & ~CounterResetHeader.mask) : hi)
        w.patch(at: 1, UInt8(truncatingIfNeeded: count))
    }

    /// Sample count, counter-reset header and start-timestamp decoder of a chunk.
    static func readHeader(_ chunk: UnsafeRawBufferPointer, startTimestamps: Bool) throws(DecodeError)
        -> (Int, CounterResetHeader, StartTimestampDecoder) {
        guard chunk.count >= headerSize else { throw .truncated(offset: chunk.count) }
        let n = Int(chunk[0]) << 8 | Int(chunk[1])
        if startTimestamps {
            return (n & stCountMask, CounterResetHeader(rawValue: chunk[0] & CounterResetHeader.mask)!,
                    StartTimestampDecoder(header: chunk[StartTimestampHeader.offset]))
        }
        return (n, CounterResetHeader(rawValue: chunk[2] & CounterResetHeader.mask)!, StartTimestampDecoder(header: 0))
    }
}

/// What the first sample of a histogram chunk fixes for the whole chunk.
struct HistogramLayout {
    var schema: Int32 = 0
    var zeroThreshold: Double = 0
    var positiveSpans: [HistogramSpan] = []
    var negativeSpans: [HistogramSpan] = []
    var customValues: [Double] = []
}

extension BitWriter {
    mutating func putHistogramLayout(_ l: HistogramLayout) {
        putZeroThreshold(l.zeroThreshold)
        putVarbitInt(Int64(l.schema))
        putSpans(l.positiveSpans)
        putSpans(l.negativeSpans)
        if HistogramSchema.isCustomBuckets(l.schema) {
            putVarbitUint(UInt64(l.customValues.count))
            for v in l.customValues { putCustomBound(v) }
        }
    }

    mutating func putSpans(_ spans: [HistogramSpan]) {
        putVarbitUint(UInt64(spans.count))
        for s in spans {
            putVarbitUint(UInt64(s.length))
            putVarbitInt(Int64(s.offset))
        }
    }

    /// One byte for 0 and for powers of two 2^-243…2^10 (the exponent + 243), else 255 and
    /// the 8 float bytes (Prometheus `putZeroThreshold`).
    mutating func putZeroThreshold(_ v: Double) {
        if v == 0 { writeByte(0); return }
        // Go's frexp: v = frac · 2^exp with frac in [0.5, 1); frac == 0.5 ⇔ a power of two.
        if v.isFinite, v > 0, v.significand == 1 {
            let exp = Int(v.exponent) + 1
            if exp >= -242 && exp <= 11 { writeByte(UInt8(exp + 243)); return }
        }
        writeByte(255)
        write(v.bitPattern, 64)
    }

    /// Multiples of 0.001 in [0, 33554.43] as varbit uint (bound·1000 + 1), else a 0 bit and
    /// the 8 float bytes (Prometheus `putCustomBound`).
    mutating func putCustomBound(_ f: Double) {
        let tf = f * 1000
        if tf.isNaN || tf < 0 || tf > 33_554_430 || (tf.rounded() / 1000) != f {
            write(0, 1)
            write(f.bitPattern, 64)
            return
        }
        putVarbitUint(UInt64(tf.rounded()) + 1)
    }
}

extension BitReader {
    /// Byte offset (within the buffer) of the next unread bit.
    var byteOffset: Int { (pos * 8 - valid) / 8 }

    func corrupt(_ what: String) -> DecodeError { .invalid(offset: byteOffset, what) }

    /// Reads the layout, refusing span, bucket and bound counts that the remaining bits
    /// cannot hold (each needs at least one bit), so corrupt data cannot make us allocate
    /// without bound.
    mutating func readHistogramLayout() throws(DecodeError) -> HistogramLayout {
        var l = HistogramLayout()
        let zb = readBits(8)
        switch zb {
        case 0: l.zeroThreshold = 0
        case 255: l.zeroThreshold = Double(bitPattern: readBits(64))
        default: l.zeroThreshold = Double(sign: .plus, exponent: Int(zb) - 244, significand: 1)
        }
        let schema = readVarbitInt()
        if overrun { throw .truncated(offset: byteOffset) }
        guard let s = Int32(exactly: schema), HistogramSchema.isKnown(s) else {
            throw corrupt("histogram chunk with unknown schema \(schema)")
        }
        l.schema = s
        l.positiveSpans = try readSpans("positive")
        l.negativeSpans = try readSpans("negative")
        if HistogramSchema.isCustomBuckets(s) {
            let n = readVarbitUint()
            if overrun { throw .truncated(offset: byteOffset) }
            guard n <= UInt64(bitsRemaining) else { throw corrupt("histogram chunk announces \(n) custom bounds, more than its data can hold") }
            l.customValues.reserveCapacity(Int(n))
            for _ in 0..<Int(n) {
                let b = readVarbitUint()
                l.customValues.append(b == 0 ? Double(bitPattern: readBits(64)) : Double(b - 1) / 1000)
            }
        }
        if overrun { throw .truncated(offset: byteOffset) }
        let buckets = l.positiveSpans.bucketCount + l.negativeSpans.bucketCount
        guard buckets <= bitsRemaining else {
            throw corrupt("histogram chunk spans cover \(buckets) buckets, more than its data can hold")
        }
        return l
    }

    mutating func readSpans(_ sign: String) throws(DecodeError) -> [HistogramSpan] {
        let n = readVarbitUint()
        if overrun { throw .truncated(offset: byteOffset) }
        guard n <= UInt64(bitsRemaining / 2) else {
            throw corrupt("histogram chunk announces \(n) \(sign) spans, more than its data can hold")
        }
        var spans: [HistogramSpan] = []
        spans.reserveCapacity(Int(n))
        var total = 0
        for _ in 0..<Int(n) {
            let length = readVarbitUint()
            let offset = readVarbitInt()
            if overrun { throw .truncated(offset: byteOffset) }
            guard let len = UInt32(exactly: length), let off = Int32(exactly: offset) else {
                throw corrupt("histogram chunk \(sign) span out of range (offset \(offset), length \(length))")
            }
            // Prometheus refuses histograms whose later spans go backwards (`Validate`).
            guard spans.isEmpty || off >= 0 else {
                throw corrupt("histogram chunk \(sign) span \(spans.count) has negative offset \(off)")
            }
            total += Int(len)
            guard total <= bitsRemaining else {
                throw corrupt("histogram chunk \(sign) spans cover \(total)+ buckets, more than its data can hold")
            }
            spans.append(HistogramSpan(offset: off, length: len))
        }
        return spans
    }
}

/// What histogram (encoding 2) and float histogram (encoding 3) chunk iterators share, so
/// readers that want float counts walk either with one loop.
public protocol FloatHistogramSampleReader {
    var t: Int64 { get }
    mutating func next() throws(DecodeError) -> Bool
    func read(into f: inout FloatHistogram)
}

extension HistogramChunkIterator: FloatHistogramSampleReader {}
extension FloatHistogramChunkIterator: FloatHistogramSampleReader {}

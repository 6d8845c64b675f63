import StrataCore

/// Per-value Gorilla state of a float histogram chunk: each of count, zero count, sum and
/// every bucket is XORed against its own previous value with its own window.
struct XORSlot: Sendable {
    var bits: UInt64 = 0
    var leading: UInt8 = 0xFF
    var trailing: UInt8 = 0
}

/// Encodes float histogram samples into a float histogram chunk (encoding 3), bit-exact
/// with Prometheus's `FloatHistogramAppender.appendFloatHistogram`. Raw encoder, like
/// `HistogramChunkEncoder`: the first sample fixes the layout. The first sample writes the
/// layout, varbit t and the raw bits of count, zero count, sum and every bucket; later
/// samples write the timestamp delta-of-delta and each value XORed against its previous.
public struct FloatHistogramChunkEncoder: Sendable {
    var w = BitWriter(capacity: 256)
    /// Writes encoding 6 (float histogram with start timestamps) instead of 3.
    public let startTimestamps: Bool
    var sts = StartTimestampEncoder()
    public private(set) var count = 0
    public private(set) var minTime: Int64 = 0
    public private(set) var maxTime: Int64 = 0
    var layout = HistogramLayout()
    var t: Int64 = 0, tDelta: Int64 = 0
    var cnt = XORSlot(), zCnt = XORSlot(), sum = XORSlot()
    var pBuckets: [XORSlot] = [], nBuckets: [XORSlot] = []

    public init(header: CounterResetHeader = .unknown, startTimestamps: Bool = false) {
        self.startTimestamps = startTimestamps
        HistogramChunkFormat.writeHeader(&w, header, startTimestamps: startTimestamps)
    }

    public var header: CounterResetHeader {
        get { HistogramChunkFormat.header(w.bytes, startTimestamps: startTimestamps) }
        set { HistogramChunkFormat.setHeader(&w, newValue, startTimestamps: startTimestamps) }
    }

    public var bytes: [UInt8] { w.finished }
    public var byteCount: Int { (w.bitCount + 7) / 8 }
    var lastIsStale: Bool { count > 0 && sum.bits == staleNaNBits }

    /// Appends `h` at `t` with start timestamp `st` (kept only by encoding 6; 0: none).
    public mutating func append(st: Int64 = 0, _ ts: Int64, _ h: FloatHistogram) {
        let prevT = t
        let stale = h.sum.bitPattern == staleNaNBits
        let hc = stale ? 0 : h.count, hz = stale ? 0 : h.zeroCount
        var td: Int64 = 0
        if count == 0 {
            layout = stale ? HistogramLayout() : HistogramLayout(schema: h.schema, zeroThreshold: h.zeroThreshold,
                positiveSpans: h.positiveSpans, negativeSpans: h.negativeSpans,
                customValues: HistogramSchema.isCustomBuckets(h.schema) ? h.customValues : [])
            w.putHistogramLayout(layout)
            w.putVarbitInt(ts)
            w.write(hc.bitPattern, 64)
            w.write(hz.bitPattern, 64)
            w.write(h.sum.bitPattern, 64)
            cnt.bits = hc.bitPattern
            zCnt.bits = hz.bitPattern
            sum.bits = h.sum.bitPattern
            pBuckets = [XORSlot](repeating: XORSlot(), count: layout.positiveSpans.bucketCount)
            nBuckets = [XORSlot](repeating: XORSlot(), count: layout.negativeSpans.bucketCount)
            if !stale {
                for (i, b) in h.positiveBuckets.enumerated() where i < pBuckets.count {
                    pBuckets[i].bits = b.bitPattern
                    w.write(b.bitPattern, 64)
                }
                for (i, b) in h.negativeBuckets.enumerated() where i < nBuckets.count {
                    nBuckets[i].bits = b.bitPattern
                    w.write(b.bitPattern, 64)
                }
            }
            minTime = ts
        } else {
            td = ts &- t
            w.putVarbitInt(td &- tDelta)
            Self.put(&w, &cnt, hc)
            Self.put(&w, &zCnt, hz)
            Self.put(&w, &sum, h.sum)
            if !stale {
                for (i, b) in h.positiveBuckets.enumerated() where i < pBuckets.count { Self.put(&w, &pBuckets[i], b) }
                for (i, b) in h.negativeBuckets.enumerated() where i < nBuckets.count { Self.put(&w, &nBuckets[i], b) }
            }
        }
        t = ts
        tDelta = td
        maxTime = ts
        if startTimestamps { sts.encode(&w, index: count, t: ts, prevT: prevT, st: st) }
        count += 1
        HistogramChunkFormat.setCount(&w, count, startTimestamps: startTimestamps)
    }

    private static func put(_ w: inout BitWriter, _ slot: inout XORSlot, _ v: Double) {
        w.putXOR(v.bitPattern, slot.bits, leading: &slot.leading, trailing: &slot.trailing)
        slot.bits = v.bitPattern
    }
}

/// Reads a float histogram chunk (encoding 3, or 6 with start timestamps) from borrowed bytes; see
/// `HistogramChunkIterator` for the allocation behaviour.
public struct FloatHistogramChunkIterator {
    var r: BitReader
    public let total: Int
    public let header: CounterResetHeader
    public private(set) var read = 0
    public private(set) var t: Int64 = 0
    var layout = HistogramLayout()
    var tDelta: Int64 = 0
    var cnt = XORSlot(), zCnt = XORSlot(), sum = XORSlot()
    var pBuckets: [XORSlot] = [], nBuckets: [XORSlot] = []
    var sts: StartTimestampDecoder
    /// The current sample's start timestamp (0: none, always 0 in encoding 3).
    public var st: Int64 { sts.st }

    public init(_ chunk: UnsafeRawBufferPointer, startTimestamps: Bool = false) throws(DecodeError) {
        (total, header, sts) = try HistogramChunkFormat.readHeader(chunk, startTimestamps: startTimestamps)
        r = BitReader(chunk, offset: HistogramChunkFormat.headerSize)
    }

    public var isStale: Bool { sum.bits == staleNaNBits }

    public mutating func next() throws(DecodeError) -> Bool {
        guard read < total else { return false }
        let prevT = t
        if read == 0 {
            layout = try r.readHistogramLayout()
            let np = layout.positiveSpans.bucketCount, nn = layout.negativeSpans.bucketCount
            guard (np + nn) * 64 <= r.bitsRemaining else {
                throw r.corrupt("float histogram chunk spans cover \(np + nn) buckets, more than its data can hold")
            }
            pBuckets = [XORSlot](repeating: XORSlot(leading: 0, trailing: 0), count: np)
            nBuckets = [XORSlot](repeating: XORSlot(leading: 0, trailing: 0), count: nn)
            t = r.readVarbitInt()
            cnt.bits = r.readBits(64)
            zCnt.bits = r.readBits(64)
            sum.bits = r.readBits(64)
            for i in pBuckets.indices { pBuckets[i].bits = r.readBits(64) }
            for i in nBuckets.indices { nBuckets[i].bits = r.readBits(64) }
        } else {
            tDelta &+= r.readVarbitInt()
            t &+= tDelta
            guard Self.get(&r, &cnt), Self.get(&r, &zCnt), Self.get(&r, &sum) else { throw r.corrupt("invalid XOR window in sample \(read)") }
            if sum.bits != staleNaNBits {
                for i in pBuckets.indices { guard Self.get(&r, &pBuckets[i]) else { throw r.corrupt("invalid XOR window in sample \(read)") } }
                for i in nBuckets.indices { guard Self.get(&r, &nBuckets[i]) else { throw r.corrupt("invalid XOR window in sample \(read)") } }
            }
        }
        guard sts.decode(&r, index: read, t: t, prevT: prevT) else { throw r.corrupt("invalid start timestamp of sample \(read)") }
        if r.overrun { throw .invalid(offset: r.byteOffset, "float histogram chunk ends inside sample \(read) of \(total)") }
        read += 1
        return true
    }

    private static func get(_ r: inout BitReader, _ s: inout XORSlot) -> Bool {
        if s.leading == 0xFF { s.leading = 0 }
        return r.readXOR(&s.bits, leading: &s.leading, trailing: &s.trailing)
    }

    public var histogram: FloatHistogram {
        var h = FloatHistogram()
        read(into: &h)
        return h
    }

    /// Writes the current sample into `h`, reusing its arrays' storage.
    public func read(into h: inout FloatHistogram) {
        if isStale {
            h = FloatHistogram(sum: Double(bitPattern: sum.bits))
            return
        }
        h.counterResetHint = header.hint(sampleIndex: read - 1)
        h.schema = layout.schema
        h.zeroThreshold = layout.zeroThreshold
        h.zeroCount = Double(bitPattern: zCnt.bits)
        h.count = Double(bitPattern: cnt.bits)
        h.sum = Double(bitPattern: sum.bits)
        h.positiveSpans = layout.positiveSpans
        h.negativeSpans = layout.negativeSpans
        h.customValues = layout.customValues
        h.positiveBuckets.removeAll(keepingCapacity: true)
        for s in pBuckets { h.positiveBuckets.append(Double(bitPattern: s.bits)) }
        h.negativeBuckets.removeAll(keepingCapacity: true)
        for s in nBuckets { h.negativeBuckets.append(Double(bitPattern: s.bits)) }
    }
}

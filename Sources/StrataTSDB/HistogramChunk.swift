import StrataCore

/// Encodes integer histogram samples into a histogram chunk (encoding 2), bit-exact with
/// Prometheus's `HistogramAppender.appendHistogram`. This is the raw encoder: it appends
/// whatever it is given, and every sample must use the first sample's schema, zero
/// threshold, spans and custom bounds. Deciding when a sample needs a new chunk or a recode
/// is `HistogramChunkSequence`'s job.
///
/// The first sample writes the layout and absolute values (varbit t, count, zero count, raw
/// sum bits, bucket deltas); later samples write delta-of-deltas of t, count, zero count and
/// every bucket, and the sum XORed against the previous sum.
public struct HistogramChunkEncoder: Sendable {
    var w = BitWriter(capacity: 256)
    /// Writes encoding 5 (histogram with start timestamps) instead of 2.
    public let startTimestamps: Bool
    var sts = StartTimestampEncoder()
    public private(set) var count = 0
    public private(set) var minTime: Int64 = 0
    public private(set) var maxTime: Int64 = 0
    var layout = HistogramLayout()
    var t: Int64 = 0, tDelta: Int64 = 0
    var cnt: UInt64 = 0, zCnt: UInt64 = 0
    var cntDelta: Int64 = 0, zCntDelta: Int64 = 0
    var pBuckets: [Int64] = [], nBuckets: [Int64] = []
    var pDelta: [Int64] = [], nDelta: [Int64] = []
    var sum: UInt64 = 0
    var leading: UInt8 = 0xFF, trailing: UInt8 = 0

    public init(header: CounterResetHeader = .unknown, startTimestamps: Bool = false) {
        self.startTimestamps = startTimestamps
        HistogramChunkFormat.writeHeader(&w, header, startTimestamps: startTimestamps)
    }

    public var header: CounterResetHeader {
        get { HistogramChunkFormat.header(w.bytes, startTimestamps: startTimestamps) }
        set { HistogramChunkFormat.setHeader(&w, newValue, startTimestamps: startTimestamps) }
    }

    /// Chunk bytes, header included.
    public var bytes: [UInt8] { w.finished }
    public var byteCount: Int { (w.bitCount + 7) / 8 }

    /// The last appended sample's sum was a stale marker.
    var lastIsStale: Bool { count > 0 && sum == staleNaNBits }

    /// Appends `h` at `t` with start timestamp `st` (kept only by encoding 5; 0: none).
    /// A stale marker (StaleNaN sum) is stored as a sum only.
    public mutating func append(st: Int64 = 0, _ ts: Int64, _ h: Histogram) {
        let prevT = t
        let stale = h.sum.bitPattern == staleNaNBits
        let hc = stale ? 0 : h.count, hz = stale ? 0 : h.zeroCount
        var td: Int64 = 0, cd: Int64 = 0, zd: Int64 = 0
        if count == 0 {
            layout = stale ? HistogramLayout() : HistogramLayout(schema: h.schema, zeroThreshold: h.zeroThreshold,
                positiveSpans: h.positiveSpans, negativeSpans: h.negativeSpans,
                customValues: HistogramSchema.isCustomBuckets(h.schema) ? h.customValues : [])
            w.putHistogramLayout(layout)
            pBuckets = [Int64](repeating: 0, count: layout.positiveSpans.bucketCount)
            nBuckets = [Int64](repeating: 0, count: layout.negativeSpans.bucketCount)
            pDelta = pBuckets
            nDelta = nBuckets
            w.putVarbitInt(ts)
            w.putVarbitUint(hc)
            w.putVarbitUint(hz)
            w.write(h.sum.bitPattern, 64)
            if !stale {
                for b in h.positiveBuckets { w.putVarbitInt(b) }
                for b in h.negativeBuckets { w.putVarbitInt(b) }
            }
            minTime = ts
        } else {
            td = ts &- t
            cd = Int64(bitPattern: hc) &- Int64(bitPattern: cnt)
            zd = Int64(bitPattern: hz) &- Int64(bitPattern: zCnt)
            w.putVarbitInt(td &- tDelta)
            w.putVarbitInt(stale ? 0 : cd &- cntDelta)
            w.putVarbitInt(stale ? 0 : zd &- zCntDelta)
            w.putXOR(h.sum.bitPattern, sum, leading: &leading, trailing: &trailing)
            if !stale {
                for (i, b) in h.positiveBuckets.enumerated() where i < pBuckets.count {
                    let d = b &- pBuckets[i]
                    w.putVarbitInt(d &- pDelta[i])
                    pDelta[i] = d
                    pBuckets[i] = b
                }
                for (i, b) in h.negativeBuckets.enumerated() where i < nBuckets.count {
                    let d = b &- nBuckets[i]
                    w.putVarbitInt(d &- nDelta[i])
                    nDelta[i] = d
                    nBuckets[i] = b
                }
            }
        }
        if count == 0 && !stale {
            for (i, b) in h.positiveBuckets.enumerated() where i < pBuckets.count { pBuckets[i] = b }
            for (i, b) in h.negativeBuckets.enumerated() where i < nBuckets.count { nBuckets[i] = b }
        }
        t = ts
        cnt = hc
        zCnt = hz
        tDelta = td
        cntDelta = cd
        zCntDelta = zd
        sum = h.sum.bitPattern
        maxTime = ts
        if startTimestamps { sts.encode(&w, index: count, t: ts, prevT: prevT, st: st) }
        count += 1
        HistogramChunkFormat.setCount(&w, count, startTimestamps: startTimestamps)
    }
}

/// Reads a histogram chunk (encoding 2, or 5 with start timestamps) from borrowed bytes,
/// one sample per `next()`.
/// Bucket arrays are allocated once per chunk and updated in place; `read(into:)` copies
/// them into a caller's reusable `Histogram`, so a scan allocates per chunk, not per sample.
public struct HistogramChunkIterator {
    var r: BitReader
    public let total: Int
    public let header: CounterResetHeader
    /// Samples decoded so far.
    public private(set) var read = 0
    public private(set) var t: Int64 = 0
    var layout = HistogramLayout()
    var tDelta: Int64 = 0
    var cnt: UInt64 = 0, zCnt: UInt64 = 0
    var cntDelta: Int64 = 0, zCntDelta: Int64 = 0
    var pBuckets: [Int64] = [], nBuckets: [Int64] = []
    var pDelta: [Int64] = [], nDelta: [Int64] = []
    var sum: UInt64 = 0
    var leading: UInt8 = 0, trailing: UInt8 = 0
    var sts: StartTimestampDecoder
    /// The current sample's start timestamp (0: none, always 0 in encoding 2).
    public var st: Int64 { sts.st }

    /// Throws when the chunk is shorter than its 3-byte header.
    public init(_ chunk: UnsafeRawBufferPointer, startTimestamps: Bool = false) throws(DecodeError) {
        (total, header, sts) = try HistogramChunkFormat.readHeader(chunk, startTimestamps: startTimestamps)
        r = BitReader(chunk, offset: HistogramChunkFormat.headerSize)
    }

    /// The current sample's sum is the stale marker.
    public var isStale: Bool { sum == staleNaNBits }

    /// Advances to the next sample; false at the end. Throws on corrupt data, naming the
    /// byte offset in the chunk where decoding failed.
    public mutating func next() throws(DecodeError) -> Bool {
        guard read < total else { return false }
        let prevT = t
        if read == 0 {
            layout = try r.readHistogramLayout()
            pBuckets = [Int64](repeating: 0, count: layout.positiveSpans.bucketCount)
            nBuckets = [Int64](repeating: 0, count: layout.negativeSpans.bucketCount)
            pDelta = pBuckets
            nDelta = nBuckets
            t = r.readVarbitInt()
            cnt = r.readVarbitUint()
            zCnt = r.readVarbitUint()
            sum = r.readBits(64)
            for i in pBuckets.indices { pBuckets[i] = r.readVarbitInt() }
            for i in nBuckets.indices { nBuckets[i] = r.readVarbitInt() }
        } else {
            tDelta &+= r.readVarbitInt()
            t &+= tDelta
            cntDelta &+= r.readVarbitInt()
            cnt = UInt64(bitPattern: Int64(bitPattern: cnt) &+ cntDelta)
            zCntDelta &+= r.readVarbitInt()
            zCnt = UInt64(bitPattern: Int64(bitPattern: zCnt) &+ zCntDelta)
            guard r.readXOR(&sum, leading: &leading, trailing: &trailing) else { throw r.corrupt("invalid XOR window in sum of sample \(read)") }
            if sum != staleNaNBits {
                for i in pBuckets.indices {
                    pDelta[i] &+= r.readVarbitInt()
                    pBuckets[i] &+= pDelta[i]
                }
                for i in nBuckets.indices {
                    nDelta[i] &+= r.readVarbitInt()
                    nBuckets[i] &+= nDelta[i]
                }
            }
        }
        guard sts.decode(&r, index: read, t: t, prevT: prevT) else { throw r.corrupt("invalid start timestamp of sample \(read)") }
        if r.overrun { throw .invalid(offset: r.byteOffset, "histogram chunk ends inside sample \(read) of \(total)") }
        read += 1
        return true
    }

    /// The current sample (a stale marker is a histogram with only the StaleNaN sum).
    public var histogram: Histogram {
        var h = Histogram()
        read(into: &h)
        return h
    }

    /// Writes the current sample into `h`, reusing its arrays' storage.
    public func read(into h: inout Histogram) {
        if isStale {
            h = Histogram(sum: Double(bitPattern: sum))
            return
        }
        h.counterResetHint = header.hint(sampleIndex: read - 1)
        h.schema = layout.schema
        h.zeroThreshold = layout.zeroThreshold
        h.zeroCount = zCnt
        h.count = cnt
        h.sum = Double(bitPattern: sum)
        h.positiveSpans = layout.positiveSpans
        h.negativeSpans = layout.negativeSpans
        h.positiveBuckets.removeAll(keepingCapacity: true)
        h.positiveBuckets.append(contentsOf: pBuckets)
        h.negativeBuckets.removeAll(keepingCapacity: true)
        h.negativeBuckets.append(contentsOf: nBuckets)
        h.customValues = layout.customValues
    }

    /// The current sample with absolute float counts (Prometheus `AtFloatHistogram`:
    /// the running sum is kept in integers).
    public func read(into f: inout FloatHistogram) {
        if isStale {
            f = FloatHistogram(sum: Double(bitPattern: sum))
            return
        }
        f.counterResetHint = header.hint(sampleIndex: read - 1)
        f.schema = layout.schema
        f.zeroThreshold = layout.zeroThreshold
        f.zeroCount = Double(zCnt)
        f.count = Double(cnt)
        f.sum = Double(bitPattern: sum)
        f.positiveSpans = layout.positiveSpans
        f.negativeSpans = layout.negativeSpans
        f.customValues = layout.customValues
        HistogramChunkIterator.accumulate(pBuckets, into: &f.positiveBuckets)
        HistogramChunkIterator.accumulate(nBuckets, into: &f.negativeBuckets)
    }

    static func accumulate(_ deltas: [Int64], into out: inout [Double]) {
        out.removeAll(keepingCapacity: true)
        var cur: Int64 = 0
        for d in deltas {
            cur &+= d
            out.append(Double(cur))
        }
    }
}

import StrataCore

/// Cuts a series' float histogram samples into float histogram chunks with Prometheus's
/// append rules (`FloatHistogramAppender.AppendFloatHistogram`): a counter reset starts a new chunk whose
/// header says so; a schema or zero-threshold change, or a sample after a stale marker,
/// starts one with an unknown reset; new buckets recode the open chunk to the wider spans;
/// buckets that disappear while empty are re-added to the sample; gauge histograms merge
/// spans both ways. A chunk is also closed after `samplesPerChunk` samples (Prometheus's
/// head target of 120; it additionally cuts at chunk-range boundaries and, since 2.47, at
/// about 1 KiB, which a block writer does not need for correctness).
public struct FloatHistogramChunkSequence {
    public let samplesPerChunk: Int
    public private(set) var chunks: [EncodedChunk] = []
    var open: FloatHistogramChunkEncoder?
    /// Number of times the open chunk was rewritten for new buckets (tests look at it).
    public private(set) var recodes = 0

    public init(samplesPerChunk: Int = 120) {
        self.samplesPerChunk = max(1, min(samplesPerChunk, Int(UInt16.max)))
    }

    /// Appends a sample; timestamps must increase.
    public mutating func append(_ t: Int64, _ sample: FloatHistogram) throws {
        var h = sample
        let stale = h.sum.bitPattern == staleNaNBits
        if !stale {
            try validateBuckets(h.positiveSpans, h.positiveBuckets.count, "positive")
            try validateBuckets(h.negativeSpans, h.negativeBuckets.count, "negative")
        }
        guard var enc = open else {
            var e = FloatHistogramChunkEncoder(header: CounterResetHeader(firstOf: h.counterResetHint))
            e.append(t, h)
            open = e
            return
        }
        guard t > enc.maxTime else {
            throw TSDBError.invalidArgument("histogram sample at \(t) is not after the previous one at \(enc.maxTime)")
        }
        // The open chunk is taken out while it is extended, so its bytes are not copied.
        open = nil
        let tail = enc.tail
        if enc.count >= samplesPerChunk {
            close(enc)
            let hdr: CounterResetHeader = h.counterResetHint == .gauge ? .gauge
                : h.counterResetHint == .counterReset ? .counterReset : (fit(tail, h, stale).header == .counterReset ? .counterReset : .notCounterReset)
            var e = FloatHistogramChunkEncoder(header: hdr)
            e.append(t, h)
            open = e
            return
        }
        let f = fit(tail, h, stale)
        let gauge = h.counterResetHint == .gauge
        if !f.ok || (!gauge && f.header != .notCounterReset) {
            close(enc)
            // Unlike integer chunks, a float chunk cut for any reason but a reset keeps an unknown header.
            var e = FloatHistogramChunkEncoder(header: gauge ? .gauge : f.header == .counterReset ? .counterReset : .unknown)
            e.append(t, h)
            open = e
            return
        }
        if f.hasBackward {
            if gauge {
                h.positiveSpans = f.posMerged
                h.negativeSpans = f.negMerged
            } else if !f.hasForward {
                h.positiveSpans = enc.layout.positiveSpans
                h.negativeSpans = enc.layout.negativeSpans
            } else {
                h.positiveSpans = adjustForInserts(h.positiveSpans, f.posBackward)
                h.negativeSpans = adjustForInserts(h.negativeSpans, f.negBackward)
            }
            if !f.posBackward.isEmpty { h.positiveBuckets = insertBuckets(h.positiveBuckets, f.posBackward, deltas: false) }
            if !f.negBackward.isEmpty { h.negativeBuckets = insertBuckets(h.negativeBuckets, f.negBackward, deltas: false) }
        }
        if f.hasForward {
            do {
                enc = try FloatHistogramChunkSequence.recode(enc, f, h.positiveSpans, h.negativeSpans)
            } catch {
                open = enc
                throw error
            }
            recodes += 1
        }
        enc.append(t, h)
        open = enc
    }

    func fit(_ tail: HistogramChunkTail, _ h: FloatHistogram, _ stale: Bool) -> HistogramFit {
        if h.counterResetHint == .gauge {
            return tail.fitGauge(stale: stale, schema: h.schema, zeroThreshold: h.zeroThreshold, customValues: h.customValues,
                                 posSpans: h.positiveSpans, negSpans: h.negativeSpans)
        }
        return tail.fitCounter(h.counterResetHint, stale: stale, count: h.count, zeroCount: h.zeroCount,
                               schema: h.schema, zeroThreshold: h.zeroThreshold, customValues: h.customValues,
                               posSpans: h.positiveSpans, pos: h.positiveBuckets,
                               negSpans: h.negativeSpans, neg: h.negativeBuckets)
    }

    /// Re-encodes the chunk's samples with the forward inserts applied (Prometheus `recode`).
    static func recode(_ enc: FloatHistogramChunkEncoder, _ f: HistogramFit, _ pos: [HistogramSpan],
                       _ neg: [HistogramSpan]) throws -> FloatHistogramChunkEncoder {
        var out = FloatHistogramChunkEncoder(header: enc.header)
        let bytes = enc.bytes
        try bytes.withUnsafeBytes { buf in
            var it = try FloatHistogramChunkIterator(buf)
            var old = FloatHistogram()
            while try it.next() {
                it.read(into: &old)
                if !it.isStale {
                    old.positiveSpans = pos
                    old.negativeSpans = neg
                    if !f.posForward.isEmpty { old.positiveBuckets = insertBuckets(old.positiveBuckets, f.posForward, deltas: false) }
                    if !f.negForward.isEmpty { old.negativeBuckets = insertBuckets(old.negativeBuckets, f.negForward, deltas: false) }
                }
                out.append(it.t, old)
            }
        }
        return out
    }

    mutating func close(_ e: FloatHistogramChunkEncoder) {
        chunks.append(EncodedChunk(encoding: .floatHistogram, data: e.bytes, minTime: e.minTime, maxTime: e.maxTime, numSamples: e.count))
    }

    /// Closes the open chunk and returns every chunk cut so far.
    public mutating func finish() -> [EncodedChunk] {
        if let e = open { close(e) }
        open = nil
        defer { chunks = [] }
        return chunks
    }
}

extension FloatHistogramChunkEncoder {
    var tail: HistogramChunkTail {
        HistogramChunkTail(count: count, header: header, layout: layout, lastStale: lastIsStale,
                           lastCount: Double(bitPattern: cnt.bits), lastZeroCount: Double(bitPattern: zCnt.bits),
                           positive: pBuckets.map { Double(bitPattern: $0.bits) },
                           negative: nBuckets.map { Double(bitPattern: $0.bits) })
    }
}

import StrataCore

/// Cuts a series' integer histogram samples into histogram chunks with Prometheus's append
/// rules (`HistogramAppender.AppendHistogram`): a counter reset starts a new chunk whose
/// header says so; a schema or zero-threshold change, or a sample after a stale marker,
/// starts one with an unknown reset; new buckets recode the open chunk to the wider spans;
/// buckets that disappear while empty are re-added to the sample; gauge histograms merge
/// spans both ways. A chunk is also closed after `samplesPerChunk` samples (Prometheus's
/// head target of 120; it additionally cuts at chunk-range boundaries and, since 2.47, at
/// about 1 KiB, which a block writer does not need for correctness).
public struct HistogramChunkSequence {
    public let samplesPerChunk: Int
    public private(set) var chunks: [EncodedChunk] = []
    var open: HistogramChunkEncoder?
    /// Number of times the open chunk was rewritten for new buckets (tests look at it).
    public private(set) var recodes = 0

    public init(samplesPerChunk: Int = 120) {
        self.samplesPerChunk = max(1, min(samplesPerChunk, Int(UInt16.max)))
    }

    /// Appends a sample; timestamps must increase.
    public mutating func append(_ t: Int64, _ sample: Histogram) throws {
        var h = sample
        let stale = h.sum.bitPattern == staleNaNBits
        if !stale {
            try validateBuckets(h.positiveSpans, h.positiveBuckets.count, "positive")
            try validateBuckets(h.negativeSpans, h.negativeBuckets.count, "negative")
        }
        guard var enc = open else {
            var e = HistogramChunkEncoder(header: CounterResetHeader(firstOf: h.counterResetHint))
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
                : h.counterResetHint == .counterReset ? .counterReset : fit(tail, h, stale).header
            var e = HistogramChunkEncoder(header: hdr)
            e.append(t, h)
            open = e
            return
        }
        let f = fit(tail, h, stale)
        let gauge = h.counterResetHint == .gauge
        if !f.ok || (!gauge && f.header != .notCounterReset) {
            close(enc)
            var e = HistogramChunkEncoder(header: gauge ? .gauge : f.header)
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
            if !f.posBackward.isEmpty { h.positiveBuckets = insertBuckets(h.positiveBuckets, f.posBackward, deltas: true) }
            if !f.negBackward.isEmpty { h.negativeBuckets = insertBuckets(h.negativeBuckets, f.negBackward, deltas: true) }
        }
        if f.hasForward {
            do {
                enc = try HistogramChunkSequence.recode(enc, f, h.positiveSpans, h.negativeSpans)
            } catch {
                open = enc
                throw error
            }
            recodes += 1
        }
        enc.append(t, h)
        open = enc
    }

    func fit(_ tail: HistogramChunkTail, _ h: Histogram, _ stale: Bool) -> HistogramFit {
        if h.counterResetHint == .gauge {
            return tail.fitGauge(stale: stale, schema: h.schema, zeroThreshold: h.zeroThreshold, customValues: h.customValues,
                                 posSpans: h.positiveSpans, negSpans: h.negativeSpans)
        }
        return tail.fitCounter(h.counterResetHint, stale: stale, count: Double(h.count), zeroCount: Double(h.zeroCount),
                               schema: h.schema, zeroThreshold: h.zeroThreshold, customValues: h.customValues,
                               posSpans: h.positiveSpans, pos: Histogram.absoluteCounts(h.positiveBuckets),
                               negSpans: h.negativeSpans, neg: Histogram.absoluteCounts(h.negativeBuckets))
    }

    /// Re-encodes the chunk's samples with the forward inserts applied (Prometheus `recode`).
    static func recode(_ enc: HistogramChunkEncoder, _ f: HistogramFit, _ pos: [HistogramSpan],
                       _ neg: [HistogramSpan]) throws -> HistogramChunkEncoder {
        var out = HistogramChunkEncoder(header: enc.header)
        let bytes = enc.bytes
        try bytes.withUnsafeBytes { buf in
            var it = try HistogramChunkIterator(buf)
            var old = Histogram()
            while try it.next() {
                it.read(into: &old)
                if !it.isStale {
                    old.positiveSpans = pos
                    old.negativeSpans = neg
                    if !f.posForward.isEmpty { old.positiveBuckets = insertBuckets(old.positiveBuckets, f.posForward, deltas: true) }
                    if !f.negForward.isEmpty { old.negativeBuckets = insertBuckets(old.negativeBuckets, f.negForward, deltas: true) }
                }
                out.append(it.t, old)
            }
        }
        return out
    }

    mutating func close(_ e: HistogramChunkEncoder) {
        chunks.append(EncodedChunk(encoding: .histogram, data: e.bytes, minTime: e.minTime, maxTime: e.maxTime, numSamples: e.count))
    }

    /// Closes the open chunk and returns every chunk cut so far.
    public mutating func finish() -> [EncodedChunk] {
        if let e = open { close(e) }
        open = nil
        defer { chunks = [] }
        return chunks
    }
}

extension CounterResetHeader {
    /// The header of a chunk started without a predecessor in the sequence.
    init(firstOf hint: CounterResetHint) {
        switch hint {
        case .gauge: self = .gauge
        case .counterReset: self = .counterReset
        default: self = .unknown
        }
    }
}

extension Histogram {
    /// Absolute counts from delta-encoded buckets (integer running sum, as chunks compare).
    static func absoluteCounts(_ deltas: [Int64]) -> [Double] {
        var out: [Double] = []
        out.reserveCapacity(deltas.count)
        var cur: Int64 = 0
        for d in deltas { cur &+= d; out.append(Double(cur)) }
        return out
    }
}

extension HistogramChunkEncoder {
    var tail: HistogramChunkTail {
        HistogramChunkTail(count: count, header: header, layout: layout, lastStale: lastIsStale,
                           lastCount: Double(cnt), lastZeroCount: Double(zCnt),
                           positive: Histogram.absoluteCounts(pBuckets), negative: Histogram.absoluteCounts(nBuckets))
    }
}

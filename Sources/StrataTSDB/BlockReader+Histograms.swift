import StrataCore

/// One sample of any kind, as chunks of different encodings in one series yield them.
public enum SampleValue: Sendable, Equatable {
    case float(Double)
    /// From a histogram chunk (encoding 2 or 5).
    case histogram(Histogram)
    /// From a float histogram chunk (encoding 3 or 6).
    case floatHistogram(FloatHistogram)
}

extension BlockReader {
    /// Calls `body` for every sample of `series` in `[minTime, maxTime]` in time order,
    /// whatever its chunks' encodings (a series may switch between float and histogram
    /// chunks), with the same block-end and tombstone filtering as `samples(of:)`.
    /// Histogram values are decoded into reused buffers: `body` should not keep them if it
    /// wants the scan to stay free of per-sample allocations.
    public func forEachSample(of series: BlockSeries, minTime: Int64 = .min, maxTime: Int64 = .max,
                              _ body: (Int64, SampleValue) throws -> Void) throws {
        let hi = min(maxTime, meta.maxTime &- 1)
        let deleted = tombstones.get(series.ref)
        func keep(_ t: Int64) -> Bool {
            t >= minTime && t <= hi && (deleted.isEmpty || !deleted.contains(where: { $0.contains(t) }))
        }
        var ts: [Int64] = [], vs: [Double] = []
        var h = Histogram(), fh = FloatHistogram()
        for c in series.chunks {
            let (enc, data) = try chunks.chunk(c.ref)
            switch ChunkEncoding(rawValue: enc) {
            case .xor?, .xor2?, .aggr?:
                ts.removeAll(keepingCapacity: true)
                vs.removeAll(keepingCapacity: true)
                try samples(of: BlockSeries(ref: series.ref, labels: series.labels, chunks: [c]),
                            minTime: minTime, maxTime: maxTime, into: &ts, &vs)
                for i in ts.indices { try body(ts[i], .float(vs[i])) }
            case let e? where e == .histogram || e == .histogramST:
                try decoding(c.ref, data) {
                    var it = try HistogramChunkIterator(data, startTimestamps: e == .histogramST)
                    while try it.next() {
                        guard keep(it.t) else { continue }
                        it.read(into: &h)
                        try body(it.t, .histogram(h))
                    }
                }
            case let e? where e == .floatHistogram || e == .floatHistogramST:
                try decoding(c.ref, data) {
                    var it = try FloatHistogramChunkIterator(data, startTimestamps: e == .floatHistogramST)
                    while try it.next() {
                        guard keep(it.t) else { continue }
                        it.read(into: &fh)
                        try body(it.t, .floatHistogram(fh))
                    }
                }
            default:
                // A newer Prometheus's encoding byte: intact (its CRC held) but not decodable
                // here; callers skip or copy the series.
                throw TSDBError.unsupportedEncoding(block: dir, series: series.labels, encoding: enc)
            }
        }
    }

    /// Appends the histogram samples of `series` in `[minTime, maxTime]` as float
    /// histograms (integer ones converted with integer running sums, as Prometheus's
    /// `AtFloatHistogram`). Float chunks are skipped: use `forEachSample` for a series that
    /// mixes both.
    public func histogramSamples(of series: BlockSeries, minTime: Int64 = .min, maxTime: Int64 = .max,
                                 into ts: inout [Int64], _ hs: inout [FloatHistogram]) throws {
        let hi = min(maxTime, meta.maxTime &- 1)
        let deleted = tombstones.get(series.ref)
        for c in series.chunks {
            let (enc, data) = try chunks.chunk(c.ref)
            var fh = FloatHistogram()
            guard let e = ChunkEncoding(rawValue: enc), e.isHistogram else { continue }
            let st = e == .histogramST || e == .floatHistogramST
            func add(_ t: Int64) -> Bool {
                guard t >= minTime, t <= hi, deleted.isEmpty || !deleted.contains(where: { $0.contains(t) }) else { return false }
                ts.append(t)
                return true
            }
            try decoding(c.ref, data) {
                if e.withoutStartTimestamps == .histogram {
                    var it = try HistogramChunkIterator(data, startTimestamps: st)
                    while try it.next() {
                        guard add(it.t) else { continue }
                        it.read(into: &fh)
                        hs.append(fh)
                    }
                } else {
                    var it = try FloatHistogramChunkIterator(data, startTimestamps: st)
                    while try it.next() {
                        guard add(it.t) else { continue }
                        it.read(into: &fh)
                        hs.append(fh)
                    }
                }
            }
        }
    }

    func segmentPath(_ ref: ChunkRef) -> String { dir + "/chunks/" + SegmentFormat.name(Int(ref >> 32)) }

    /// Runs `body`, turning a chunk decode error into `TSDBError.corrupt` at the byte offset
    /// in the segment file.
    func decoding(_ ref: ChunkRef, _ data: UnsafeRawBufferPointer, _ body: () throws -> Void) throws {
        do {
            try body()
        } catch let e as DecodeError {
            let seg = Int(ref >> 32)
            var base = Int(ref & 0xFFFF_FFFF)
            if seg < chunks.segments.count, let start = chunks.segments[seg].buffer.baseAddress, let d = data.baseAddress {
                base = start.distance(to: d)
            }
            throw TSDBError.from(e, path: segmentPath(ref), base: base)
        }
    }
}

import StrataCore
import StrataTSDB

/// Writes the downsampled copy of a block: raw → 5m, or 5m → 1h. Same time range and
/// compaction section as the input, a new ULID, `thanos.downsample.resolution` set,
/// `thanos.source = compactor`, stats recomputed (numSamples = Σ count samples).
public enum BlockDownsampler {
    public static func downsample(blockDir: String, outParentDir: String, resolution: Int64, ulid: ULID = ULID()) throws -> BlockMeta {
        let src = try BlockReader(dir: blockDir)
        let inRes = src.meta.resolution
        guard (inRes == 0 && resolution == Downsample.resolution5m) || (inRes == Downsample.resolution5m && resolution == Downsample.resolution1h) else {
            throw TSDBError.invalidArgument("\(blockDir): cannot downsample resolution \(inRes) to \(resolution); only raw → 5m and 5m → 1h")
        }
        let w = try BlockWriter(parentDir: outParentDir, ulid: ulid, minTime: src.meta.minTime, maxTime: src.meta.maxTime,
                                symbols: BlockCompactor.unionOfSymbols([src.index.symbols]))
        var ts: [Int64] = [], vs: [Double] = []
        var hs: [Downsample.HistogramSample] = []
        try src.forEachSeries(matching: []) { s in
            var out: [EncodedChunk] = []
            do {
                if inRes == 0 {
                    out = try raw(src, s, resolution, &ts, &vs, &hs)
                } else {
                    var aggs: [(AggrChunk, ChunkMeta)] = []
                    for c in s.chunks {
                        let (stored, data) = try src.chunks.chunk(c.ref)
                        if stored == ChunkEncoding.aggr.rawValue {
                            aggs.append((try AggrChunk(decoding: data), c))
                            continue
                        }
                        // A plain chunk in a 5m block is first brought to 5m itself (empty ones skipped;
                        // start-timestamp encodings read as their plain counterparts).
                        var plain: [EncodedChunk] = []
                        var (enc, bytes) = (stored, Array(data))
                        if let (e, b) = try ChunkTranscoding.withoutStartTimestamps(encoding: stored, data) { (enc, bytes) = (e.rawValue, b) }
                        switch enc {
                        case ChunkEncoding.xor.rawValue:
                            guard bytes.count >= 2, Int(bytes[0]) << 8 | Int(bytes[1]) > 0 else { continue }
                            ts.removeAll(keepingCapacity: true)
                            vs.removeAll(keepingCapacity: true)
                            try bytes.withUnsafeBytes { try decodeXOR($0, into: &ts, &vs) }
                            plain = Downsample.raw(timestamps: ts, values: vs, resolution: inRes)
                        case ChunkEncoding.histogram.rawValue, ChunkEncoding.floatHistogram.rawValue:
                            guard bytes.count >= 2, Int(bytes[0]) << 8 | Int(bytes[1]) > 0 else { continue }
                            hs.removeAll(keepingCapacity: true)
                            try Downsample.expandHistogramChunk(bytes, encoding: enc, into: &hs)
                            plain = try Downsample.rawHistograms(hs, resolution: inRes)
                        default:
                            // Undecodable chunks: refused rather than left out of the 1h block
                            // (the caller keeps the block at 5m with a mark).
                            throw TSDBError.unsupportedEncoding(block: blockDir, series: s.labels, encoding: enc)
                        }
                        for e in plain {
                            let ag = try e.data.withUnsafeBytes { try AggrChunk(decoding: $0) }
                            aggs.append((ag, ChunkMeta(ref: 0, minTime: e.minTime, maxTime: e.maxTime)))
                        }
                    }
                    out = try Downsample.aggregateSeries(aggs, inResolution: inRes, resolution: resolution)
                }
            } catch let e as Downsample.HistogramAggregationError {
                // Thanos panics on these (mixed exponential and custom-bucket histograms): the
                // block is kept at its resolution with a no-downsample mark instead.
                throw TSDBError.unsupportedEncoding(block: blockDir + " (\(e.description))", series: s.labels,
                                                    encoding: ChunkEncoding.floatHistogram.rawValue)
            }
            try w.add(s.labels, chunks: out.filter { $0.numSamples > 0 })
        }
        return try w.commit { m in
            m.compaction = src.meta.compaction
            var th = src.meta.thanos ?? ThanosMeta()
            th.downsampleResolution = resolution
            th.source = "compactor"
            th.files = []
            th.segmentFiles = []
            m.thanos = th
        }
    }

    /// One raw series → AggrChunks: runs of float chunks and of histogram chunks are
    /// downsampled separately (Thanos `cutNewChunk`: integer and float histogram chunks form
    /// one run). Float runs keep the float path (tombstones and the block end applied by
    /// `samples(of:)`); histogram chunks are expanded one by one like Thanos's
    /// `expandHistogramChunkIterator` (stale markers and samples going back in time dropped).
    static func raw(_ src: BlockReader, _ s: BlockSeries, _ resolution: Int64,
                    _ ts: inout [Int64], _ vs: inout [Double], _ hs: inout [Downsample.HistogramSample]) throws -> [EncodedChunk] {
        ts.removeAll(keepingCapacity: true)
        vs.removeAll(keepingCapacity: true)
        hs.removeAll(keepingCapacity: true)
        var encs: [UInt8] = []
        for c in s.chunks { encs.append(try src.chunks.chunk(c.ref).encoding) }
        let isHist = { (e: UInt8) in ChunkEncoding(rawValue: e)?.isHistogram == true }
        if !encs.contains(where: isHist) {
            try src.samples(of: s, into: &ts, &vs)
            return Downsample.raw(timestamps: ts, values: vs, resolution: resolution)
        }
        var out: [EncodedChunk] = []
        var prevHist = isHist(encs[0])
        var chunkTs: [Int64] = [], chunkHs: [FloatHistogram] = []
        for (i, c) in s.chunks.enumerated() {
            let hist = isHist(encs[i])
            if hist != prevHist {
                if prevHist {
                    out += try Downsample.rawHistograms(hs, resolution: resolution)
                } else {
                    out += Downsample.raw(timestamps: ts, values: vs, resolution: resolution)
                }
                ts.removeAll(keepingCapacity: true)
                vs.removeAll(keepingCapacity: true)
                hs.removeAll(keepingCapacity: true)
                prevHist = hist
            }
            let one = BlockSeries(ref: s.ref, labels: s.labels, chunks: [c])
            if hist {
                chunkTs.removeAll(keepingCapacity: true)
                chunkHs.removeAll(keepingCapacity: true)
                try src.histogramSamples(of: one, into: &chunkTs, &chunkHs)
                var lastT: Int64 = 0
                for k in chunkTs.indices where !isStaleNaN(chunkHs[k].sum) && chunkTs[k] >= lastT {
                    hs.append(Downsample.HistogramSample(t: chunkTs[k], h: chunkHs[k]))
                    lastT = chunkTs[k]
                }
            } else {
                try src.samples(of: one, into: &ts, &vs)
            }
        }
        if prevHist {
            out += try Downsample.rawHistograms(hs, resolution: resolution)
        } else {
            out += Downsample.raw(timestamps: ts, values: vs, resolution: resolution)
        }
        return out
    }
}

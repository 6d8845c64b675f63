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
        try src.forEachSeries(matching: []) { s in
            let out: [EncodedChunk]
            if inRes == 0 {
                ts.removeAll(keepingCapacity: true)
                vs.removeAll(keepingCapacity: true)
                try src.samples(of: s, into: &ts, &vs)
                out = Downsample.raw(timestamps: ts, values: vs, resolution: resolution)
            } else {
                var aggs: [(AggrChunk, ChunkMeta)] = []
                for c in s.chunks {
                    let (enc, data) = try src.chunks.chunk(c.ref)
                    if enc == ChunkEncoding.aggr.rawValue {
                        aggs.append((try AggrChunk(decoding: data), c))
                    } else if enc == ChunkEncoding.xor.rawValue, XORBulkDecoder.sampleCount(data) > 0 {
                        // A plain chunk in a 5m block is first brought to 5m itself.
                        ts.removeAll(keepingCapacity: true)
                        vs.removeAll(keepingCapacity: true)
                        try decodeXOR(data, into: &ts, &vs)
                        for e in Downsample.raw(timestamps: ts, values: vs, resolution: inRes) {
                            let ag = try e.data.withUnsafeBytes { try AggrChunk(decoding: $0) }
                            aggs.append((ag, ChunkMeta(ref: 0, minTime: e.minTime, maxTime: e.maxTime)))
                        }
                    } else if enc != ChunkEncoding.xor.rawValue {
                        // Histogram or undecodable chunks: refused rather than left out of
                        // the 1h block (the caller keeps the block at 5m with a mark).
                        throw TSDBError.unsupportedEncoding(block: blockDir, series: s.labels, encoding: enc)
                    }
                }
                out = Downsample.aggregates(aggs, inResolution: inRes, resolution: resolution)
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
}

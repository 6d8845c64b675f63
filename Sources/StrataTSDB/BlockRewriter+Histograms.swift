import StrataCore

extension BlockRewriter {
    /// The chunks of a series that holds histogram chunks, with the samples in `cut`
    /// removed: runs of float samples become XOR chunks, runs of histograms are cut again by
    /// Prometheus's append rules (so counter-reset headers are recomputed from the kept
    /// samples, as a compaction in Prometheus would).
    static func rechunk(_ src: BlockReader, _ s: BlockSeries, dropping cut: [TimeInterval]) throws -> [EncodedChunk] {
        var out: [EncodedChunk] = []
        var ft: [Int64] = [], fv: [Double] = []
        var ints = HistogramChunkSequence(), floats = FloatHistogramChunkSequence()
        var kind = 0  // 1 float, 2 histogram, 3 float histogram: the run being collected
        func flush() {
            switch kind {
            case 1:
                out += EncodedChunk.xorChunks(timestamps: ft, values: fv)
                ft.removeAll(keepingCapacity: true)
                fv.removeAll(keepingCapacity: true)
            case 2: out += ints.finish()
            case 3: out += floats.finish()
            default: break
            }
        }
        try src.forEachSample(of: s) { t, v in
            if cut.contains(where: { $0.contains(t) }) { return }
            let k: Int
            switch v {
            case .float: k = 1
            case .histogram: k = 2
            case .floatHistogram: k = 3
            }
            if k != kind { flush(); kind = k }
            switch v {
            case .float(let x): ft.append(t); fv.append(x)
            case .histogram(let h): try ints.append(t, h)
            case .floatHistogram(let h): try floats.append(t, h)
            }
        }
        flush()
        return out
    }

    static func hasHistogramChunks(_ src: BlockReader, _ s: BlockSeries) throws -> Bool {
        for c in s.chunks {
            let enc = try src.chunks.chunk(c.ref, checkCRC: false).encoding
            if enc == ChunkEncoding.histogram.rawValue || enc == ChunkEncoding.floatHistogram.rawValue { return true }
        }
        return false
    }
}

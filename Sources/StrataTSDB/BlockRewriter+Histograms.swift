import StrataCore

extension BlockRewriter {
    /// The chunks of a series that holds histogram chunks, with the samples in `cut`
    /// removed: runs of float samples become XOR chunks, runs of histograms are cut again by
    /// Prometheus's append rules (so counter-reset headers are recomputed from the kept
    /// samples, as a compaction in Prometheus would).
    static func rechunk(_ src: BlockReader, _ s: BlockSeries, dropping cut: [TimeInterval]) throws -> [EncodedChunk] {
        var chunker = MixedSampleChunker()
        try src.forEachSample(of: s) { t, v in
            if cut.contains(where: { $0.contains(t) }) { return }
            try chunker.append(t, v)
        }
        return chunker.finish()
    }

    static func hasHistogramChunks(_ src: BlockReader, _ s: BlockSeries) throws -> Bool {
        for c in s.chunks {
            let enc = try src.chunks.chunk(c.ref, checkCRC: false).encoding
            if ChunkEncoding(rawValue: enc)?.isHistogram == true { return true }
        }
        return false
    }
}

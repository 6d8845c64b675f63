import StrataCore
import StrataTSDB

/// Merges one series of overlapping blocks when any input holds histogram chunks: the
/// union of the inputs' samples by timestamp, the earlier input (blocks sorted by minTime,
/// then ULID) winning on equal timestamps — the rule of the float merge — whatever the
/// samples' kinds, so a series that switches between floats and histograms keeps every
/// sample. The merged samples are cut again by `MixedSampleChunker`, so counter resets
/// across the merged stream get reset headers.
///
/// Counter-reset hints: a hint read from a chunk is about the sample before it in its own
/// block. Where the merged stream switches from one input to another that sample may no
/// longer precede it, so the hint becomes "unknown" there (gauge hints stay). The chunker
/// compares counts at every sample anyway ("not a reset" is never trusted, as in
/// Prometheus's appender), which is what finds a reset only the merged order shows; only
/// a "counter reset" hint is trusted, and it is kept only between samples of one input.
enum MixedSeriesMerge {
    /// The merged, re-cut chunks of one series over `parts` (in input order).
    static func chunks(_ parts: [(BlockReader, BlockSeries)]) throws -> [EncodedChunk] {
        var inputs: [[(Int64, SampleValue)]] = []
        inputs.reserveCapacity(parts.count)
        for (block, series) in parts {
            var list: [(Int64, SampleValue)] = []
            try block.forEachSample(of: series) { t, v in list.append((t, v)) }
            inputs.append(list)
        }
        var chunker = MixedSampleChunker()
        var pos = Array(repeating: 0, count: inputs.count)
        var prevSource = -1
        while true {
            // The smallest next timestamp; the lowest input index holding it wins.
            var best = -1
            for i in inputs.indices where pos[i] < inputs[i].count {
                if best < 0 || inputs[i][pos[i]].0 < inputs[best][pos[best]].0 { best = i }
            }
            if best < 0 { break }
            let (t, v) = inputs[best][pos[best]]
            for i in inputs.indices where pos[i] < inputs[i].count && inputs[i][pos[i]].0 == t { pos[i] += 1 }
            try chunker.append(t, best == prevSource ? v : forgettingResetHint(v))
            prevSource = best
        }
        return chunker.finish()
    }

    /// True when a chunk of the series is not XOR (the float merge cannot take it).
    static func needsMixedMerge(_ parts: [(BlockReader, BlockSeries)]) throws -> Bool {
        for (block, series) in parts {
            for c in series.chunks {
                if try block.chunks.chunk(c.ref, checkCRC: false).encoding != ChunkEncoding.xor.rawValue { return true }
            }
        }
        return false
    }

    /// The first input chunk of the series whose encoding Strata cannot decode, with its
    /// block: such a series cannot be merged, only copied.
    static func undecodableChunk(_ parts: [(BlockReader, BlockSeries)]) throws -> (BlockReader, UInt8)? {
        for (block, series) in parts {
            for c in series.chunks {
                let enc = try block.chunks.chunk(c.ref, checkCRC: false).encoding
                if ChunkEncoding(rawValue: enc) == nil { return (block, enc) }
            }
        }
        return nil
    }

    private static func forgettingResetHint(_ v: SampleValue) -> SampleValue {
        switch v {
        case .float: return v
        case .histogram(var h):
            if h.counterResetHint != .gauge { h.counterResetHint = .unknown }
            return .histogram(h)
        case .floatHistogram(var h):
            if h.counterResetHint != .gauge { h.counterResetHint = .unknown }
            return .floatHistogram(h)
        }
    }
}

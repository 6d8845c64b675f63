import StrataCore
import StrataTSDB

/// Merges blocks into one (a compaction step): series matched across blocks by labels,
/// chunks copied unchanged where blocks do not overlap in time — as Prometheus does — and
/// samples merged (first block wins on equal timestamps) and re-chunked where they do, or
/// where tombstones delete samples. The result covers the union of the input ranges with
/// level = max(input levels) + 1, the union of sources, and the inputs as parents.
public enum BlockCompactor {
    public static func compact(blockDirs: [String], outParentDir: String) throws -> BlockMeta {
        guard !blockDirs.isEmpty else { throw TSDBError.invalidArgument("nothing to compact") }
        let blocks = try blockDirs.map { try BlockReader(dir: $0) }.sorted { $0.meta.minTime < $1.meta.minTime }
        let first = blocks[0].meta
        for b in blocks.dropFirst() {
            guard b.meta.externalLabels == first.externalLabels else {
                throw TSDBError.invalidArgument("cannot compact blocks with different external labels: \(first.ulid) \(first.externalLabels), \(b.meta.ulid) \(b.meta.externalLabels)")
            }
            guard b.meta.resolution == first.resolution else {
                throw TSDBError.invalidArgument("cannot compact blocks of different resolutions: \(first.ulid), \(b.meta.ulid)")
            }
        }
        let minT = blocks.map(\.meta.minTime).min()!, maxT = blocks.map(\.meta.maxTime).max()!
        var overlapping = false
        for (a, b) in zip(blocks, blocks.dropFirst()) where b.meta.minTime < a.meta.maxTime { overlapping = true }

        struct Part {
            var labels: Labels
            var block: Int
            var series: BlockSeries
        }
        var parts: [Part] = []
        for (i, b) in blocks.enumerated() {
            try b.forEachSeries(matching: []) { parts.append(Part(labels: $0.labels, block: i, series: $0)) }
        }
        parts.sort { a, b in
            let c = Labels.compare(a.labels, b.labels)
            return c != 0 ? c < 0 : a.block < b.block
        }

        let w = try BlockWriter(parentDir: outParentDir, minTime: minT, maxTime: maxT)
        var ts: [Int64] = [], vs: [Double] = []
        var i = 0
        while i < parts.count {
            var j = i
            while j < parts.count && parts[j].labels == parts[i].labels { j += 1 }
            let group = parts[i..<j]
            let needsMerge = overlapping || group.contains { !blocks[$0.block].tombstones.get($0.series.ref).isEmpty }
            if needsMerge && first.resolution == 0 {
                var merged: [(Int64, Double)] = []
                for p in group {
                    ts.removeAll(keepingCapacity: true)
                    vs.removeAll(keepingCapacity: true)
                    try blocks[p.block].samples(of: p.series, into: &ts, &vs)
                    merged += zip(ts, vs)
                }
                // Stable sort keeps the earlier block's sample first on equal timestamps.
                let sorted = merged.enumerated().sorted { $0.element.0 != $1.element.0 ? $0.element.0 < $1.element.0 : $0.offset < $1.offset }
                var mt: [Int64] = [], mv: [Double] = []
                for (_, s) in sorted where mt.last != s.0 { mt.append(s.0); mv.append(s.1) }
                try w.add(parts[i].labels, timestamps: mt, values: mv)
            } else if needsMerge {
                throw TSDBError.invalidArgument("overlapping downsampled blocks cannot be merged (\(group.map { blocks[$0.block].meta.ulid }))")
            } else {
                var list: [EncodedChunk] = []
                for p in group {
                    for c in p.series.chunks {
                        let (enc, data) = try blocks[p.block].chunks.chunk(c.ref)
                        guard let e = ChunkEncoding(rawValue: enc), e == .xor || e == .aggr else {
                            throw TSDBError.invalidArgument("\(blocks[p.block].dir): cannot compact chunk encoding \(enc)")
                        }
                        let n = e == .xor ? XORBulkDecoder.sampleCount(data) : try AggrChunk(decoding: data).numSamples
                        list.append(EncodedChunk(encoding: e, data: Array(data), minTime: c.minTime, maxTime: c.maxTime, numSamples: n))
                    }
                }
                try w.add(parts[i].labels, chunks: list)
            }
            i = j
        }
        return try w.commit { m in
            m.compaction.level = (blocks.map(\.meta.compaction.level).max() ?? 0) + 1
            m.compaction.sources = Array(Set(blocks.flatMap { $0.meta.compaction.sources.isEmpty ? [$0.meta.ulid] : $0.meta.compaction.sources })).sorted()
            m.compaction.parents = blocks.map { BlockMeta.BlockDesc(ulid: $0.meta.ulid, minTime: $0.meta.minTime, maxTime: $0.meta.maxTime) }
            var th = first.thanos ?? ThanosMeta()
            th.source = "compactor"
            th.files = []
            th.segmentFiles = []
            th.rewrites = []
            m.thanos = th
        }
    }
}
